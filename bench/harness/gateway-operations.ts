/** What the gateway benchmark's results are held to, at a number of users. */
export interface GatewayTargets {
  /** p95 of our gateway below this, ms. */
  p95Ms?: number;
  /** Our requests/s at least this times each reference's. */
  ratios: Partial<Record<"subgraphs" | "direct" | "apollo-gateway" | "hive-gateway", number>>;
}

/** One operation of the gateway benchmark, as many users send it. */
export interface GatewayOperation {
  name: string;
  query: string;
  /** Subgraphs it touches, for the report. */
  path: string;
  /**
   * The variables user `user` (0, 1, ...) sends, `now` fixed for the run: each user their own
   * page, as readers of a dashboard would ask.
   */
  variables(user: number, now: Date): Record<string, unknown>;
  /** The same document sent straight to this subgraph: the reference without any gateway. */
  direct?: "customers";
  /** Targets by number of users (levels without an entry have none). */
  targets: Record<number, GatewayTargets>;
}

const LOCATIONS = ["DE", "FR", "US", "GB", "ES"];
const ORDERS = ["NAME", "REGISTERED_AT", "CREATED_AT"];
const DAY_MS = 86_400_000;

/**
 * A customer list page per user: 50 customers of one location (each has 100 in the bench data), in
 * one of three orders, ascending or descending: 30 different pages over the first 30 users.
 */
function customerPage(user: number): Record<string, unknown> {
  return {
    first: 50,
    filter: { location: LOCATIONS[user % LOCATIONS.length] },
    orderBy: {
      field: ORDERS[Math.floor(user / LOCATIONS.length) % ORDERS.length],
      direction: Math.floor(user / (LOCATIONS.length * ORDERS.length)) % 2 ? "DESC" : "ASC",
    },
  };
}

/** Ours against the references: what the issue asks of the federated pages at 20 and 50 users. */
const FEDERATED: GatewayTargets = {
  ratios: { subgraphs: 0.8, "apollo-gateway": 1.3, "hive-gateway": 1.5 },
};

export const GATEWAY_OPERATIONS: GatewayOperation[] = [
  {
    name: "plain page",
    query:
      "query CustomerNames($first: Int!, $filter: CustomerFilter, $orderBy: CustomerOrder) { customers(first: $first, filter: $filter, orderBy: $orderBy) { edges { node { id name email location } } } }",
    path: "customers",
    variables: customerPage,
    direct: "customers",
    targets: { 20: { ratios: { direct: 0.9 } }, 50: { ratios: { direct: 0.9 } } },
  },
  {
    name: "federated customer page",
    query:
      "query CustomerPage($first: Int!, $filter: CustomerFilter, $orderBy: CustomerOrder) { customers(first: $first, filter: $filter, orderBy: $orderBy) { edges { node { id name stats { orders totalSpent averageOrderValue lastSeenAt } segment { label } churnRisk { probability band } } } } }",
    path: "customers → analytics (stats, segment, churnRisk)",
    variables: customerPage,
    targets: { 20: { ...FEDERATED, p95Ms: 60 }, 50: FEDERATED },
  },
  {
    name: "deep federated query",
    query:
      "query CampaignsDeep($first: Int!, $from: DateTime, $to: DateTime) { campaigns(first: $first) { edges { node { name budget createdBy { email organization { name } } performance(from: $from, to: $to) { revenue conversions spend roas } } } } }",
    path: "customers → users (createdBy → organization) and analytics (performance)",
    // 5 to 10 campaigns, each user over its own last 30 to 79 days.
    variables: (user, now) => {
      const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
      return {
        first: 5 + (user % 6),
        from: new Date(today - (30 + user) * DAY_MS).toISOString(),
        to: new Date(today + DAY_MS).toISOString(),
      };
    },
    targets: { 20: FEDERATED, 50: FEDERATED },
  },
];
