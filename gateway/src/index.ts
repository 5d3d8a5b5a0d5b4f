// The gateway on its own: `npm run start:gateway`; point it at the subgraphs with USERS_URL etc.
import { createLogger } from "../../subgraphs/shared/src/logger";
import { runServiceMain } from "../../subgraphs/shared/src/service-main";
import { startGateway } from "./gateway";

runServiceMain(createLogger("gateway"), () => startGateway());
