import http from "node:http";
import { gunzipSync } from "node:zlib";
import { useSupergraph } from "./support/supergraph";

/**
 * Responses of 1 KB or more are gzipped for clients that ask for it (HTTP_COMPRESSION, on by
 * default).
 */
const supergraph = useSupergraph();
let token: string;

beforeAll(async () => {
  token = await supergraph.login("admin@acme.test");
});

/**
 * POSTs a query with Node's http (which, unlike fetch, neither asks for nor inflates gzip by
 * itself).
 */
function post(
  query: string,
  acceptEncoding?: string,
): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(supergraph.stack.gateway.url);
  const payload = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          ...(acceptEncoding ? { "accept-encoding": acceptEncoding } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const PAGE = `{ customers(first: 50, orderBy: { field: NAME, direction: ASC }) { edges { node { id name email attributes stats { orders totalSpent } } } } }`;

it("gzips a large answer for a client that accepts gzip: the same JSON as uncompressed, in fewer bytes", async () => {
  const [plain, gzipped] = await Promise.all([post(PAGE), post(PAGE, "gzip, deflate, br")]);
  expect(plain.headers["content-encoding"]).toBeUndefined();
  expect(gzipped.headers["content-encoding"]).toBe("gzip");
  expect(gzipped.headers.vary).toMatch(/accept-encoding/i);
  const inflated = gunzipSync(gzipped.body).toString("utf8");
  expect(JSON.parse(inflated)).toEqual(JSON.parse(plain.body.toString("utf8")));
  expect(JSON.parse(inflated).data.customers.edges.length).toBeGreaterThan(10);
  expect(gzipped.body.length).toBeLessThan(plain.body.length / 2);
});

it("sends small answers as they are", async () => {
  const small = await post(`{ customers(first: 1) { totalCount } }`, "gzip");
  expect(small.headers["content-encoding"]).toBeUndefined();
  expect(JSON.parse(small.body.toString("utf8")).data.customers.totalCount).toBeGreaterThan(0);
});
