// The live dashboard: KPIs in the organization's currency, revenue and events charts with their
// anomaly bands kept current through metricUpdated, the funnel, retention, lifecycle, stickiness
// and top paths of the chosen settings, alerts to acknowledge and resolve, segments and churn
// risks. The settings live in the query string. Talks to the gateway only (HTTP and graphql-ws on
// /graphql); every file it loads comes from this gateway.
import { createClient } from "/graphiql/assets/graphql-ws/client.js";
import {
  applyLivePoint,
  bandChart,
  bucketLabel,
  lifecycleChart,
  setBandSeries,
  setLifecycle,
  setStickiness,
  stickinessChart,
} from "/dashboard/charts.js";
import {
  renderAlerts,
  renderChurn,
  renderFunnel,
  renderKpis,
  renderPaths,
  renderRetention,
  renderSegments,
} from "/dashboard/panels.js";
import {
  eventList,
  isTimeZone,
  rangeOf,
  readSettings,
  settingsSearch,
} from "/dashboard/settings.js";

const url = new URL("/graphql", location.href).href;
/**
 * The live state, for tests and curious people: the settings, the range read, the currency shown,
 * and per panel its status ("loading", "ok" or "error" with `error`) and `view` (what it shows).
 */
const state = {
  token: null,
  /** The email signed in with. */
  user: null,
  ws: null,
  ready: false,
  loads: 0,
  updates: 0,
  revenue: null,
  events: null,
  alertsTriggered: 0,
  settings: readSettings(location.search),
  range: null,
  currency: "USD",
  organizationCurrency: "USD",
  panels: {},
};
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

const $ = (id) => document.getElementById(id);
const charts = {};
const showStatus = (text) => ($("status").textContent = text);

/** The currency shown: the `currency` setting when it is a known code, else the organization's. */
function chosenCurrency() {
  const code = state.settings.currency.trim().toUpperCase();
  if (/^[A-Z]{3}$/.test(code) && Intl.supportedValuesOf("currency").includes(code)) return code;
  return state.organizationCurrency;
}

/**
 * Loads one panel: runs its query and renders the answer, or shows the error in the panel (the
 * other panels go on). Resolves when done.
 */
async function panel(name, element, query, variables, render) {
  const entry = { status: "loading", variables };
  state.panels[name] = entry;
  try {
    const data = await gql(query, variables);
    // A later load of this panel (the settings changed meanwhile) has the last word.
    if (state.panels[name] !== entry) return;
    entry.view = render(data);
    entry.status = "ok";
  } catch (error) {
    if (state.panels[name] !== entry) return;
    entry.status = "error";
    entry.error = error.message;
    if (element) element.innerHTML = `<p class="error">${error.message.replace(/</g, "&lt;")}</p>`;
  }
}

const SUMMARY = `query Summary($from: DateTime!, $to: DateTime!) {
  summary(from: $from, to: $to) { revenue { value change } orders { value change } activeCustomers { value change } newCustomers { value change } averageOrderValue { value change } conversionRate { value change } }
}`;
const BAND_SERIES = `query Series($metric: String!, $from: DateTime!, $to: DateTime!, $interval: Interval!, $timezone: String!) {
  series: timeseries(metric: $metric, from: $from, to: $to, interval: $interval, timezone: $timezone) { points { bucket value } }
  band: anomalies(metric: $metric, from: $from, to: $to, interval: $interval, timezone: $timezone) { bucket value expected lower upper anomaly }
}`;
const FUNNEL = `query Funnel($steps: [FunnelStepInput!]!, $from: DateTime!, $to: DateTime!) {
  funnel(steps: $steps, from: $from, to: $to) { steps { index label count conversionRate stepConversionRate } }
}`;
const RETENTION = `query Retention($event: String!, $interval: Interval!, $type: RetentionType!, $from: DateTime!, $to: DateTime!, $timezone: String!) {
  retention(startEvent: $event, interval: $interval, periods: 8, type: $type, from: $from, to: $to, timezone: $timezone) { cohorts { start size values rates } }
}`;
const LIFECYCLE = `query Lifecycle($event: String!, $interval: Interval!, $from: DateTime!, $to: DateTime!, $timezone: String!) {
  lifecycle(event: $event, interval: $interval, from: $from, to: $to, timezone: $timezone) { bucket new returning resurrecting dormant }
}`;
const STICKINESS = `query Stickiness($event: String!, $interval: Interval!, $from: DateTime!, $to: DateTime!, $timezone: String!) {
  stickiness(event: $event, interval: $interval, from: $from, to: $to, timezone: $timezone) { intervals actors }
}`;
const PATHS = `query Paths($startEvent: String, $from: DateTime!, $to: DateTime!) {
  paths(startEvent: $startEvent, from: $from, to: $to, depth: 4, top: 20) { step source target count }
}`;
const ALERTS = `query Alerts($status: [AlertStatus!]) {
  alerts(status: $status, first: 10) { id status value threshold condition triggeredAt rule { name } acknowledgedBy { name } }
}`;
const MODELS = `{
  segmentation { segments { label size share } }
  churnPredictions(first: 8) { edges { node { probability band customer { name } } } }
}`;

