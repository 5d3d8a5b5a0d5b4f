import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "./paths";

/** How to run one process and how to tell it is ready. */
export interface ProcessSpec {
  name: string;
  /** The script to run with `node`, relative to the repository root (a `dist/` entry point). */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Extra `node` arguments, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /**
   * Ready when `GET url` answers 200, or when a line of its stdout matches `line` (whose first
   * group, if any, is kept as the process's `readyValue`).
   */
  ready: { url: string; headers?: Record<string, string> } | { line: RegExp };
  /** How long it may take to get ready. @default 60_000 // 1 minute */
  readyTimeoutMs?: number;
}

/** Where the supervisor's own messages and every output line of its processes go. */
export interface SupervisorOutput {
  /** A line a process printed (`stream` is its stdout or stderr). */
  line(name: string, stream: "stdout" | "stderr", text: string): void;
  /** What the supervisor itself says (started, exited, restarting). */
  event(name: string, level: "info" | "warn" | "error", message: string): void;
}

/** One supervised process as it is now. */
export interface SupervisedProcess {
  readonly name: string;
  /** The current process's id. */
  readonly pid: number;
  /** How often it was started again after exiting on its own. */
  readonly restarts: number;
  /** What the ready line captured (the embedded PostgreSQL's URL). */
  readonly readyValue: string | undefined;
  /** The last 64 KB it printed, for error messages. */
  output(): string;
}

/** Restart delays after an unexpected exit: 1 s, doubling, at most 30 s. */
const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A process up this long counts as healthy again: its next restart waits the first delay. */
const STABLE_AFTER_MS = 60_000;
/** How long a stopping process may take before SIGKILL. */
const STOP_GRACE_MS = 10_000;
const OUTPUT_KEPT = 65_536;

interface Slot {
  spec: ProcessSpec;
  child: ChildProcess;
  restarts: number;
  consecutiveCrashes: number;
  startedAt: number;
  readyValue: string | undefined;
  output: string;
  /** When the current process got ready; undefined while it is starting. */
  readyAt: number | undefined;
  /** Some process of this name got ready once: later exits are restarted (with `restart`). */
  everReady: boolean;
  /** Stopped on purpose (or being stopped): not restarted. */
  stopped: boolean;
  restartTimer?: NodeJS.Timeout;
}

const everyChild = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Runs processes (PostgreSQL, the subgraphs, the gateway) as children of this one: starts each and
 * waits until it is ready, forwards every line it prints, and, with `restart`, starts a process
 * that exits on its own again after a growing delay (1 s, 2 s, 4 s ... at most 30 s; back to 1 s
 * once it has run for a minute), saying so. A process stopped with {@link stop} stays stopped.
 * Whatever happens to this process, its children do not outlive it.
 */
