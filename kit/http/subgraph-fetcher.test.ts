import http from "node:http";
import type { AddressInfo } from "node:net";
import { createSubgraphFetcher, isQueryBody } from "./subgraph-fetcher";

/**
 * A stand-in subgraph (outside the gateway, so a plain HTTP server): counts requests, answers after
 * `delayMs`.
 */
async function startServer(delayMs: number) {
  const seen: { authorization?: string; body: string }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push({ authorization: req.headers.authorization, body });
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ data: { n: seen.length } }));
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, seen, close };
}

const QUERY = JSON.stringify({ query: "query Page__customers__0{customers{id}}", variables: {} });
const MUTATION = JSON.stringify({
  query: "mutation Track__analytics__0{trackEvents{accepted}}",
  variables: {},
});

describe("createSubgraphFetcher", () => {
  it("sends identical queries in flight once, and each caller gets its own parsed copy", async () => {
    const server = await startServer(50);
    try {
      const fetcher = createSubgraphFetcher({ timeoutMs: 5_000 });
      const init = {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer a" },
        body: QUERY,
      };
      const responses = await Promise.all([
        fetcher(server.url, init),
        fetcher(server.url, init),
        fetcher(server.url, init),
      ]);
      expect(server.seen).toHaveLength(1);
      const bodies = await Promise.all(responses.map((r) => r.json()));
      expect(bodies).toEqual([{ data: { n: 1 } }, { data: { n: 1 } }, { data: { n: 1 } }]);
      expect(bodies[0]).not.toBe(bodies[1]);
      expect(responses[0].headers.get("Content-Type")).toBe("application/json");
      // Once answered, the same query is sent again: deduplication is not a cache.
      await fetcher(server.url, init);
      expect(server.seen).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it("never shares between credentials, bodies, or mutations, nor when turned off", async () => {
    const server = await startServer(50);
    try {
      const fetcher = createSubgraphFetcher({ timeoutMs: 5_000 });
      const as = (authorization: string, body: string) =>
        fetcher(server.url, { method: "POST", headers: { authorization }, body });
      await Promise.all([
        as("Bearer a", QUERY),
        as("Bearer b", QUERY),
        as("Bearer a", QUERY.replace("{id}", "{id name}")),
        as("Bearer a", MUTATION),
        as("Bearer a", MUTATION),
      ]);
      expect(server.seen).toHaveLength(5);
      const plain = createSubgraphFetcher({ timeoutMs: 5_000, deduplicateQueries: false });
      await Promise.all([
        plain(server.url, { headers: { authorization: "Bearer a" }, body: QUERY }),
        plain(server.url, { headers: { authorization: "Bearer a" }, body: QUERY }),
      ]);
      expect(server.seen).toHaveLength(7);
      expect(
        server.seen
          .map((s) => s.authorization)
          .slice(0, 2)
          .sort(),
      ).toEqual(["Bearer a", "Bearer b"]);
    } finally {
      await server.close();
    }
  });

  it("rejects with a TimeoutError when the subgraph does not answer in time, and with the network error when it is not there", async () => {
    const server = await startServer(2_000);
    try {
      const fetcher = createSubgraphFetcher({ timeoutMs: 100 });
      await expect(fetcher(server.url, { body: QUERY })).rejects.toMatchObject({
        name: "TimeoutError",
      });
    } finally {
      await server.close();
    }
    await expect(
      createSubgraphFetcher({ timeoutMs: 1_000 })(server.url, { body: QUERY }),
    ).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("recognises query bodies only in the layout RemoteGraphQLDataSource sends", () => {
    expect(isQueryBody(QUERY)).toBe(true);
    expect(isQueryBody(JSON.stringify({ query: "{customers{id}}" }))).toBe(true);
    expect(isQueryBody(MUTATION)).toBe(false);
    expect(isQueryBody(JSON.stringify({ query: "subscription S{eventTracked{id}}" }))).toBe(false);
    expect(isQueryBody(JSON.stringify({ variables: {}, query: "query Q{a}" }))).toBe(false);
    expect(isQueryBody(undefined)).toBe(false);
  });
});
