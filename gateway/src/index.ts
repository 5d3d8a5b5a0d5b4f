// The gateway on its own: `npm run start:gateway`; point it at the subgraphs with USERS_URL etc.
// With GATEWAY_WORKERS=N (or auto), N gateway processes share the port (node:cluster).
import cluster from "node:cluster";
import { exitOnEnvironmentProblems } from "#kit/environment";
import { createLogger } from "#kit/logger";
import { runAsProcess } from "#kit/server/run-as-process";
import { gatewayWorkersFromEnv, runGatewayPrimary } from "./cluster";
import { startGateway } from "./gateway";

const log = createLogger("gateway");
exitOnEnvironmentProblems();
let workers = 1;
try {
  workers = gatewayWorkersFromEnv();
} catch (error) {
  log.error((error as Error).message);
  process.exit(1);
}
if (workers > 1 && cluster.isPrimary) runGatewayPrimary(workers, log);
else runAsProcess(log, () => startGateway());
