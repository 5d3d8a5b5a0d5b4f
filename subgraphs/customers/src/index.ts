// The customers subgraph on its own: `npm run start:customers` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "#kit/logger";
import { runServiceMain } from "#kit/server/run-as-process";
import { startCustomersService } from "./service";

runServiceMain(createLogger("customers"), () => startCustomersService());
