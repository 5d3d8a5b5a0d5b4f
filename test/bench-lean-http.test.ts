import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { LeanHttpConnection, parseAnswer, prepareRequest } from "../bench/harness/lean-http";
import { runUserLoad, sendTreeOnce, graphqlAnswerIsRight } from "../bench/harness/user-load";

/** The gateway benchmark's HTTP client and load, against Node's own HTTP server. */
describe("LeanHttpConnection (bench client)", () => {
  let server: http.Server;
  let url: string;
  const seen: {
    path: string;
    headers: http.IncomingHttpHeaders;
    body: string;
    clientPort?: number;
  }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        seen.push({
          path: req.url!,
          headers: req.headers,
          body,
          clientPort: req.socket.remotePort,
        });
        const answer = JSON.stringify({ data: { echo: body, path: req.url } });
        if (req.url === "/chunked") {
          // Several chunks, written apart: the client sees them split across reads.
          res.writeHead(200, { "content-type": "application/json" });
          res.write(answer.slice(0, 7));
          setTimeout(() => {
            res.write(answer.slice(7, 20));
            res.end(answer.slice(20));
          }, 5);
        } else if (req.url === "/error") {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ data: null, errors: [{ message: "no" }] }));
        } else if (req.url === "/close") {
          req.socket.destroy();
        } else {
          res.writeHead(req.url === "/teapot" ? 418 : 200, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(answer),
          });
          res.end(answer);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("sends prepared requests one after another on one connection, reading content-length and chunked answers", async () => {
    const connection = await LeanHttpConnection.connect(url);
    const body = JSON.stringify({ query: "{ a }", variables: { ünï: "cödé" } });
    for (const path of ["/graphql", "/chunked", "/graphql", "/chunked", "/teapot"]) {
      const answer = await connection.send(
        prepareRequest(`${url}${path}`, body, { authorization: "Bearer t" }),
      );
      expect(answer.status).toBe(path === "/teapot" ? 418 : 200);
      expect(JSON.parse(answer.body.toString("utf8"))).toEqual({ data: { echo: body, path } });
    }
    connection.close();
    const last = seen.at(-1)!;
    expect(last.headers.authorization).toBe("Bearer t");
    expect(last.headers["content-type"]).toBe("application/json");
    // One connection: the server saw every request on the same socket (keep-alive).
    expect(seen.slice(-5).map((request) => request.body)).toEqual(new Array(5).fill(body));
    expect(new Set(seen.slice(-5).map((request) => request.clientPort)).size).toBe(1);
  });

  it("rejects the request in flight, and the later ones, when the server closes the connection", async () => {
    const connection = await LeanHttpConnection.connect(url);
    await expect(connection.send(prepareRequest(`${url}/close`, "{}"))).rejects.toThrow(/closed/);
    expect(connection.usable).toBe(false);
    await expect(connection.send(prepareRequest(`${url}/graphql`, "{}"))).rejects.toThrow();
  });

  it("reads an answer only once all of it has arrived, whatever the split", () => {
    const chunked = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n',
    );
    for (let cut = 0; cut < chunked.length; cut++)
      expect(parseAnswer(chunked.subarray(0, cut))).toBeNull();
    expect(parseAnswer(chunked)).toEqual({
      status: 200,
      body: Buffer.from('{"a":1}'),
      used: chunked.length,
    });
    const sized = Buffer.from("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    expect(parseAnswer(sized.subarray(0, sized.length - 1))).toBeNull();
    expect(parseAnswer(sized)?.body.toString()).toBe("ok");
    expect(() => parseAnswer(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n"))).toThrow(/Not an HTTP/);
  });

  it("runs users in a closed loop over request trees, counting wrong answers as failures", async () => {
    const request = (path: string) => ({
      kind: "request" as const,
      url: `${url}${path}`,
      body: "{}",
      headers: {},
    });
    const page = {
      kind: "sequence" as const,
      nodes: [
        request("/graphql"),
        { kind: "parallel" as const, nodes: [request("/chunked"), request("/graphql")] },
      ],
    };
    expect(await sendTreeOnce(page)).toHaveLength(3);
    await expect(sendTreeOnce(request("/error"))).rejects.toThrow(/HTTP 200/);
    const marks: string[] = [];
    const result = await runUserLoad({
      users: [page, page, { kind: "sequence", nodes: [request("/graphql"), request("/error")] }],
      warmupMs: 50,
      durationMs: 300,
      verify: graphqlAnswerIsRight,
      onMeasureStart: () => marks.push("start"),
      onMeasureEnd: () => marks.push("end"),
    });
    expect(marks).toEqual(["start", "end"]);
    expect(result.latencies.length).toBeGreaterThan(0);
    expect(result.failed).toBeGreaterThan(0);
    expect(result.firstFailure).toMatch(/errors/);
    expect(result.requestsPerPage).toBe(3);
  });

  it("connects to what listens, and fails for what does not", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(LeanHttpConnection.connect(`http://127.0.0.1:${port}`)).rejects.toThrow();
  });
});
