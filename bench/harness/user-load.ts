import { performance } from "node:perf_hooks";
import { LeanHttpConnection, prepareRequest, type LeanHttpAnswer } from "./lean-http";

/**
 * What one user sends for one page view: a request, or requests in sequence and in parallel (the
 * subgraph fetches of a query plan, replayed).
 */
export type RequestTree =
  | { kind: "request"; url: string; body: string; headers: Record<string, string> }
  | { kind: "sequence" | "parallel"; nodes: RequestTree[] };

/** A load of several users, each on connections of their own, each sending page after page. */
export interface UserLoadOptions {
  /** One tree per user (one connection per user and origin, more where the tree is parallel). */
  users: RequestTree[];
  warmupMs: number;
  durationMs: number;
  /** Whether an answer counts as right (e.g. HTTP 200 and GraphQL data without errors). */
  verify(answer: LeanHttpAnswer): boolean;
  /** Called when the measured time begins and when it ends (e.g. to account for CPU time). */
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
}

/** What a load measured. */
export interface UserLoadResult {
  /** Pages (whole trees) answered right within the measured time, per second. */
  perSecond: number;
  /** Each right page's time, ms (measured time only). */
  latencies: number[];
  /** Pages with an answer that was not right, or a failed connection. */
  failed: number;
  firstFailure?: string;
  /** HTTP requests sent per page. */
  requestsPerPage: number;
  /** Measured seconds. */
  seconds: number;
}

/** A tree's requests prepared once (one buffer each), with the origin each goes to. */
type Prepared =
  | { kind: "request"; origin: string; request: Buffer }
  | { kind: "sequence" | "parallel"; nodes: Prepared[] };

function prepare(tree: RequestTree): Prepared {
  if (tree.kind === "request")
    return {
      kind: "request",
      origin: new URL(tree.url).origin,
      request: prepareRequest(tree.url, tree.body, tree.headers),
    };
  return { kind: tree.kind, nodes: tree.nodes.map(prepare) };
}

function countRequests(tree: RequestTree): number {
  return tree.kind === "request"
    ? 1
    : tree.nodes.reduce((sum, node) => sum + countRequests(node), 0);
}

/** A user's connections per origin, as many as its tree has requests to it at once. */
class UserConnections {
  private readonly idle = new Map<string, LeanHttpConnection[]>();

  async take(origin: string): Promise<LeanHttpConnection> {
    const list = this.idle.get(origin);
    while (list?.length) {
      const connection = list.pop()!;
      if (connection.usable) return connection;
    }
    return LeanHttpConnection.connect(origin);
  }

  give(origin: string, connection: LeanHttpConnection): void {
    if (!connection.usable) return;
    const list = this.idle.get(origin) ?? [];
    list.push(connection);
    this.idle.set(origin, list);
  }

  close(): void {
    for (const list of this.idle.values()) for (const connection of list) connection.close();
    this.idle.clear();
  }
}

async function run(
  tree: Prepared,
  connections: UserConnections,
  verify: (answer: LeanHttpAnswer) => boolean,
): Promise<void> {
  if (tree.kind === "request") {
    const connection = await connections.take(tree.origin);
    let answer: LeanHttpAnswer;
    try {
      answer = await connection.send(tree.request);
    } catch (error) {
      connection.close();
      throw error;
    }
    connections.give(tree.origin, connection);
    if (!verify(answer))
      throw new Error(`HTTP ${answer.status}: ${answer.body.toString("utf8", 0, 200)}`);
    return;
  }
  if (tree.kind === "sequence") {
    for (const node of tree.nodes) await run(node, connections, verify);
    return;
  }
  await Promise.all(tree.nodes.map((node) => run(node, connections, verify)));
}

/**
 * Every user sends its page again as soon as the last one was answered (a closed loop, one page in
 * flight per user), for `warmupMs` unmeasured and then `durationMs` measured: pages answered right
 * per second and their times. Connections are opened during the warm-up and closed at the end.
 */
export async function runUserLoad(options: UserLoadOptions): Promise<UserLoadResult> {
  const prepared = options.users.map(prepare);
  const begin = performance.now();
  const measureFrom = begin + options.warmupMs;
  const measureTo = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  // Each called exactly once, in order, even when the last page ends before a timer fires.
  let measuring = false;
  let measured = false;
  const start = () => {
    if (measuring) return;
    measuring = true;
    options.onMeasureStart?.();
  };
  const end = () => {
    start();
    if (measured) return;
    measured = true;
    options.onMeasureEnd?.();
  };
  const startTimer = setTimeout(start, options.warmupMs);
  const endTimer = setTimeout(end, options.warmupMs + options.durationMs);
  const user = async (tree: Prepared) => {
    const connections = new UserConnections();
    try {
      while (performance.now() < measureTo) {
        const started = performance.now();
        try {
          await run(tree, connections, options.verify);
          const ended = performance.now();
          // Pages answered within the measured time count, whenever they started.
          if (ended >= measureFrom && ended <= measureTo) latencies.push(ended - started);
        } catch (error) {
          if (performance.now() >= measureFrom) {
            failed++;
            firstFailure ??= (error as Error).message;
          }
          // Not a busy loop against a server that refuses.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    } finally {
      connections.close();
    }
  };
  await Promise.all(prepared.map(user));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  end();
  const seconds = options.durationMs / 1000;
  return {
    perSecond: latencies.length / seconds,
    latencies,
    failed,
    firstFailure,
    requestsPerPage: countRequests(options.users[0]),
    seconds,
  };
}

/** A GraphQL answer is right when it is HTTP 200 with `data` and no `errors`. */
export function graphqlAnswerIsRight(answer: LeanHttpAnswer): boolean {
  return (
    answer.status === 200 &&
    answer.body.indexOf('"data":') !== -1 &&
    answer.body.indexOf('"errors":') === -1
  );
}

/**
 * Sends a tree once on fresh connections and resolves every answer's body in order (to check
 * what a load will send); rejects when an answer is not right.
 */
export async function sendTreeOnce(
  tree: RequestTree,
  verify: (answer: LeanHttpAnswer) => boolean = graphqlAnswerIsRight,
): Promise<string[]> {
  const bodies: string[] = [];
  const connections = new UserConnections();
  const recording = (answer: LeanHttpAnswer) => {
    bodies.push(answer.body.toString("utf8"));
    return verify(answer);
  };
  try {
    await run(prepare(tree), connections, recording);
  } finally {
    connections.close();
  }
  return bodies;
}
