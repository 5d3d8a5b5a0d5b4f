import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/** Tracing of this process, when switched on; `shutdown` flushes the spans not yet exported. */
export interface Tracing {
  shutdown(): Promise<void>;
}

let started: Tracing | null | undefined;

/**
 * Switches OpenTelemetry tracing on with the standard variables: it is on when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (or
 * `OTEL_TRACES_EXPORTER=otlp`), unless `OTEL_SDK_DISABLED=true`. Spans (the gateway's request,
 * planning, execution and one per subgraph fetch) are sent over OTLP/HTTP in batches; the
 * exporter reads the other `OTEL_EXPORTER_OTLP_*` variables (headers, timeout) itself.
 * `OTEL_SERVICE_NAME` names the process (default `federated-analytics-<service>`). Idempotent.
 */
export function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): Tracing | null {
  if (started !== undefined) return started;
  const wanted =
    env.OTEL_EXPORTER_OTLP_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    env.OTEL_TRACES_EXPORTER === "otlp";
  if (!wanted || env.OTEL_SDK_DISABLED === "true") return (started = null);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME || `federated-analytics-${service}`,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  started = { shutdown: () => provider.shutdown() };
  return started;
}
