import { eventFilterSql } from "../actors/actor-sql";
import { ANY_TYPE, PREVIOUS_MONTH_BIT } from "../rollups/rollup-keys";
import { CohortMatch } from "./cohort.input";
import { parseSegmentId, type CohortDefinition, type CohortRule } from "./cohort-rules";

/**
 * Cohort membership in SQL (docs/analytics.md, "Cohorts"). Members are drawn from the customers
 * the analytics subgraph knows of: those with a stored event (their own or an identified
 * visitor's, marked in `customer_activity`), an identity link (`identities`) or a prediction of
 * the latest churn model. Segments are made of customers with events, so their members are
 * among them.
 *
 * Each rule is a set of customers, either given outright (`positive`) or as the known customers
 * outside a set (`negative`): an event rule with minCount 0 holds for every known customer
 * without maxCount + 1 such events, customers with no event at all included. ALL intersects the
 * positive sets and takes the negative ones out; ANY unites them. The known customers are read
 * only when a negative rule needs them.
 */

type Param = (value: unknown) => string;

/** The bits of `customer_activity.days` that mark days of the row's own month. */
const OWN_MONTH_BITS = ((1n << PREVIOUS_MONTH_BIT) - 1n).toString();

/** How the SQL of one cohort is built: its organization, the time, and optional candidates. */
export interface MembershipScope {
  /** The placeholder of the organization id. */
  organization: string;
  /**
   * The placeholder of the time that "the last withinDays days" end at (a timestamptz), called
   * only when a rule needs it (PostgreSQL rejects a parameter that no statement uses).
   */
  now: () => string;
  /** The placeholder of a uuid[] of the only customers to consider, or null for all. */
  candidates: string | null;
}

/**
 * A rule's set of customers, its SQL built on demand (a parameter added for a part of the
 * statement that is then left out would be one that no statement uses).
 */
type RuleSet =
  { kind: "positive" | "negative"; sql: () => string } | { kind: "everyone"; sql?: undefined };

/**
 * SQL selecting the distinct ids (`customer_id`, uuid) of the cohort's members; `p` adds a
 * parameter and returns its placeholder.
 */
export function cohortMembersSql(
  cohort: CohortDefinition,
  p: Param,
  scope: MembershipScope,
): string {
  const sets = cohort.rules.map((rule) => ruleSet(rule, p, scope));
  const of = (kind: "positive" | "negative") =>
    sets.flatMap((set) => (set.kind === kind ? [set.sql] : []));
  const positives = of("positive");
  const negatives = of("negative");
  const known = () => knownCustomersSql(scope);
  const combine = (parts: (() => string)[], operator: "INTERSECT" | "UNION") =>
    parts.map((part) => `(${part()})`).join(` ${operator} `);
  if (cohort.match === CohortMatch.ALL) {
    const base = positives.length > 0 ? combine(positives, "INTERSECT") : known();
    if (negatives.length === 0) return select(base);
    return select(`(${select(base)}) EXCEPT (${combine(negatives, "UNION")})`);
  }
  // ANY: a rule that holds for every known customer makes the cohort all of them (every rule's
  // set is among them); a negative rule holds for the known customers outside its set.
  if (sets.some((set) => set.kind === "everyone")) return select(known());
  const parts = positives.map((sql) => select(sql()));
  if (negatives.length > 0)
    parts.push(select(`(${known()}) EXCEPT (${combine(negatives, "INTERSECT")})`));
  return select(parts.map((part) => `(${part})`).join(" UNION "));
}

function select(from: string): string {
  return `SELECT customer_id FROM (${from}) AS m`;
}

/**
 * The customers the analytics subgraph knows of: with a stored event, an identity link, or a
 * prediction of the latest churn model.
 */
function knownCustomersSql(scope: MembershipScope): string {
  const only = (column: string) =>
    scope.candidates ? ` AND ${column} = ANY(${scope.candidates}::uuid[])` : "";
  // A row whose own month's bits are all clear only repeats the month before's (every active
  // month has its own row): skipping those halves the rows to deduplicate.
  return `SELECT a.customer_id FROM customer_activity a WHERE a.organization_id = ${scope.organization} AND a.type = '${ANY_TYPE}' AND a.days & ${OWN_MONTH_BITS} <> 0${only("a.customer_id")}
          UNION SELECT i.customer_id FROM identities i WHERE i.organization_id = ${scope.organization}${only("i.customer_id")}
          UNION SELECT c.customer_id FROM churn_predictions c
                 WHERE c.organization_id = ${scope.organization} AND c.model_id = (${latestChurnModelSql(scope)})${only("c.customer_id")}`;
}

/** The id of the organization's latest completed churn model (null when there is none). */
function latestChurnModelSql(scope: MembershipScope): string {
  return `SELECT m.id FROM churn_models m WHERE m.organization_id = ${scope.organization} AND m.status = 'COMPLETED' ORDER BY m.trained_at DESC LIMIT 1`;
}

function ruleSet(rule: CohortRule, p: Param, scope: MembershipScope): RuleSet {
  const only = (column: string) =>
    scope.candidates ? ` AND ${column} = ANY(${scope.candidates}::uuid[])` : "";
  if (rule.kind === "segment") {
    const { runId, index } = parseSegmentId(rule.segmentId)!;
    return {
      kind: "positive",
      sql: () => `SELECT s.customer_id FROM segment_members s
                  WHERE s.organization_id = ${scope.organization} AND s.run_id = ${p(runId)}::uuid AND s.segment_index = ${p(index)}::int${only("s.customer_id")}`,
    };
  }
  if (rule.kind === "churn")
    return {
      kind: "positive",
      sql: () => `SELECT c.customer_id FROM churn_predictions c
                  WHERE c.organization_id = ${scope.organization}
                    AND c.model_id = (${latestChurnModelSql(scope)})
                    AND c.probability >= ${p(rule.minChurnProbability)}::float8${only("c.customer_id")}`,
    };
  // minCount 0 and no maxCount: every known customer.
  if (rule.minCount === 0 && rule.maxCount === null) return { kind: "everyone" };
  // An event rule: count the customer's events of the type passing the filter in the window.
  const where = (now: string) => [
    `e.organization_id = ${scope.organization}`,
    `e.customer_id IS NOT NULL`,
    `e.type = ${p(rule.event)}`,
    `e."timestamp" <= ${now}::timestamptz`,
    ...(rule.withinDays === null
      ? []
      : [`e."timestamp" >= ${now}::timestamptz - ${p(rule.withinDays)}::int * interval '1 day'`]),
    ...eventFilterSql(rule.filter, p),
  ];
  const counted = (having: () => string) => () =>
    `SELECT e.customer_id FROM events e WHERE ${where(scope.now()).join(" AND ")}${only("e.customer_id")} GROUP BY e.customer_id HAVING ${having()}`;
  const { minCount, maxCount } = rule;
  if (minCount > 0)
    return {
      kind: "positive",
      sql: counted(() =>
        maxCount === null
          ? `count(*) >= ${p(minCount)}::int`
          : `count(*) BETWEEN ${p(minCount)}::int AND ${p(maxCount)}::int`,
      ),
    };
  // minCount 0: every known customer but those with more than maxCount such events.
  return { kind: "negative", sql: counted(() => `count(*) > ${p(maxCount!)}::int`) };
}
