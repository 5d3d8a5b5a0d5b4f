import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { requireUser, requireViewer } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { badUserInput } from "#kit/errors";
import type { AnalyticsContext } from "../../context";
import { Aggregation } from "./aggregation";
import { listMetrics } from "./metric-catalog";
import { MetricDefinitionEntity } from "./metric-definition.entity";
import { MetricDefinition } from "./metric-definition.type";
import { MetricInput } from "./metric.input";
import { BUILT_IN_METRICS } from "./metric-spec";

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const PROPERTY = /^[A-Za-z0-9_.-]{1,64}$/;

@Resolver(() => MetricDefinition)
export class MetricResolver {
  @Query(() => [MetricDefinition], {
    description: "The built-in metrics, then your organization's own, by name.",
  })
  async metrics(@Ctx() ctx: AnalyticsContext): Promise<MetricDefinition[]> {
    const viewer = requireViewer(ctx.viewer);
    return (await listMetrics(ctx.dataSource, viewer.organizationId)).map(
      (metric) => metric.definition,
    );
  }

  @Mutation(() => MetricDefinition, {
    description: "Defines a metric of your organization's own. ANALYST or ADMIN.",
  })
  async defineMetric(
    @Arg("input", () => MetricInput) input: MetricInput,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<MetricDefinition> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    const name = input.name.trim();
    if (!NAME.test(name))
      throw badUserInput(
        "A metric name is lower case letters, digits and _, starting with a letter (at most 63).",
        "input.name",
      );
    if (BUILT_IN_METRICS.some(({ spec }) => spec.name === name))
      throw badUserInput(`'${name}' is a built-in metric.`, "input.name");
    const eventType = input.eventType.trim();
    if (eventType.length < 1 || eventType.length > 64)
      throw badUserInput("eventType must be 1 to 64 characters.", "input.eventType");
    const property = input.property?.trim() || null;
    if (property && !PROPERTY.test(property))
      throw badUserInput(
        "property must be 1 to 64 letters, digits, '_', '.' or '-'.",
        "input.property",
      );
    if (
      property &&
      (input.aggregation === Aggregation.COUNT ||
        input.aggregation === Aggregation.DISTINCT_CUSTOMERS)
    ) {
      throw badUserInput(
        `${input.aggregation} counts events or customers; it takes no property.`,
        "input.property",
      );
    }
    const repository = ctx.dataSource.getRepository(MetricDefinitionEntity);
    const saved = await repository
      .createQueryBuilder()
      .insert()
      .values({
        organizationId: user.organizationId,
        name,
        description: input.description?.trim() ?? "",
        eventType,
        aggregation: input.aggregation,
        property,
      })
      .orIgnore()
      .returning("*")
      .execute();
    if (saved.raw.length === 0)
      throw badUserInput(`Your organization already has a metric named '${name}'.`, "input.name");
    return {
      name,
      description: input.description?.trim() ?? "",
      aggregation: input.aggregation,
      eventType,
      builtIn: false,
    };
  }
}
