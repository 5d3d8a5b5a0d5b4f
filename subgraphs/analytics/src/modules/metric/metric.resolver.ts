import { Ctx, Query, Resolver } from "type-graphql";
import { requireViewer } from "../../../../shared/src/auth/guards";
import type { AnalyticsContext } from "../../context";
import { BUILT_IN_METRICS } from "./built-in-metrics";
import { MetricDefinitionEntity } from "./metric-definition.entity";
import { MetricDefinition } from "./metric-definition.type";

@Resolver(() => MetricDefinition)
export class MetricResolver {
  @Query(() => [MetricDefinition], { description: "The built-in metrics, then your organization's own, by name." })
  async metrics(@Ctx() ctx: AnalyticsContext): Promise<MetricDefinition[]> {
    const viewer = requireViewer(ctx.viewer);
    const own = await ctx.dataSource
      .getRepository(MetricDefinitionEntity)
      .find({ where: { organizationId: viewer.organizationId }, order: { name: "ASC" } });
    return [
      ...BUILT_IN_METRICS,
      ...own.map((m) => ({ name: m.name, description: m.description, aggregation: m.aggregation, eventType: m.eventType, builtIn: false })),
    ];
  }
}
