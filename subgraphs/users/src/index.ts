// The users subgraph on its own: `npm run start:users` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "#kit/logger";
import { demoDatasetFromEnv } from "#dev/demo/demo-dataset";
import { runAsProcess } from "#kit/server/run-as-process";
import { startUsersService } from "./service";

runAsProcess(createLogger("users"), () => startUsersService({ demoData: demoDatasetFromEnv() }));
