import { Arg, Ctx, Int, Query, Resolver } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import type { AnalyticsContext } from "../../context";
import { EventFilter } from "../timeseries/event-filter.input";
import { queryPaths } from "./paths-query";
import { pathsSpec } from "./paths-spec";
import { PathEdge } from "./path-edge.type";

@Resolver(() => PathEdge)
export class PathsResolver {
  @Query(() => [PathEdge], {
    description:
      "What actors do next: each actor's events of [from, to) split into sessions at gaps over sessionGapMinutes, repeats of a type in a row counted once, a path from the session's first startEvent (or its first event) of at most `depth` types. The `top` edges (step, source, target) by the paths taking them, largest first; ties by step, then source, then target (byte order). One SQL statement.",
  })
  async paths(
    @Ctx() ctx: AnalyticsContext,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("startEvent", () => String, {
      nullable: true,
      description:
        "Paths start at a session's first event of this type. @default the session's first event",
    })
    startEvent: string | null,
    @Arg("depth", () => Int, { defaultValue: 4, description: "2 to 10 types per path." })
    depth: number,
    @Arg("sessionGapMinutes", () => Int, {
      defaultValue: 30,
      description:
        "A gap over this (1 to 10080 minutes) starts a new session; exactly this does not.",
    })
    sessionGapMinutes: number,
    @Arg("top", () => Int, { defaultValue: 50, description: "1 to 1000 edges." }) top: number,
    @Arg("filter", () => EventFilter, {
      nullable: true,
      description: "Only events passing it are in sessions.",
    })
    filter: EventFilter | null,
  ): Promise<PathEdge[]> {
    const viewer = requireViewer(ctx.viewer);
    const spec = pathsSpec({
      from,
      to,
      startEvent: startEvent ?? null,
      depth,
      sessionGapMinutes,
      top,
      filter: filter ?? null,
    });
    const resolved = {
      ...spec,
      filter: await ctx.loaders!.cohorts.resolveFilter(spec.filter, "filter"),
    };
    return queryPaths(await ctx.readDataSource(), viewer.organizationId, resolved);
  }
}
