import type { DataSource } from "typeorm";
import type { Logger } from "../logger";

/** A WAL position (`pg_lsn`, e.g. `16/B374D848`) as a number that compares. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new TypeError(`Expected a pg_lsn such as '16/B374D848', got '${text}'.`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Why a read went where it went (the `reason` label of the read metrics). */
export type ReadRoute =
  /** The replica had replayed every write this process knows of for the scope. */
  | "replica"
  /** The replica was behind and caught up within the wait. */
  | "replica-after-wait"
  /** The replica was still behind after the wait: the primary answered. */
  | "primary-replica-behind"
  /** The replica failed to answer recently: the primary answered. */
  | "primary-replica-unavailable";

export interface ReadReplicaOptions {
  /**
   * How long a read waits for the replica to replay the writes it must see before going to the
   * primary. @default 100 // ms
   */
  maxWaitMs?: number;
  /** Pause between two checks of the replica's position while reads wait. @default 2 // ms */
  pollMs?: number;
  /**
   * Between waits, the replica's position and health are checked this often in the background
   * (so a replica that stopped answering is noticed without a read failing). @default 1_000 // ms
   */
  heartbeatMs?: number;
  log?: Logger;
  /** Called for every routed read (for metrics). */
  onRoute?: (route: ReadRoute) => void;
}

interface Waiter {
  needed: bigint;
  deadline: number;
  resolve: (route: ReadRoute) => void;
}

/**
 * Sends read-only queries to a streaming replica of the primary, never older than what this
 * process knows it wrote. Writers call {@link noteWrite} (or {@link noteWriteAt} with a position
 * heard from another process) after a commit, for a scope (an organization); a read for that
 * scope ({@link forReading}) goes to the replica at once if its last known replay position
 * (`pg_last_wal_replay_lsn()`) is at or past the scope's last write (and past the position every
 * read needs, {@link noteGlobalWrite}: e.g. the migrations), waits up to `maxWaitMs` for it to get
 * there (checking every `pollMs`, one check for all waiting reads), or else goes to the primary.
 * A replica that fails a check (or is no longer a standby) gets no reads until a check succeeds
 * again (every `heartbeatMs`). With no replica, everything is the primary and nothing is queried.
 */
export class ReadReplica {
  /** The last write position per scope not yet known to be replayed. */
  private readonly written = new Map<string, bigint>();
  private globalFloor = 0n;
  /** The replica's replay position at the last check (it only grows while the replica runs). */
  private replayed = 0n;
  private healthy = true;
  private readonly waiters = new Set<Waiter>();
  private checking: Promise<void> | null = null;
  private polling = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;

  constructor(
    readonly primary: DataSource,
    readonly replica: DataSource | null,
    private readonly options: ReadReplicaOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 100;
    this.pollMs = options.pollMs ?? 2;
    if (replica) {
      this.heartbeat = setInterval(() => {
        if (this.waiters.size === 0) void this.check();
      }, options.heartbeatMs ?? 1_000);
      this.heartbeat.unref();
    }
  }

  /**
   * Records that `scope` just committed a write on the primary: its reads must see everything up
   * to the primary's WAL insert position now (which is past the commit). Resolves that position
   * (to tell other processes, {@link noteWriteAt}), or null without a replica (no query is made).
   */
  async noteWrite(scope: string): Promise<string | null> {
    if (!this.replica) return null;
    const lsn = await this.primaryPosition();
    this.noteWriteAt(scope, lsn);
    return lsn;
  }

  /** Records a write of `scope` that another process made, at `lsn` (from its {@link noteWrite}). */
  noteWriteAt(scope: string, lsn: string): void {
    if (!this.replica) return;
    const position = parseLsn(lsn);
    if (position > this.replayed && position > (this.written.get(scope) ?? 0n))
      this.written.set(scope, position);
  }

  /** Every read from now on must see the primary's state as of now (e.g. after migrations). */
  async noteGlobalWrite(): Promise<void> {
    if (!this.replica) return;
    const position = parseLsn(await this.primaryPosition());
    if (position > this.globalFloor) this.globalFloor = position;
  }

  /**
   * The data source for a read-only query of `scope` (null: no scope, only the global floor
   * applies): the replica when it has replayed the scope's known writes (waiting at most
   * `maxWaitMs` for it), else the primary. Ask again for each query (or each batch of a
   * request): the answer for one moment says nothing about writes noted later.
   */
  async forReading(scope: string | null): Promise<DataSource> {
    if (!this.replica) return this.primary;
    const route = await this.route(scope);
    this.options.onRoute?.(route);
    return route === "replica" || route === "replica-after-wait" ? this.replica : this.primary;
  }

  /** Stops the background checks. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const waiter of this.waiters) waiter.resolve("primary-replica-unavailable");
    this.waiters.clear();
  }

  private route(scope: string | null): Promise<ReadRoute> | ReadRoute {
    if (!this.healthy) return "primary-replica-unavailable";
    const own = scope === null ? 0n : (this.written.get(scope) ?? 0n);
    const needed = own > this.globalFloor ? own : this.globalFloor;
    if (needed <= this.replayed) {
      if (own !== 0n) this.written.delete(scope!);
      return "replica";
    }
    return new Promise<ReadRoute>((resolve) => {
      this.waiters.add({ needed, deadline: Date.now() + this.maxWaitMs, resolve });
      void this.poll();
    });
  }

  /** Checks the replica again and again while reads wait, answering each of them in turn. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.waiters.size > 0) {
        await this.check();
        const now = Date.now();
        for (const waiter of [...this.waiters]) {
          const route: ReadRoute | null = !this.healthy
            ? "primary-replica-unavailable"
            : waiter.needed <= this.replayed
              ? "replica-after-wait"
              : now >= waiter.deadline
                ? "primary-replica-behind"
                : null;
          if (route) {
            this.waiters.delete(waiter);
            waiter.resolve(route);
          }
        }
        if (this.waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
    } finally {
      this.polling = false;
    }
  }

  /** One check of the replica's replay position (shared by whoever asks meanwhile). */
  private check(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const [{ lsn }]: { lsn: string | null }[] = await this.replica!.query(
          "SELECT pg_last_wal_replay_lsn()::text AS lsn",
        );
        // Null when the server is not (or no longer) in recovery: a replica of nothing.
        if (lsn === null) throw new Error("the server is not a standby (promoted?)");
        const position = parseLsn(lsn);
        if (position > this.replayed) this.replayed = position;
        if (!this.healthy) this.options.log?.info("the read replica answers again");
        this.healthy = true;
        for (const [scope, written] of this.written)
          if (written <= this.replayed) this.written.delete(scope);
      } catch (error) {
        if (this.healthy)
          this.options.log?.warn(
            `the read replica did not answer (${(error as Error).message}); reads go to the primary until it does`,
          );
        this.healthy = false;
        // Whatever it had replayed, a restarted replica is checked again before it is trusted.
        this.replayed = 0n;
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }

  private async primaryPosition(): Promise<string> {
    const [{ lsn }]: { lsn: string }[] = await this.primary.query(
      "SELECT pg_current_wal_insert_lsn()::text AS lsn",
    );
    return lsn;
  }
}
