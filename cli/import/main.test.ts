import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from "./main";

let dir: string;
let file: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "import-cli-"));
  file = path.join(dir, "customers.csv");
  await writeFile(file, "id,name\n1,Ada\n2,Grace\n");
  // A stand-in gateway: the token "good" may upsert, anything else is UNAUTHENTICATED.
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.headers.authorization !== "Bearer good") {
        res.statusCode = 401;
        res.end(
          JSON.stringify({
            errors: [{ message: "Invalid access token.", extensions: { code: "UNAUTHENTICATED" } }],
          }),
        );
        return;
      }
      const rows = JSON.parse(body).variables.input.length;
      res.end(
        JSON.stringify({
          data: { upsertCustomers: { created: rows, updated: 0, unchanged: 0, rejected: [] } },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const status = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { status, stdout, stderr };
}

describe("runCli", () => {
  it("prints the summary on stdout and progress on stderr, and exits 0", async () => {
    const { status, stdout, stderr } = await run([
      "customers",
      file,
      "--url",
      url,
      "--token",
      "good",
    ]);
    expect(status).toBe(EXIT_OK);
    expect(stdout).toMatch(
      /^Imported customers from .*customers\.csv\n {2}rows read {2}2\n {2}created {4}2\n/,
    );
    expect(stderr).toContain("columns: externalId <- id, name <- name; attributes: none\n");
    expect(stderr).toMatch(/customers: 2\/2 rows \(100%\)/);
  });

  it("prints nothing on stderr with --quiet, and takes the token from FA_TOKEN", async () => {
    const { status, stderr } = await run(["customers", file, "--quiet"], {
      FA_TOKEN: "good",
      FA_GATEWAY_URL: url,
    });
    expect(status).toBe(EXIT_OK);
    expect(stderr).toBe("");
  });

  it("exits 1 with the gateway's message when it refuses the credential", async () => {
    const { status, stdout, stderr } = await run([
      "customers",
      file,
      "--url",
      url,
      "--token",
      "expired",
      "--quiet",
    ]);
    expect(status).toBe(EXIT_FAILED);
    expect(stdout).toBe("");
    expect(stderr).toContain(
      "Import stopped: The batch starting on line 2 failed: Invalid access token. (UNAUTHENTICATED)",
    );
  });

  it("exits 2 with the reason for a usage error", async () => {
    expect(await run(["customers", file])).toEqual({
      status: EXIT_USAGE,
      stdout: "",
      stderr: expect.stringMatching(/^No credentials: .*\nRun with --help for the options\.\n$/),
    });
    expect((await run(["orders", file, "--token", "good"])).status).toBe(EXIT_USAGE);
    // A customers file has none of the columns a transactions import needs.
    expect(await run(["transactions", file, "--token", "good", "--url", url, "--quiet"])).toEqual({
      status: EXIT_USAGE,
      stdout: "",
      stderr: expect.stringMatching(
        /^The file has no invoice, customer, date, quantity or price column .*\nRun with --help for the options\.\n$/,
      ),
    });
    expect(
      (await run(["customers", path.join(dir, "nope.csv"), "--token", "good", "--url", url]))
        .stderr,
    ).toMatch(/nope\.csv: no such file/);
    expect(
      (await run(["customers", file, "--token", "good", "--url", url, "--map", "email=Mail"]))
        .status,
    ).toBe(EXIT_USAGE);
  });

  it("prints the usage for --help and exits 0", async () => {
    const { status, stdout } = await run(["--help"]);
    expect(status).toBe(EXIT_OK);
    expect(stdout).toMatch(/^Usage: npm run import -- customers <file.csv> \[options\]/);
  });
});
