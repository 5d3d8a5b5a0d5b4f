// The reference of the subscriptions benchmark: the least a server must do to fan events out over
// WebSockets, with no GraphQL, no database and no authentication. It speaks just enough of
// graphql-transport-ws for the bench's subscribers (connection_init -> connection_ack, subscribe,
// ping -> pong) and groups them by their connection_init `authorization`. A POST to /graphql
// carrying a trackEvents body with the same `authorization` sends each event, serialized once, to
// every subscriber of that group with `ws` sends (each subscriber's socket corked over the
// request's events: one write per subscriber per request), then answers as trackEvents would. What
// the gateway measures above this is the cost of GraphQL, tenants and storage. Usage: PORT=... node
// dist/bench/peers/ws-fanout.js
import http from "node:http";
import { WebSocketServer, type WebSocket } from "ws";

interface BenchEvent {
  id: string;
  type: string;
  timestamp: string;
  value?: number;
  customerId?: string;
}

/** Subscribers per connection_init authorization: socket -> its subscription id. */
const groups = new Map<string, Map<WebSocket, string>>();

/**
 * The TCP socket under a `ws` socket (to cork it: one write per subscriber per request, not per
 * event).
 */
function tcpOf(socket: WebSocket): { cork(): void; uncork(): void } | undefined {
  return (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
}

function fanOut(authorization: string, events: BenchEvent[]): void {
  const group = groups.get(authorization);
  if (!group) return;
  for (const socket of group.keys()) tcpOf(socket)?.cork();
  for (const event of events) {
    const payload = JSON.stringify({
      data: {
        eventTracked: {
          id: event.id,
          type: event.type,
          timestamp: event.timestamp,
          value: event.value ?? null,
          customer: event.customerId ? { id: event.customerId } : null,
        },
      },
    });
    // One string per subscription id (the bench's subscribers all use "1").
    const messages = new Map<string, string>();
    for (const [socket, id] of group) {
      let message = messages.get(id);
      if (message === undefined)
        messages.set(
          id,
          (message = `{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`),
        );
      socket.send(message);
    }
  }
  for (const socket of group.keys()) tcpOf(socket)?.uncork();
}

function main(): void {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("PORT must be set to a port number.");
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/health") return void res.end("ok");
    if (req.method !== "POST" || req.url !== "/graphql")
      return void ((res.statusCode = 404), res.end());
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let events: BenchEvent[] = [];
      try {
        events = JSON.parse(Buffer.concat(chunks).toString("utf8")).variables?.events ?? [];
      } catch {
        res.statusCode = 400;
        return void res.end();
      }
      fanOut(req.headers.authorization ?? "", events);
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          data: { trackEvents: { accepted: events.length, duplicates: 0, rejected: [] } },
        }),
      );
    });
  });
  const wss = new WebSocketServer({ server, path: "/graphql", perMessageDeflate: false });
  wss.on("connection", (socket) => {
    let authorization: string | null = null;
    socket.on("message", (data: Buffer) => {
      let message: { type?: string; id?: string; payload?: { authorization?: string } };
      try {
        message = JSON.parse(data.toString("utf8"));
      } catch {
        return socket.close(4400, "Invalid message");
      }
      if (message.type === "connection_init") {
        authorization = message.payload?.authorization ?? "";
        socket.send(JSON.stringify({ type: "connection_ack" }));
      } else if (message.type === "subscribe" && authorization !== null && message.id) {
        let group = groups.get(authorization);
        if (!group) groups.set(authorization, (group = new Map()));
        group.set(socket, message.id);
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    });
    socket.on("close", () => {
      if (authorization !== null) groups.get(authorization)?.delete(socket);
    });
  });
  server.listen(port, "127.0.0.1", () =>
    process.stdout.write(`ws fan-out reference at http://127.0.0.1:${port}/graphql\n`),
  );
  process.once("SIGTERM", () => process.exit(0));
}

main();
