import type { Socket } from "node:net";
import WebSocket from "ws";
import { CLIENT_QUEUE_CAPACITY } from "../gateway/src/subscriptions/federated-subscriptions";
import { openEventSubscriber, type EventSubscriber } from "./support/event-subscriber";
import { useSupergraph, type SignedUp } from "./support/supergraph";

// A paused client does not answer pings either; here it must not be dropped for that while it is
// paused.
const supergraph = useSupergraph({ env: { WS_KEEP_ALIVE_MS: "600000" } });
let wsUrl: string;
let owner: SignedUp;

beforeAll(async () => {
  wsUrl = supergraph.stack.gateway.url.replace(/^http/, "ws");
  owner = await supergraph.signUp();
});

/**
 * Events sent, in batches of {@link BATCH}, each with ~8 KB of properties (the most an event may
 * carry).
 */
const EVENTS = 3_000;
const BATCH = 1_000;
const PADDING = "p".repeat(8 * 1024 - 64);

/** Tracks `events` as the owner; resolves with how many were accepted. */
async function track(events: Record<string, unknown>[]): Promise<number> {
  const { body } = await supergraph.request(
    `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
    { token: owner.accessToken, variables: { events } },
  );
  expect(body.errors).toBeUndefined();
  return body.data!.trackEvents.accepted;
}

/** The numbers of the `slow-N` events a subscriber received, in arrival order. */
function numbers(subscriber: EventSubscriber): number[] {
  return subscriber.ids
    .filter((id) => id.startsWith("slow-"))
    .map((id) => Number(id.slice("slow-".length)));
}

const warm = (subscriber: EventSubscriber) => subscriber.ids.some((id) => id.startsWith("warm-"));

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("a slow subscriber at the gateway", () => {
  it("keeps a bounded backlog, drops its oldest events, gets the newest in order, and holds nobody else back", async () => {
    const reading = await openEventSubscriber(wsUrl, owner.accessToken, {
      selection: "properties",
    });
    const slow = await openEventSubscriber(wsUrl, owner.accessToken, { selection: "properties" });
    // Warm-up events until both subscriptions are open upstream.
    for (let round = 0; round < 50 && !(warm(reading) && warm(slow)); round++) {
      await track([
        { id: `warm-${round}`, type: "page_view", timestamp: new Date().toISOString() },
      ]);
      await waitUntil(() => warm(reading) && warm(slow), 200);
    }
    expect(warm(reading) && warm(slow)).toBe(true);
    // The slow client stops reading: what the gateway writes piles up in the socket's buffers.
    const tcp = (slow.socket as unknown as { _socket: Socket })._socket;
    tcp.pause();

    const timestamp = new Date().toISOString();
    for (let start = 0; start < EVENTS; start += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) => ({
        id: `slow-${String(start + k).padStart(5, "0")}`,
        type: "page_view",
        timestamp,
        properties: { padding: PADDING },
      }));
      expect(await track(events)).toBe(BATCH);
    }
    // The reading subscriber gets every event, in order, while the other is stuck.
    await waitUntil(() => numbers(reading).length >= EVENTS, 60_000);
    expect(numbers(reading)).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
    expect(numbers(slow)).toEqual([]);

    // The slow one reads again: first what fitted in the socket's buffers (the oldest events), then
    // the newest CLIENT_QUEUE_CAPACITY, which waited at the gateway; the ones between were dropped.
    tcp.resume();
    await waitUntil(() => numbers(slow).at(-1) === EVENTS - 1, 30_000);
    const received = numbers(slow);
    const buffered = received.findIndex((id, i) => id !== i);
    expect(buffered).toBeGreaterThan(0);
    expect(buffered).toBeLessThan(EVENTS - CLIENT_QUEUE_CAPACITY);
    expect(received.slice(buffered)).toEqual(
      Array.from({ length: CLIENT_QUEUE_CAPACITY }, (_, i) => EVENTS - CLIENT_QUEUE_CAPACITY + i),
    );
    expect(slow.problems).toEqual([]);
    expect(slow.socket.readyState).toBe(WebSocket.OPEN);
    reading.socket.close();
    slow.socket.close();
  }, 120_000);
});