export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private closing = false;

  constructor(
    private readonly output: SupervisorOutput,
    private readonly options: { restart: boolean },
  ) {
    installExitHook();
  }

  /** Starts a process and resolves once it is ready; rejects (and kills it) when it is not. */
  async start(spec: ProcessSpec): Promise<SupervisedProcess> {
    if (!existsSync(path.join(REPO_ROOT, spec.entry))) {
      throw new Error(`${spec.entry} is missing: run \`npm run build\` first.`);
    }
    const previous = this.slots.get(spec.name);
    const slot: Slot = {
      spec,
      child: undefined as unknown as ChildProcess,
      restarts: previous?.restarts ?? 0,
      consecutiveCrashes: previous?.consecutiveCrashes ?? 0,
      startedAt: 0,
      readyValue: undefined,
      output: "",
      readyAt: undefined,
      everReady: previous?.everReady ?? false,
      stopped: false,
    };
    this.slots.set(spec.name, slot);
    await this.launch(slot);
    return this.view(slot);
  }

  /** The process by name, as it is now. */
  process(name: string): SupervisedProcess {
    const slot = this.slots.get(name);
    if (!slot) throw new TypeError(`No process named ${name} was started.`);
    return this.view(slot);
  }

  /** Sends a signal to a process (SIGSTOP makes it hang, SIGKILL makes it crash). */
  signal(name: string, signal: NodeJS.Signals): void {
    this.slots.get(name)?.child.kill(signal);
  }

  /** Resolves when the current process of that name has exited, with how it ended. */
  exited(name: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.slots.get(name)!.child;
    if (child.exitCode !== null || child.signalCode !== null) {
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    }
    return new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  /** Resolves once the process has been started again `restarts` times in all and is ready. */
  async restarted(name: string, restarts: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const slot = this.slots.get(name)!;
      if (slot.restarts >= restarts && slot.readyAt !== undefined) return;
      if (Date.now() > deadline)
        throw new Error(`${name} was not restarted within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Throws naming the process when one that should run has exited. */
  assertAlive(): void {
    for (const slot of this.slots.values()) {
      if (!slot.stopped && hasExited(slot.child)) {
        throw new Error(
          `The ${slot.spec.name} process exited (${slot.child.exitCode ?? slot.child.signalCode}). ` +
            `Its last output:\n${slot.output.slice(-4000)}`,
        );
      }
    }
  }

  /**
   * Starts a process again with its last spec (one that was stopped, exited or crashed, or one
   * still running: that one is stopped first), and resolves once it is ready.
   */
  async relaunch(name: string): Promise<SupervisedProcess> {
    const slot = this.slots.get(name);
    if (!slot) throw new TypeError(`No process named ${name} was started.`);
    await this.stop(name);
    return this.start(slot.spec);
  }

  /** Stops a process (SIGTERM, then SIGKILL after 10 s) and does not restart it. */
  async stop(name: string): Promise<void> {
    const slot = this.slots.get(name);
    if (!slot) return;
    slot.stopped = true;
    clearTimeout(slot.restartTimer);
    if (hasExited(slot.child)) return;
    this.output.event(name, "info", `stopping ${name}`);
    await terminate(slot.child);
    this.output.event(name, "info", `${name} stopped`);
  }

  /** Stops every process, in the order given, each group before the next. Idempotent. */
  async stopAll(order: string[][]): Promise<void> {
    this.closing = true;
    for (const group of order) await Promise.all(group.map((name) => this.stop(name)));
    await Promise.all([...this.slots.keys()].map((name) => this.stop(name)));
  }

  private async launch(slot: Slot): Promise<void> {
    const { spec } = slot;
    // Its own process group, so that Ctrl-C reaches the launcher alone and it stops the parts in
    // order; an IPC channel, so that the child stops by itself when the launcher is gone.
    const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), spec.entry], {
      cwd: REPO_ROOT,
      env: spec.env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      detached: true,
    });
    slot.child = child;
    slot.startedAt = Date.now();
    slot.readyAt = undefined;
    everyChild.add(child);
    let readyLine: ((value: string | undefined) => void) | undefined;
    const pipe = (stream: "stdout" | "stderr") =>
      createInterface({ input: child[stream]! }).on("line", (text) => {
        slot.output = (slot.output + text + "\n").slice(-OUTPUT_KEPT);
        this.output.line(spec.name, stream, text);
        if (readyLine && "line" in spec.ready && stream === "stdout") {
          const match = spec.ready.line.exec(text);
          if (match) readyLine(match[1]);
        }
      });
    pipe("stdout");
    pipe("stderr");
    child.once("error", (error) => {
      slot.output += `\ncould not run ${spec.name}: ${error.message}\n`;
    });
    child.once("exit", (code, signal) => {
      everyChild.delete(child);
      this.onExit(slot, child, code, signal);
    });
    const timeoutMs = spec.readyTimeoutMs ?? 60_000;
    try {
      if ("url" in spec.ready) {
        await waitForHttp(spec.ready.url, child, timeoutMs, spec.ready.headers);
      } else {
        slot.readyValue = await new Promise<string | undefined>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`not ready within ${timeoutMs} ms`)),
            timeoutMs,
          );
          readyLine = (value) => {
            clearTimeout(timer);
            resolve(value);
          };
          child.once("exit", (code, sig) => {
            clearTimeout(timer);
            reject(new Error(`exited (${code ?? sig}) before it was ready`));
          });
        });
      }
      slot.readyAt = Date.now();
      slot.everReady = true;
      this.output.event(spec.name, "info", `${spec.name} is ready (pid ${child.pid})`);
    } catch (error) {
      await terminate(child);
      throw new Error(
        `The ${spec.name} process did not start: ${(error as Error).message}. Its output:\n` +
          slot.output.slice(-4000),
      );
    }
  }

  private onExit(
    slot: Slot,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (slot.child !== child || slot.stopped || this.closing) return;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    // A process that never got ready is the start's failure (see launch), not restarted here.
    if (!this.options.restart || !slot.everReady) {
      this.output.event(slot.spec.name, "error", `${slot.spec.name} exited (${how})`);
      return;
    }
    if (Date.now() - slot.startedAt >= STABLE_AFTER_MS) slot.consecutiveCrashes = 0;
    const delay = Math.min(
      MAX_RESTART_DELAY_MS,
      FIRST_RESTART_DELAY_MS * 2 ** slot.consecutiveCrashes,
    );
    slot.consecutiveCrashes++;
    this.output.event(
      slot.spec.name,
      "warn",
      `${slot.spec.name} exited (${how}); restarting it in ${delay / 1000} s`,
    );
    slot.restartTimer = setTimeout(() => {
      if (slot.stopped || this.closing) return;
      slot.restarts++;
      // Failing again before it is ready ends in another exit, and another, longer, delay.
      this.launch(slot).catch((error: Error) =>
        this.output.event(slot.spec.name, "error", error.message.split("\n")[0]),
      );
    }, delay);
  }

  private view(slot: Slot): SupervisedProcess {
    return {
      name: slot.spec.name,
      get pid() {
        return slot.child.pid!;
      },
      get restarts() {
        return slot.restarts;
      },
      get readyValue() {
        return slot.readyValue;
      },
      output: () => slot.output,
    };
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Polls `url` every 200 ms until it answers 200; fails when the child exits or after `timeoutMs`. */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited(child)) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export function terminate(child: ChildProcess | undefined): Promise<void> {
  if (!child || hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Whatever happens to this process, the children it started are killed when it exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of everyChild) child.kill("SIGKILL");
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
