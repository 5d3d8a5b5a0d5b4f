// The customers subgraph on its own: `npm run start:customers` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "#kit/logger";
import { demoDatasetFromEnv } from "#dev/demo/demo-dataset";
import { runAsProcess } from "#kit/server/run-as-process";
import { startCustomersService } from "./service";

runAsProcess(createLogger("customers"), () =>
  startCustomersService({ demoData: demoDatasetFromEnv() }),
);
