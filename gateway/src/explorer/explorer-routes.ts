import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { RouteHandler } from "#kit/http/graphql-http-server";

/** Where the gateway serves the offline GraphiQL. */
export const GRAPHIQL_PATH = "/graphiql";
/** Where the gateway serves the live dashboard. */
export const DASHBOARD_PATH = "/dashboard";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
};

/** The folder of an installed package (also of one whose "exports" hide its package.json). */
function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    const entry = require.resolve(name);
    return entry.slice(
      0,
      entry.lastIndexOf(`${path.sep}node_modules${path.sep}${name}${path.sep}`) +
        `${path.sep}node_modules${path.sep}${name}`.length,
    );
  }
}

/** A handler answering GET with a file read once, cached by the browser for an hour. */
function fileRoute(file: string): RouteHandler {
  const body = readFileSync(file);
  const type = TYPES[path.extname(file)] ?? "application/octet-stream";
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET" });
      return void res.end();
    }
    res.writeHead(200, {
      "content-type": type,
      "content-length": body.length,
      "cache-control": "public, max-age=3600",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  };
}

/**
 * The routes of the offline GraphiQL: its page and script (in this folder) and the files it loads,
 * all from installed npm packages (React 18 and GraphiQL 3 UMD builds, graphql-ws's browser
 * client), so it works with no internet.
 */
export function explorerRoutes(): Record<string, RouteHandler> {
  const here = __dirname.includes(`${path.sep}dist${path.sep}`)
    ? path.resolve(__dirname, "../../../../gateway/src/explorer")
    : __dirname;
  const graphqlWs = path.join(packageDir("graphql-ws"), "dist");
  const routes: Record<string, RouteHandler> = {
    [GRAPHIQL_PATH]: fileRoute(path.join(here, "graphiql.html")),
    [`${GRAPHIQL_PATH}/app.js`]: fileRoute(path.join(here, "graphiql-app.js")),
    [`${GRAPHIQL_PATH}/assets/react.js`]: fileRoute(
      path.join(packageDir("react"), "umd/react.production.min.js"),
    ),
    [`${GRAPHIQL_PATH}/assets/react-dom.js`]: fileRoute(
      path.join(packageDir("react-dom"), "umd/react-dom.production.min.js"),
    ),
    [`${GRAPHIQL_PATH}/assets/graphiql.js`]: fileRoute(
      path.join(packageDir("graphiql"), "graphiql.min.js"),
    ),
    [`${GRAPHIQL_PATH}/assets/graphiql.css`]: fileRoute(
      path.join(packageDir("graphiql"), "graphiql.min.css"),
    ),
    [DASHBOARD_PATH]: fileRoute(path.join(here, "dashboard.html")),
    [`${DASHBOARD_PATH}/app.js`]: fileRoute(path.join(here, "dashboard-app.js")),
    [`${DASHBOARD_PATH}/charts.js`]: fileRoute(path.join(here, "dashboard-charts.js")),
    [`${DASHBOARD_PATH}/panels.js`]: fileRoute(path.join(here, "dashboard-panels.js")),
    [`${DASHBOARD_PATH}/settings.js`]: fileRoute(path.join(here, "dashboard-settings.js")),
    [`${DASHBOARD_PATH}/assets/chart.js`]: fileRoute(
      path.join(packageDir("chart.js"), "dist/chart.umd.min.js"),
    ),
  };
  // graphql-ws's ES module client and the chunk it imports (its file name carries a hash).
  for (const file of readdirSync(graphqlWs).filter(
    (name) => name === "client.js" || /^common-.*\.js$/.test(name),
  )) {
    routes[`${GRAPHIQL_PATH}/assets/graphql-ws/${file}`] = fileRoute(path.join(graphqlWs, file));
  }
  return routes;
}

/**
 * What a browser gets on GET /graphql: a small page offering the offline GraphiQL and Apollo
 * Sandbox (which loads from the internet).
 */
export function landingPage(graphqlUrl: string): string {
  const sandbox = `https://studio.apollographql.com/sandbox/explorer?endpoint=${encodeURIComponent(graphqlUrl)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Federated Analytics</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1b2430}a{color:#0b63ce}code{background:#f0f2f5;padding:0 .3em;border-radius:3px}</style></head>
<body><h1>Federated Analytics</h1>
<p>This is the GraphQL endpoint: POST queries here, or open a subscription over WebSocket on the same URL.</p>
<ul>
<li><a href="${GRAPHIQL_PATH}">GraphiQL</a>, served by this gateway: works offline, signs in as the demo admin, runs subscriptions.</li>
<li><a href="${DASHBOARD_PATH}">The live dashboard</a>: KPIs, revenue and events with anomaly bands updating live, funnel, retention, lifecycle, stickiness, top paths, alerts, segments, churn risks.</li>
<li><a href="${sandbox}">Apollo Sandbox</a> (needs internet; use <code>${graphqlUrl}</code> as the endpoint).</li>
</ul></body></html>`;
}
