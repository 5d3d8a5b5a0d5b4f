import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import type { ServiceMetrics } from "./service-metrics";

/**
 * Counts each GraphQL operation Apollo Server answers and times it, by operation name and outcome.
 */
export function metricsPlugin<TContext extends BaseContext>(
  metrics: ServiceMetrics,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ request, operationName, response }) {
          const operation = metrics.operationLabel(operationName ?? request.operationName);
          const failed =
            response.body.kind === "single" && (response.body.singleResult.errors?.length ?? 0) > 0;
          metrics.graphqlRequests.inc({ operation, outcome: failed ? "error" : "ok" });
          metrics.graphqlDuration.observe(
            { operation },
            Number(process.hrtime.bigint() - started) / 1e9,
          );
        },
      };
    },
  };
}
