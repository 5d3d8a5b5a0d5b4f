// `npm start`: the whole supergraph on one machine, a process per part: an embedded PostgreSQL
// (unless DATABASE_URL, or USERS_DATABASE_URL, CUSTOMERS_DATABASE_URL and ANALYTICS_DATABASE_URL,
// is set), the three subgraphs and the gateway. A part that dies is started again; Ctrl-C stops
// the gateway, the subgraphs and PostgreSQL in that order.
import { createLogger } from "#kit/logger";
import { DEMO_PASSWORD } from "#dev/demo/demo-dataset";
import { startDemoJobsInBackground } from "#dev/demo/demo-jobs";
import { exitOnEnvironmentProblems } from "#kit/environment";
import { startTracing } from "#kit/tracing";
import { dropOutputOnceClosed } from "#kit/server/closed-output";
import { startStack, type RunningStack } from "./start-stack";

const log = createLogger("stack");

exitOnEnvironmentProblems();
startTracing("stack");
dropOutputOnceClosed();
let started: RunningStack | undefined;
// A launcher that fails stops what it started (PostgreSQL too, which would outlive it) first.
process.once("uncaughtException", (error) => {
  log.error(`the launcher failed: ${error.stack ?? error.message}`);
  void (started?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
});
startStack({ mode: "processes" }).then(
  (stack) => {
    started = stack;
    const { users, customers, analytics } = stack.subgraphs;
    console.log(`
  Federated Analytics is running.

  gateway     ${stack.gateway.url}   (GraphQL over HTTP and WebSocket)
  GraphiQL    ${stack.gateway.url.replace(/\/graphql$/, "/graphiql")}  (offline, signed in as the demo admin)
  dashboard   ${stack.gateway.url.replace(/\/graphql$/, "/dashboard")}  (live KPIs, charts, people analytics, alerts)
  users       ${users.url}
  customers   ${customers.url}
  analytics   ${analytics.url}

  Demo login: admin@acme.test / ${DEMO_PASSWORD}  (also analyst@ and viewer@; a second tenant at globex.test)
  Press Ctrl-C to stop.
`);
    // The first start (or any start without them): segments, churn risks and an alert rule for
    // the dashboard, computed in the background while the stack serves (DEMO_JOBS=false: none).
    if (process.env.DEMO_JOBS !== "false")
      void startDemoJobsInBackground(
        stack.gateway.url,
        ["analyst@acme.test", "analyst@globex.test"].map((email) => ({
          email,
          password: DEMO_PASSWORD,
        })),
        log,
      );
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping the gateway, the subgraphs and PostgreSQL`);
      stack.stop().then(
        () => process.exit(0),
        (error) => {
          log.error("shutdown failed", error);
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGTERM", () => shutdown("SIGTERM"));
  },
  (error: Error) => {
    log.error(error.message);
    process.exit(1);
  },
);
