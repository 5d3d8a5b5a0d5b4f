// The analytics subgraph on its own: `npm run start:analytics` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "#kit/logger";
import { demoDatasetFromEnv } from "#dev/demo/demo-dataset";
import { runAsProcess } from "#kit/server/run-as-process";
import { startAnalyticsService } from "./service";

runAsProcess(createLogger("analytics"), () =>
  startAnalyticsService({ demoData: demoDatasetFromEnv() }),
);
