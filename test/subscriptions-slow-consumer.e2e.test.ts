import type { Socket } from "node:net";
import WebSocket from "ws";
import { CLIENT_QUEUE_CAPACITY } from "../gateway/src/subscriptions/federated-subscriptions";
import { startTestSupergraph, type SignedUp, type TestSupergraph } from "./support/supergraph";

// A paused client does not answer pings either; here it must not be dropped for that while it is paused.
process.env.WS_KEEP_ALIVE_MS = "600000";

let supergraph: TestSupergraph;
let wsUrl: string;
let owner: SignedUp;

beforeAll(async () => {
  supergraph = await startTestSupergraph();
  wsUrl = supergraph.stack.gateway.url.replace(/^http/, "ws");
  owner = await supergraph.signUp();
});

afterAll(async () => {
  await supergraph?.stop();
});

/** Events sent, in batches of {@link BATCH}, each with ~8 KB of properties (the most an event may carry). */
const EVENTS = 3_000;
const BATCH = 1_000;
const PADDING = "p".repeat(8 * 1024 - 64);

/** A socket subscribed to `eventTracked { id properties }`, collecting the ids it receives. */
async function subscriber() {
  const socket = new WebSocket(wsUrl, "graphql-transport-ws");
  const ids: number[] = [];
  const problems: string[] = [];
  const state = { warm: false };
  await new Promise<void>((resolve, reject) => {
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${owner.accessToken}` } })));
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { eventTracked { id properties } }" } }));
        resolve();
      } else if (message.type === "next") {
        const id: string = message.payload.data.eventTracked.id;
        if (id.startsWith("warm-")) state.warm = true;
        else ids.push(Number(id.replace("slow-", "")));
      }
      else problems.push(data.toString().slice(0, 200));
    });
    socket.on("close", (code) => problems.push(`closed ${code}`));
    socket.on("error", reject);
  });
  return { socket, ids, problems, state };
}

/** Tracks `events` as the owner; resolves with how many were accepted. */
async function track(events: Record<string, unknown>[]): Promise<number> {
  const { body } = await supergraph.request(`mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`, { token: owner.accessToken, variables: { events } });
  expect(body.errors).toBeUndefined();
  return body.data!.trackEvents.accepted;
}

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("a slow subscriber at the gateway", () => {
  it("keeps a bounded backlog, drops its oldest events, gets the newest in order, and holds nobody else back", async () => {
    const reading = await subscriber();
    const slow = await subscriber();
    // Warm-up events until both subscriptions are open upstream.
    for (let round = 0; round < 50 && !(reading.state.warm && slow.state.warm); round++) {
      await track([{ id: `warm-${round}`, type: "page_view", timestamp: new Date().toISOString() }]);
      await waitUntil(() => reading.state.warm && slow.state.warm, 200);
    }
    expect(reading.state.warm && slow.state.warm).toBe(true);
    // The slow client stops reading: what the gateway writes piles up in the socket's buffers.
    const tcp = (slow.socket as unknown as { _socket: Socket })._socket;
    tcp.pause();

    const timestamp = new Date().toISOString();
    for (let start = 0; start < EVENTS; start += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) => ({ id: `slow-${String(start + k).padStart(5, "0")}`, type: "page_view", timestamp, properties: { padding: PADDING } }));
      expect(await track(events)).toBe(BATCH);
    }
    // The reading subscriber gets every event, in order, while the other is stuck.
    await waitUntil(() => reading.ids.length >= EVENTS, 60_000);
    expect(reading.ids).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
    expect(slow.ids.length).toBe(0);

    // The slow one reads again: first what fitted in the socket's buffers (the oldest events), then
    // the newest CLIENT_QUEUE_CAPACITY, which waited at the gateway; the ones between were dropped.
    tcp.resume();
    await waitUntil(() => slow.ids[slow.ids.length - 1] === EVENTS - 1, 30_000);
    const buffered = slow.ids.findIndex((id, i) => id !== i);
    expect(buffered).toBeGreaterThan(0);
    expect(buffered).toBeLessThan(EVENTS - CLIENT_QUEUE_CAPACITY);
    expect(slow.ids.slice(buffered)).toEqual(Array.from({ length: CLIENT_QUEUE_CAPACITY }, (_, i) => EVENTS - CLIENT_QUEUE_CAPACITY + i));
    expect(slow.problems).toEqual([]);
    expect(slow.socket.readyState).toBe(WebSocket.OPEN);
    reading.socket.close();
    slow.socket.close();
  }, 120_000);
});
