// The customers subgraph on its own: `npm run start:customers` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "../../shared/src/logger";
import { runServiceMain } from "../../shared/src/service-main";
import { startCustomersService } from "./service";

runServiceMain(createLogger("customers"), () => startCustomersService());
