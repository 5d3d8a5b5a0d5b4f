// The analytics subgraph on its own: `npm run start:analytics` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "../../shared/src/logger";
import { runServiceMain } from "../../shared/src/service-main";
import { startAnalyticsService } from "./service";

runServiceMain(createLogger("analytics"), () => startAnalyticsService());
