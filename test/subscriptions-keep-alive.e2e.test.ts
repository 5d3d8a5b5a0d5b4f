import WebSocket from "ws";
import { openEventSubscriber } from "./support/event-subscriber";
import { useSupergraph, type SignedUp } from "./support/supergraph";

// A short keep-alive, so that pings and a dropped client are seen within seconds (its own file:
// elsewhere a busy test run may hold a pong back for longer than this).
const KEEP_ALIVE_MS = 500;
const supergraph = useSupergraph({ env: { WS_KEEP_ALIVE_MS: String(KEEP_ALIVE_MS) } });
let wsUrl: string;
let owner: SignedUp;

beforeAll(async () => {
  wsUrl = supergraph.stack.gateway.url.replace(/^http/, "ws");
  owner = await supergraph.signUp();
});

describe("keep-alive at the gateway (WS_KEEP_ALIVE_MS)", () => {
  it("pings every connection; one that answers stays and gets its events, one that does not is dropped", async () => {
    const answering = await openEventSubscriber(wsUrl, owner.accessToken);
    const silent = await openEventSubscriber(wsUrl, owner.accessToken, { answerPings: false });
    const openedAt = Date.now();
    const dropped = await silent.closed;
    expect(silent.pings()).toBeGreaterThanOrEqual(1);
    // Dropped after one unanswered ping's wait: within a few intervals, not at once.
    expect(dropped.at - openedAt).toBeGreaterThanOrEqual(KEEP_ALIVE_MS);
    expect(dropped.at - openedAt).toBeLessThan(20 * KEEP_ALIVE_MS);
    expect(dropped.code).toBe(1006); // terminated, without a closing handshake

    await new Promise((resolve) => setTimeout(resolve, 4 * KEEP_ALIVE_MS));
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    expect(answering.pings()).toBeGreaterThanOrEqual(3);
    const { body } = await supergraph.request(
      `mutation($at: DateTime!) { trackEvents(events: [{ id: "keep-alive-1", type: "page_view", timestamp: $at }]) { accepted } }`,
      {
        token: owner.accessToken,
        variables: { at: new Date().toISOString() },
      },
    );
    expect(body.errors).toBeUndefined();
    const deadline = Date.now() + 10_000;
    while (answering.ids.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answering.ids).toEqual(["keep-alive-1"]);
    answering.socket.close();
  });
});
