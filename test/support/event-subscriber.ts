import WebSocket from "ws";

/** A raw graphql-transport-ws socket with one `eventTracked` subscription, as tests watch it. */
export interface EventSubscriber {
  socket: WebSocket;
  /** Ids of the events delivered, in arrival order. */
  ids: string[];
  /** Messages other than `next` (errors, `complete`), and a close, as text. */
  problems: string[];
  /** Resolves with the close code and when the socket closed. */
  closed: Promise<{ code: number; at: number }>;
  /** WebSocket pings received so far. */
  pings(): number;
}

/**
 * Opens a socket on `wsUrl` as `accessToken` and subscribes to `subscription { eventTracked { id
 * ...selection } }`; resolves once the subscribe message is sent. A raw `ws` socket, so that a test
 * can stop answering pings (`answerPings: false`) or stop reading (its `_socket`).
 */
export async function openEventSubscriber(
  wsUrl: string,
  accessToken: string,
  options: { selection?: string; answerPings?: boolean } = {},
): Promise<EventSubscriber> {
  const socket = new WebSocket(wsUrl, "graphql-transport-ws", {
    autoPong: options.answerPings ?? true,
  });
  const ids: string[] = [];
  const problems: string[] = [];
  let pings = 0;
  socket.on("ping", () => pings++);
  const closed = new Promise<{ code: number; at: number }>((resolve) =>
    socket.on("close", (code) => {
      problems.push(`closed ${code}`);
      resolve({ code, at: Date.now() });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.on("open", () =>
      socket.send(
        JSON.stringify({
          type: "connection_init",
          payload: { authorization: `Bearer ${accessToken}` },
        }),
      ),
    );
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === "connection_ack") {
        socket.send(
          JSON.stringify({
            id: "1",
            type: "subscribe",
            payload: { query: `subscription { eventTracked { id ${options.selection ?? ""} } }` },
          }),
        );
        resolve();
      } else if (message.type === "next") ids.push(message.payload.data.eventTracked.id);
      else if (message.type !== "ping" && message.type !== "pong")
        problems.push(data.toString().slice(0, 200));
    });
    socket.on("error", reject);
  });
  return { socket, ids, problems, closed, pings: () => pings };
}