function loadAlerts() {
  return panel(
    "alerts",
    $("alerts"),
    ALERTS,
    { status: state.settings.alerts === "open" ? ["FIRING", "ACKNOWLEDGED"] : null },
    (data) => renderAlerts($("alerts"), data.alerts, act),
  );
}

/** Acknowledges or resolves an alert, then reads the alerts again (alertTriggered sends only firings). */
async function act(id, action) {
  const mutation =
    action === "acknowledge"
      ? `mutation($id: ID!) { acknowledgeAlert(id: $id) { id status } }`
      : `mutation($id: ID!) { resolveAlert(id: $id) { id status } }`;
  try {
    await gql(mutation, { id });
  } catch (error) {
    showStatus(error.message);
  }
  await loadAlerts();
}

async function load() {
  const settings = state.settings;
  const range = rangeOf(settings);
  state.range = range;
  state.currency = chosenCurrency();
  const { from, to } = range;
  const { interval, tz: timezone, event } = settings;
  const label = (bucket) => bucketLabel(bucket, interval, timezone);
  const unit = interval.toLowerCase();
  $("revenue-title").textContent =
    `Revenue per ${unit} (${state.currency}, live) with its expected band`;
  $("retention-title").textContent =
    `Retention of "${event}" by ${unit} (${settings.retention.toLowerCase().replace("_", "-")} cohorts)`;
  $("lifecycle-title").textContent = `Lifecycle of "${event}" per ${unit}`;
  $("stickiness-title").textContent = `Stickiness: actors by ${unit}s with "${event}"`;
  charts.revenue ??= bandChart($("revenue-chart"), "Revenue", "#0b63ce");
  charts.events ??= bandChart($("events-chart"), "Events", "#18804b");
  charts.lifecycle ??= lifecycleChart($("lifecycle-chart"));
  charts.stickiness ??= stickinessChart($("stickiness-chart"));
  charts.revenue.data.datasets[0].label = `Revenue (${state.currency})`;
  const steps = eventList(settings.steps).map((type) => ({ type }));
  await Promise.all([
    panel("kpis", $("kpis"), SUMMARY, { from, to }, (data) =>
      renderKpis($("kpis"), data.summary, state.currency),
    ),
    panel(
      "revenue",
      null,
      BAND_SERIES,
      { metric: "revenue", from, to, interval, timezone },
      (data) => {
        setBandSeries(charts.revenue, data.series.points, data.band, label);
        return { points: data.series.points, band: data.band };
      },
    ),
    panel(
      "events",
      null,
      BAND_SERIES,
      { metric: "events", from: range.from48h, to: range.to48h, interval: "HOUR", timezone },
      (data) => {
        setBandSeries(charts.events, data.series.points, data.band, (bucket) =>
          bucketLabel(bucket, "HOUR", timezone),
        );
        return { points: data.series.points, band: data.band };
      },
    ),
    panel("funnel", $("funnel"), FUNNEL, { steps, from, to }, (data) =>
      renderFunnel($("funnel"), data.funnel.steps),
    ),
    panel(
      "retention",
      $("retention"),
      RETENTION,
      { event, interval, type: settings.retention, from, to, timezone },
      (data) => renderRetention($("retention"), data.retention, label),
    ),
    panel("lifecycle", null, LIFECYCLE, { event, interval, from, to, timezone }, (data) => {
      setLifecycle(charts.lifecycle, data.lifecycle, label);
      return data.lifecycle;
    }),
    panel("stickiness", null, STICKINESS, { event, interval, from, to, timezone }, (data) => {
      setStickiness(charts.stickiness, data.stickiness, `${unit}s`);
      return data.stickiness;
    }),
    panel(
      "paths",
      $("paths"),
      PATHS,
      { startEvent: settings.pathStart.trim() || null, from, to },
      (data) => renderPaths($("paths"), data.paths),
    ),
    loadAlerts(),
    panel("models", null, MODELS, {}, (data) => ({
      segments: renderSegments($("segments"), data.segmentation),
      churn: renderChurn($("churn"), data.churnPredictions),
    })),
  ]);
  for (const name of ["revenue", "events", "lifecycle", "stickiness"]) {
    const entry = state.panels[name];
    const container = $(`${name}-chart`).parentElement;
    container.querySelector(".error")?.remove();
    if (entry.status === "error")
      container.insertAdjacentHTML(
        "beforeend",
        `<p class="error">${entry.error.replace(/</g, "&lt;")}</p>`,
      );
  }
  state.loads++;
}

