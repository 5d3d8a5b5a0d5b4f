import { EventSubscriber, type EntitySubscriberInterface } from "typeorm";
import type { AfterQueryEvent } from "typeorm/subscriber/event/QueryEvent";
import { metricsFor } from "./service-metrics";

/** Counts and times every SQL statement of a data source, for its service's `/metrics`. */
@EventSubscriber()
export class SqlMetricsSubscriber implements EntitySubscriberInterface {
  afterQuery(event: AfterQueryEvent<unknown>): void {
    const service = String(
      (event.connection.options as { applicationName?: string }).applicationName ?? "unknown",
    );
    const metrics = metricsFor(service);
    metrics.sqlStatements.inc({ outcome: event.success ? "ok" : "error" });
    if (event.success && event.executionTime !== undefined)
      metrics.sqlDuration.observe(event.executionTime / 1000);
  }
}
