// The users subgraph on its own: `npm run start:users` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "../../shared/src/logger";
import { runServiceMain } from "../../shared/src/service-main";
import { startUsersService } from "./service";

runServiceMain(createLogger("users"), () => startUsersService());
