import type { DataSource } from "typeorm";
import { badUserInput } from "#kit/errors";
import { MetricDefinitionEntity } from "./metric-definition.entity";
import type { MetricDefinition } from "./metric-definition.type";
import { BUILT_IN_METRICS, type MetricSpec } from "./metric-spec";

/** The metrics an organization can query: the built-in ones, then its own by name. */
export async function listMetrics(
  dataSource: DataSource,
  organizationId: string,
): Promise<{ definition: MetricDefinition; spec: MetricSpec }[]> {
  const own = await dataSource
    .getRepository(MetricDefinitionEntity)
    .find({ where: { organizationId }, order: { name: "ASC" } });
  return [
    ...BUILT_IN_METRICS.map(({ spec, description }) => ({
      spec,
      definition: {
        name: spec.name,
        description,
        aggregation: spec.kind === "simple" ? spec.aggregation : spec.numerator.aggregation,
        eventType: spec.kind === "simple" ? spec.eventType : spec.numerator.eventType,
        builtIn: true,
      },
    })),
    ...own.map((m) => ({
      spec: {
        kind: "simple" as const,
        name: m.name,
        aggregation: m.aggregation,
        eventType: m.eventType,
        property: m.property,
      },
      definition: {
        name: m.name,
        description: m.description,
        aggregation: m.aggregation,
        eventType: m.eventType,
        builtIn: false,
      },
    })),
  ];
}

/**
 * The specs of the named metrics, in order; `BAD_USER_INPUT` listing the known names for an unknown
 * one.
 */
export async function resolveMetrics(
  dataSource: DataSource,
  organizationId: string,
  names: string[],
  field = "metric",
): Promise<MetricSpec[]> {
  if (names.length === 0) throw badUserInput("Name at least one metric.", field);
  // Built-in metrics need no database round trip.
  const builtIn = new Map(BUILT_IN_METRICS.map(({ spec }) => [spec.name, spec]));
  if (names.every((name) => builtIn.has(name))) return names.map((name) => builtIn.get(name)!);
  const known = await listMetrics(dataSource, organizationId);
  const byName = new Map(known.map((metric) => [metric.spec.name, metric.spec]));
  return names.map((name) => {
    const spec = byName.get(name);
    if (!spec)
      throw badUserInput(
        `Unknown metric '${name}'. Known metrics: ${[...byName.keys()].join(", ")}.`,
        field,
      );
    return spec;
  });
}
