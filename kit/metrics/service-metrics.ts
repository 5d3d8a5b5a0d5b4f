import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Operation names kept as label values; later new names count as "other" (bounded cardinality). */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The Prometheus metrics of one service, served on its `/metrics`: GraphQL requests and errors by
 * operation name with latency, SQL statements with duration, subgraph fetches (gateway), events
 * ingested and reads routed to a read replica or the primary (analytics), open WebSocket
 * connections and subscriptions, and Node's process metrics.
 * Every series carries `service`. One registry per service, so that services sharing a process
 * (`npm start`, tests) keep their own.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly graphqlRequests: Counter<"operation" | "outcome">;
  readonly graphqlDuration: Histogram<"operation">;
  readonly rawAnswers: Counter<"operation">;
  readonly sqlStatements: Counter<"outcome">;
  readonly sqlDuration: Histogram;
  readonly subgraphFetchDuration: Histogram<"subgraph" | "outcome">;
  readonly eventsIngested: Counter;
  readonly readsRouted: Counter<"route">;
  private readonly operationNames = new Set<string>();
  private webSockets: () => { connections: number; subscriptions: number } = () => ({
    connections: 0,
    subscriptions: 0,
  });

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.graphqlRequests = new Counter({
      name: "graphql_requests_total",
      help: "GraphQL operations answered, by operation name and outcome (ok, error).",
      labelNames: ["operation", "outcome"],
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: "graphql_request_duration_seconds",
      help: "Time from receiving a GraphQL operation to its response, by operation name.",
      labelNames: ["operation"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rawAnswers = new Counter({
      name: "graphql_raw_answers_total",
      help: "GraphQL operations of graphql_requests_total answered below Apollo Server with a subgraph's response as it came (the gateway's raw passthrough), by operation name.",
      labelNames: ["operation"],
      registers,
    });
    this.sqlStatements = new Counter({
      name: "sql_statements_total",
      help: "SQL statements sent to PostgreSQL, by outcome (ok, error).",
      labelNames: ["outcome"],
      registers,
    });
    this.sqlDuration = new Histogram({
      name: "sql_statement_duration_seconds",
      help: "Duration of successful SQL statements.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.subgraphFetchDuration = new Histogram({
      name: "subgraph_fetch_duration_seconds",
      help: "The gateway's fetches from subgraphs, by subgraph and outcome (ok, error).",
      labelNames: ["subgraph", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.eventsIngested = new Counter({
      name: "events_ingested_total",
      help: "Events stored by trackEvents (duplicates and rejected events not counted).",
      registers,
    });
    this.readsRouted = new Counter({
      name: "database_reads_routed_total",
      help: "Read-only queries routed with a read replica configured, by route (replica, replica-after-wait, primary-replica-behind, primary-replica-unavailable).",
      labelNames: ["route"],
      registers,
    });
    const sockets = () => this.webSockets();
    new Gauge({
      name: "websocket_connections",
      help: "Open graphql-ws connections.",
      registers,
      collect() {
        this.set(sockets().connections);
      },
    });
    new Gauge({
      name: "websocket_subscriptions",
      help: "Running operations over graphql-ws connections.",
      registers,
      collect() {
        this.set(sockets().subscriptions);
      },
    });
  }

  /** The label value for an operation name: the name, `anonymous`, or `other` past the cap. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return "anonymous";
    if (!OPERATION_NAME.test(name)) return "other";
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return "other";
    this.operationNames.add(name);
    return name;
  }

  /** Where the WebSocket gauges read their values. */
  observeWebSockets(read: () => { connections: number; subscriptions: number }): void {
    this.webSockets = read;
  }
}

const byService = new Map<string, ServiceMetrics>();

/** The metrics of a service of this process (made on first use). */
export function metricsFor(service: string): ServiceMetrics {
  let metrics = byService.get(service);
  if (!metrics) byService.set(service, (metrics = new ServiceMetrics(service)));
  return metrics;
}
