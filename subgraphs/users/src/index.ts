// The users subgraph on its own: `npm run start:users` (after `npm run build`).
import "reflect-metadata";
import { createLogger } from "#kit/logger";
import { runServiceMain } from "#kit/server/run-as-process";
import { startUsersService } from "./service";

runServiceMain(createLogger("users"), () => startUsersService());