function subscribeLive() {
  state.ws?.dispose();
  state.ws = createClient({
    url: url.replace(/^http/, "ws"),
    connectionParams: { authorization: `Bearer ${state.token}` },
  });
  const { interval, tz: timezone } = state.settings;
  const failed = () => showStatus("live updates stopped (sign in again)");
  const watch = (metric, every, chart, key) =>
    state.ws.subscribe(
      {
        query: `subscription($metric: String!, $interval: Interval!, $timezone: String!) { metricUpdated(metric: $metric, interval: $interval, timezone: $timezone) { bucket value } }`,
        variables: { metric, interval: every, timezone },
      },
      {
        next: ({ data }) => {
          if (!data) return;
          state.updates++;
          state[key] = data.metricUpdated.value;
          // Only a bucket inside the chart's range is drawn (a day past `to` waits for a reload).
          const bucket = Date.parse(data.metricUpdated.bucket);
          const end = Date.parse(key === "events" ? state.range.to48h : state.range.to);
          if (bucket < end)
            applyLivePoint(chart, data.metricUpdated, (b) => bucketLabel(b, every, timezone));
          showStatus(`live · ${state.updates} updates`);
        },
        error: failed,
        complete: () => undefined,
      },
    );
  watch("revenue", interval, charts.revenue, "revenue");
  watch("events", "HOUR", charts.events, "events");
  state.ws.subscribe(
    { query: `subscription { alertTriggered { id } }` },
    {
      next: () => {
        state.alertsTriggered++;
        void loadAlerts();
      },
      error: failed,
      complete: () => undefined,
    },
  );
}

/** Shows the settings in the form. */
function showSettings() {
  const form = $("settings");
  for (const [key, value] of Object.entries(state.settings)) form.elements[key].value = value;
}

$("settings").addEventListener("change", () => {
  const form = new FormData($("settings"));
  const next = { ...state.settings };
  for (const key of Object.keys(next)) next[key] = String(form.get(key) ?? "").trim();
  if (!isTimeZone(next.tz)) next.tz = state.settings.tz;
  const liveChanged = next.interval !== state.settings.interval || next.tz !== state.settings.tz;
  state.settings = readSettings(settingsSearch(next));
  showSettings();
  history.replaceState(null, "", `${location.pathname}${settingsSearch(state.settings)}`);
  if (!state.token) return;
  state.ready = false;
  load()
    .then(() => {
      if (liveChanged) subscribeLive();
      state.ready = true;
    })
    .catch((error) => showStatus(error.message));
});

let signIns = 0;

/** Signs in and loads every panel; a later sign-in supersedes one still under way. */
async function signIn(email, password) {
  const attempt = ++signIns;
  state.ready = false;
  showStatus("signing in…");
  const data = await gql(
    `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { name organization { currency } } } }`,
    { email, password },
  );
  if (attempt !== signIns) return;
  state.token = data.login.accessToken;
  state.user = email;
  state.organizationCurrency = data.login.user.organization.currency;
  await load();
  if (attempt !== signIns) return;
  subscribeLive();
  showStatus(`${data.login.user.name} · live`);
  state.ready = true;
}

showSettings();
$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  signIn(form.get("email"), form.get("password")).catch((error) => showStatus(error.message));
});
signIn("admin@acme.test", "demo-password").catch((error) =>
  showStatus(`${error.message} (sign in above)`),
);
