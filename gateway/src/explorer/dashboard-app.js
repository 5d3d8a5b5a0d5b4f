// The live dashboard: KPIs, revenue and events charts kept current through metricUpdated,
// segments and churn risks. Talks to the gateway only (HTTP and graphql-ws on /graphql).
import { createClient } from "/graphiql/assets/graphql-ws/client.js";

const url = new URL("/graphql", location.href).href;
const state = { token: null, ws: null, updates: 0, revenue: null, events: null };
// For tests and curious people: the live state.
window.__dashboard = state;

async function gql(query, variables = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(state.token ? { authorization: `Bearer ${state.token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data;
}

const money = (value) => (value ?? 0).toLocaleString("en-US", { maximumFractionDigits: 0 });
const KPIS = [
  ["revenue", "Revenue", money],
  ["orders", "Orders", money],
  ["activeCustomers", "Active customers", money],
  ["newCustomers", "New customers", money],
  ["averageOrderValue", "Avg order value", (v) => (v ?? 0).toFixed(2)],
  ["conversionRate", "Conversion", (v) => `${((v ?? 0) * 100).toFixed(1)}%`],
];

function lineChart(canvas, label, color) {
  return new Chart(canvas, {
    type: "line",
    data: {
      labels: [],
      datasets: [
        {
          label,
          data: [],
          borderColor: color,
          backgroundColor: `${color}22`,
          fill: true,
          tension: 0.25,
          pointRadius: 0,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { ticks: { maxTicksLimit: 8 } } },
    },
  });
}

const charts = {};

function setSeries(chart, points, format) {
  chart.data.labels = points.map((p) => format(new Date(p.bucket)));
  chart.data.datasets[0].data = points.map((p) => p.value);
  chart.$buckets = points.map((p) => p.bucket);
  chart.update();
}

/** A metricUpdated value: replaces its bucket's point, or appends a new bucket. */
function applyPoint(chart, point, format) {
  const index = chart.$buckets.indexOf(point.bucket);
  if (index >= 0) chart.data.datasets[0].data[index] = point.value;
  else {
    chart.$buckets.push(point.bucket);
    chart.data.labels.push(format(new Date(point.bucket)));
    chart.data.datasets[0].data.push(point.value);
  }
  chart.update();
}

const day = (d) => d.toISOString().slice(5, 10);
const hour = (d) => `${d.toISOString().slice(11, 13)}h`;

async function load() {
  const now = new Date();
  const to = new Date(Math.ceil(now.getTime() / 3_600_000) * 3_600_000);
  const from30 = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 29));
  const toDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const from48h = new Date(to.getTime() - 48 * 3_600_000);
  const data = await gql(
    `query Dashboard($from30: DateTime!, $toDay: DateTime!, $from48h: DateTime!, $to: DateTime!) {
      summary(from: $from30, to: $toDay) { ${KPIS.map(([k]) => `${k} { value change }`).join(" ")} }
      revenue: timeseries(metric: "revenue", from: $from30, to: $toDay, interval: DAY) { points { bucket value } }
      events: timeseries(metric: "events", from: $from48h, to: $to, interval: HOUR) { points { bucket value } }
      segmentation { segments { label size share } }
      churnPredictions(first: 8) { edges { node { probability band customer { name } } } }
    }`,
    {
      from30: from30.toISOString(),
      toDay: toDay.toISOString(),
      from48h: from48h.toISOString(),
      to: to.toISOString(),
    },
  );
  document.getElementById("kpis").innerHTML = KPIS.map(([key, label, format]) => {
    const kpi = data.summary[key];
    const change =
      kpi.change == null
        ? ""
        : `<span class="change ${kpi.change >= 0 ? "up" : "down"}">${kpi.change >= 0 ? "▲" : "▼"} ${(Math.abs(kpi.change) * 100).toFixed(1)}%</span>`;
    return `<div class="card kpi" id="kpi-${key}"><div class="label">${label}</div><div class="value">${format(kpi.value)}</div>${change}</div>`;
  }).join("");
  charts.revenue ??= lineChart(
    document.getElementById("revenue-chart"),
    "Revenue per day (live)",
    "#0b63ce",
  );
  charts.events ??= lineChart(
    document.getElementById("events-chart"),
    "Events per hour (live)",
    "#18804b",
  );
  setSeries(charts.revenue, data.revenue.points, day);
  setSeries(charts.events, data.events.points, hour);
  const segments = data.segmentation?.segments ?? [];
  document.getElementById("segments").innerHTML = segments.length
    ? `<tr><th>Segment</th><th>Customers</th><th>Share</th></tr>${segments.map((s) => `<tr><td>${escapeHtml(s.label)}</td><td>${s.size}</td><td>${(s.share * 100).toFixed(1)}%</td></tr>`).join("")}`
    : "<tr><td>No segmentation yet: run runSegmentation.</td></tr>";
  const risks = data.churnPredictions.edges.map((e) => e.node);
  document.getElementById("churn").innerHTML = risks.length
    ? `<tr><th>Customer</th><th>Probability</th><th>Band</th></tr>${risks.map((r) => `<tr><td>${escapeHtml(r.customer?.name ?? "?")}</td><td>${(r.probability * 100).toFixed(0)}%</td><td>${r.band}</td></tr>`).join("")}`
    : "<tr><td>No churn model yet: run trainChurnModel.</td></tr>";
}

function escapeHtml(text) {
  return String(text).replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );
}

function subscribeLive() {
  state.ws?.dispose();
  state.ws = createClient({
    url: url.replace(/^http/, "ws"),
    connectionParams: { authorization: `Bearer ${state.token}` },
  });
  const watch = (metric, interval, chart, format, key) =>
    state.ws.subscribe(
      {
        query: `subscription($metric: String!, $interval: Interval!) { metricUpdated(metric: $metric, interval: $interval) { bucket value } }`,
        variables: { metric, interval },
      },
      {
        next: ({ data }) => {
          if (!data) return;
          state.updates++;
          state[key] = data.metricUpdated.value;
          applyPoint(chart, data.metricUpdated, format);
          document.getElementById("status").textContent = `live · ${state.updates} updates`;
        },
        error: () =>
          (document.getElementById("status").textContent = "live updates stopped (sign in again)"),
        complete: () => undefined,
      },
    );
  watch("revenue", "DAY", charts.revenue, day, "revenue");
  watch("events", "HOUR", charts.events, hour, "events");
}

async function signIn(email, password) {
  document.getElementById("status").textContent = "signing in…";
  const data = await gql(
    `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { name } } }`,
    { email, password },
  );
  state.token = data.login.accessToken;
  await load();
  subscribeLive();
  document.getElementById("status").textContent = `${data.login.user.name} · live`;
  state.ready = true;
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  signIn(form.get("email"), form.get("password")).catch(
    (error) => (document.getElementById("status").textContent = error.message),
  );
});
signIn("admin@acme.test", "demo-password").catch(
  (error) => (document.getElementById("status").textContent = `${error.message} (sign in above)`),
);
