// The analytics subgraph on its own: `npm run start:analytics` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "#kit/logger";
import { runServiceMain } from "#kit/server/run-as-process";
import { startAnalyticsService } from "./service";

runServiceMain(createLogger("analytics"), () => startAnalyticsService());
