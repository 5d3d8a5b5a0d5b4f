import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { SeededRandom } from "#kit/random";
import { DEMO_ALERT_RULE, startDemoJobs } from "#dev/demo/demo-jobs";
import { CHROMIUM_ARGS, ensureChromium } from "./support/chromium";
import { useSupergraph } from "./support/supergraph";

// An organization of this file's own, so that no other test's events change what the page shows
// between the page's query and the test's.
const supergraph = useSupergraph({ owner: true });
const base = () => supergraph.stack.gateway.url.replace(/\/graphql$/, "");
const DAY = 86_400_000;
const PAGES = ["/", "/shoes", "/bags", "/sale", "/cart"];

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const { body } = await supergraph.request(query, {
    token: supergraph.owner.accessToken,
    variables,
  });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
};

/**
 * Seeded customers (a quarter CHURNED, so the churn model has recorded labels) and 40 days of
 * their visits: page views, sign-ups, purchases, anonymous visitors, some events in the last hours.
 */
async function seedOrganization(now: number): Promise<void> {
  const random = new SeededRandom(2112);
  const input = Array.from({ length: 90 }, (_, i) => ({
    externalId: `dash-${i}`,
    name: `Dashboard Customer ${i}`,
    status: i % 4 === 3 ? "CHURNED" : "ACTIVE",
    registeredAt: new Date(now - random.int(5, 45) * DAY).toISOString(),
  }));
  await gql(`mutation($input: [CustomerInput!]!) { upsertCustomers(input: $input) { created } }`, {
    input,
  });
  const { customers } = await gql(
    `{ customers(first: 100) { edges { node { id externalId registeredAt status } } } }`,
  );
  const events: Record<string, unknown>[] = [];
  const at = (ms: number) => new Date(Math.min(ms, now - 60_000)).toISOString();
  for (const { node } of customers.edges) {
    const start = Date.parse(node.registeredAt);
    const end = node.status === "CHURNED" ? start + (now - start) / 3 : now;
    // A landing page view, then the sign-up.
    events.push({ type: "page_view", customerId: node.id, timestamp: at(start - 300_000) });
    events.push({ type: "signup", customerId: node.id, timestamp: at(start) });
    const visits = random.int(2, 14);
    for (let v = 0; v < visits; v++) {
      const visit = start + random.next() * (end - start);
      const pages = random.int(1, 3);
      for (let p = 0; p < pages; p++)
        events.push({
          type: "page_view",
          customerId: node.id,
          timestamp: at(visit + p * 30_000),
          properties: { path: random.pick(PAGES) },
        });
      if (random.chance(0.4))
        events.push({
          type: "purchase",
          customerId: node.id,
          timestamp: at(visit + pages * 30_000),
          value: Number(random.logNormal(40, 0.5).toFixed(2)),
        });
    }
  }
  for (let v = 0; v < 60; v++) {
    const visit = now - random.next() * 40 * DAY;
    for (let p = 0; p < random.int(1, 3); p++)
      events.push({ type: "page_view", anonymousId: `dash-visitor-${v}`, timestamp: at(visit) });
  }
  // The last 48 hours, for the events chart.
  for (let i = 0; i < 150; i++)
    events.push({
      type: "page_view",
      anonymousId: `dash-live-${i % 30}`,
      timestamp: at(now - random.next() * 2 * DAY),
    });
  const { trackEvents } = await gql(
    `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted rejected { reason } } }`,
    { events },
  );
  expect(trackEvents.rejected).toEqual([]);
}

async function until<T>(what: string, read: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("the demo jobs of a first start", () => {
  it("start a segmentation, a churn training and the demo alert rule once, when the organization has none", async () => {
    await seedOrganization(Date.now());
    const credentials = { email: supergraph.owner.email, password: supergraph.owner.password };
    expect(await startDemoJobs(supergraph.stack.gateway.url, credentials)).toEqual({
      segmentation: "started",
      churnModel: "started",
      alertRule: "started",
    });
    const done = await until("the demo jobs", async () => {
      const data = await gql(
        `{ segmentation { id segments { size } } churnModel { id auc } alertRules { name metric threshold } }`,
      );
      return data.segmentation && data.churnModel ? data : null;
    });
    expect(done.segmentation.segments.length).toBeGreaterThanOrEqual(2);
    expect(done.alertRules).toEqual([
      { name: DEMO_ALERT_RULE.name, metric: "page_views", threshold: 10 },
    ]);
    expect(await startDemoJobs(supergraph.stack.gateway.url, credentials)).toEqual({
      segmentation: "present",
      churnModel: "present",
      alertRule: "present",
    });
  }, 120_000);

  it("start each job on its own: one the data refuses leaves the others started", async () => {
    const empty = await supergraph.signUp();
    const outcome = await startDemoJobs(supergraph.stack.gateway.url, {
      email: empty.email,
      password: empty.password,
    });
    expect(outcome).toEqual({
      segmentation: { failed: expect.stringMatching(/segmentation needs at least/) },
      churnModel: { failed: expect.stringMatching(/no events before the cut-off/) },
      alertRule: "started",
    });
  });
});

const browserAvailable = ensureChromium();
if (!("path" in browserAvailable))
  console.warn(`Skipping the browser test of the dashboard: ${browserAvailable.missing}.`);

/** What the page's state says of a panel, once it has loaded. */
async function panelView(page: Page, name: string): Promise<any> {
  const entry = (await page.evaluate(`window.__dashboard.panels[${JSON.stringify(name)}]`)) as {
    status: string;
    error?: string;
    view: unknown;
  };
  expect({ name, status: entry.status, error: entry.error }).toEqual({ name, status: "ok" });
  return entry.view;
}

/** The datasets a chart on the page draws. */
function chartData(page: Page, canvasId: string): Promise<{ labels: string[]; data: unknown[][] }> {
  return page.evaluate(`(() => {
    const chart = Chart.getChart(${JSON.stringify(canvasId)});
    return { labels: chart.data.labels, data: chart.data.datasets.map((d) => d.data) };
  })()`) as Promise<{ labels: string[]; data: unknown[][] }>;
}

async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(
    `window.__dashboard.ready === true && window.__dashboard.user === ${JSON.stringify(supergraph.owner.email)}`,
    undefined,
    { timeout: 60_000 },
  );
}

("path" in browserAvailable ? describe : describe.skip)(
  "the dashboard in a real browser (headless Chromium)",
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: (browserAvailable as { path: string }).path,
        args: CHROMIUM_ARGS,
      });
    }, 60_000);
    afterAll(() => browser?.close());

    it("shows every panel as the API answers for the page's settings, keeps the settings in the URL, and acknowledges and resolves an alert", async () => {
      // The demo alert rule fires on the next evaluation: a page view makes one.
      await gql(
        `mutation { trackEvents(events: [{ type: "page_view", anonymousId: "dash-trigger", timestamp: "${new Date(Date.now() - 1000).toISOString()}" }]) { accepted } }`,
      );
      const [firing] = await until("the demo alert", async () => {
        const { alerts } = await gql(`{ alerts(status: [FIRING], first: 5) { id } }`);
        return alerts.length ? alerts : null;
      });
      await gql(`mutation { setOrganizationCurrency(currency: "EUR") { currency } }`);

      const page = await browser.newPage({ viewport: { width: 1440, height: 2400 } });
      const failures: string[] = [];
      const elsewhere: string[] = [];
      page.on("requestfailed", (request) => failures.push(request.url()));
      // Offline: every file and call goes to this gateway (no CDN).
      page.on("request", (request) => {
        if (
          !request.url().startsWith(base()) &&
          !request.url().startsWith(base().replace(/^http/, "ws"))
        )
          elsewhere.push(request.url());
      });
      await page.goto(`${base()}/dashboard?interval=WEEK&tz=Europe%2FBerlin&days=90`);
      // The demo admin first (the page signs in as them), then this file's organization.
      await page.waitForFunction("window.__dashboard?.ready === true", undefined, {
        timeout: 60_000,
      });
      await page.fill("#login input[name=email]", supergraph.owner.email);
      await page.fill("#login input[name=password]", supergraph.owner.password);
      await page.click("#login button");
      await waitReady(page);
      expect(failures).toEqual([]);
      expect(elsewhere).toEqual([]);
      // No line overshoots its data: monotone interpolation or straight lines.
      const curves = await page.evaluate(`["revenue-chart", "events-chart"].flatMap((id) =>
        Chart.getChart(id).data.datasets.map((d) => d.cubicInterpolationMode === "monotone" || d.tension === 0))`);
      expect(curves).toEqual(Array(8).fill(true));

      const settings = (await page.evaluate("window.__dashboard.settings")) as Record<
        string,
        string
      >;
      expect(settings).toMatchObject({ interval: "WEEK", tz: "Europe/Berlin", days: "90" });
      const range = (await page.evaluate("window.__dashboard.range")) as Record<string, string>;
      // 90 whole days of Berlin, ending at the next local midnight.
      expect(new Date(range.to).getTime()).toBeGreaterThan(Date.now());
      expect(
        new Intl.DateTimeFormat("en-GB", {
          timeZone: "Europe/Berlin",
          hour: "2-digit",
          minute: "2-digit",
          hourCycle: "h23",
        }).format(new Date(range.from)),
      ).toBe("00:00");
      const common = { from: range.from, to: range.to, timezone: "Europe/Berlin" };

      // KPIs, in the organization's currency.
      const { summary } = await gql(
        `query($from: DateTime!, $to: DateTime!) { summary(from: $from, to: $to) { revenue { value } orders { value } averageOrderValue { value } conversionRate { value } } }`,
        { from: range.from, to: range.to },
      );
      const euros = (value: number, digits: number) =>
        new Intl.NumberFormat("en-US", {
          style: "currency",
          currency: "EUR",
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        }).format(value);
      expect(summary.revenue.value).toBeGreaterThan(0);
      expect(await page.locator("#kpi-revenue .value").textContent()).toBe(
        euros(summary.revenue.value, 0),
      );
      expect(await page.locator("#kpi-revenue .unit").textContent()).toBe("EUR");
      expect(await page.locator("#kpi-averageOrderValue .value").textContent()).toBe(
        euros(summary.averageOrderValue.value, 2),
      );
      expect(await page.locator("#kpi-orders .value").textContent()).toBe(
        summary.orders.value.toLocaleString("en-US"),
      );
      expect(await page.locator("#kpi-conversionRate .value").textContent()).toBe(
        `${(summary.conversionRate.value * 100).toFixed(1)}%`,
      );

      // Revenue and events with their anomaly bands.
      const series = async (metric: string, variables: Record<string, unknown>) =>
        gql(
          `query($metric: String!, $from: DateTime!, $to: DateTime!, $interval: Interval!, $timezone: String!) {
            timeseries(metric: $metric, from: $from, to: $to, interval: $interval, timezone: $timezone) { points { value } }
            anomalies(metric: $metric, from: $from, to: $to, interval: $interval, timezone: $timezone) { lower upper }
          }`,
          { metric, ...variables },
        );
      const revenue = await series("revenue", { ...common, interval: "WEEK" });
      const revenueChart = await chartData(page, "revenue-chart");
      expect(revenueChart.data[0]).toEqual(revenue.timeseries.points.map((p: any) => p.value));
      expect(revenueChart.data[2]).toEqual(revenue.anomalies.map((p: any) => p.lower));
      expect(revenueChart.data[3]).toEqual(revenue.anomalies.map((p: any) => p.upper));
      const events = await series("events", {
        from: range.from48h,
        to: range.to48h,
        interval: "HOUR",
        timezone: "Europe/Berlin",
      });
      const eventsChart = await chartData(page, "events-chart");
      expect(eventsChart.data[0]).toEqual(events.timeseries.points.map((p: any) => p.value));
      expect(eventsChart.data[0]).toHaveLength(48);
      // 48 hourly buckets: from the 13th on, the detector has the history for a band.
      expect(events.anomalies[12].upper).not.toBeNull();
      expect(eventsChart.data[3]).toEqual(events.anomalies.map((p: any) => p.upper));

      // The funnel of the default steps: its bars' counts as shown.
      const funnelQuery = `query($steps: [FunnelStepInput!]!, $from: DateTime!, $to: DateTime!) { funnel(steps: $steps, from: $from, to: $to) { steps { label count } } }`;
      const funnelOf = async (types: string[]) =>
        (
          await gql(funnelQuery, {
            steps: types.map((type) => ({ type })),
            from: range.from,
            to: range.to,
          })
        ).funnel.steps;
      const funnel = await funnelOf(["page_view", "signup", "purchase"]);
      expect(funnel[0].count).toBeGreaterThan(funnel[1].count);
      expect(funnel[1].count).toBeGreaterThan(funnel[2].count);
      expect(funnel[2].count).toBeGreaterThan(0);
      expect(await page.locator("#funnel .funnel-step .count").allTextContents()).toEqual(
        funnel.map((step: any) => String(step.count)),
      );

      // Retention: the heat map's cells.
      const { retention } = await gql(
        `query($from: DateTime!, $to: DateTime!, $timezone: String!) { retention(startEvent: "page_view", interval: WEEK, periods: 8, type: RECURRING, from: $from, to: $to, timezone: $timezone) { cohorts { values } } }`,
        common,
      );
      const cells = await page.$$eval("#retention tr", (rows) =>
        rows
          .slice(1)
          .map((row) =>
            [...row.querySelectorAll("td[data-value]")].map((td) =>
              Number(td.getAttribute("data-value")),
            ),
          ),
      );
      expect(cells).toEqual(retention.cohorts.map((cohort: any) => cohort.values));
      expect(cells.length).toBeGreaterThanOrEqual(13);

      // Lifecycle (dormant below the axis) and stickiness.
      const people = await gql(
        `query($from: DateTime!, $to: DateTime!, $timezone: String!) {
          lifecycle(event: "page_view", interval: WEEK, from: $from, to: $to, timezone: $timezone) { new returning resurrecting dormant }
          stickiness(event: "page_view", interval: WEEK, from: $from, to: $to, timezone: $timezone) { intervals actors }
          paths(from: $from, to: $to, depth: 4, top: 20) { step source target count }
        }`,
        common,
      );
      const lifecycleChart = await chartData(page, "lifecycle-chart");
      expect(lifecycleChart.data).toEqual([
        people.lifecycle.map((p: any) => p.new),
        people.lifecycle.map((p: any) => p.returning),
        people.lifecycle.map((p: any) => p.resurrecting),
        people.lifecycle.map((p: any) => -p.dormant),
      ]);
      expect(people.lifecycle.some((p: any) => p.dormant > 0)).toBe(true);
      const stickinessChart = await chartData(page, "stickiness-chart");
      expect(stickinessChart.data[0]).toEqual(people.stickiness.map((b: any) => b.actors));
      expect(stickinessChart.labels[0]).toBe("1");

      // Top paths, as listed.
      expect(people.paths.length).toBeGreaterThan(0);
      expect(await panelView(page, "paths")).toEqual(people.paths);
      expect(await page.locator("#paths .count").allTextContents()).toEqual(
        people.paths.map((edge: any) => String(edge.count)),
      );

      // Segments and churn risks.
      const models = await gql(
        `{ segmentation { segments { label size } } churnPredictions(first: 8) { edges { node { probability customer { name } } } } }`,
      );
      expect(await panelView(page, "models")).toEqual({
        segments: models.segmentation.segments,
        churn: models.churnPredictions.edges.map((e: any) => ({
          name: e.node.customer.name,
          probability: e.node.probability,
        })),
      });
      expect(await page.locator("#segments tr").count()).toBe(
        models.segmentation.segments.length + 1,
      );

      const artifacts = path.resolve(__dirname, "artifacts");
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, "dashboard-panels.png"), fullPage: true });

      // A setting changed through the controls: the URL holds it, the panel follows.
      await page.fill("#settings input[name=steps]", "page_view, purchase");
      await page.press("#settings input[name=steps]", "Enter");
      await page.locator("#settings input[name=steps]").blur();
      await page.waitForFunction(
        "window.__dashboard.ready === true && window.__dashboard.settings.steps === 'page_view,purchase'",
        undefined,
        { timeout: 30_000 },
      );
      await waitReady(page);
      const search = new URL(page.url()).searchParams;
      expect(Object.fromEntries(search)).toEqual({
        days: "90",
        interval: "WEEK",
        tz: "Europe/Berlin",
        steps: "page_view,purchase",
      });
      const twoSteps = await funnelOf(["page_view", "purchase"]);
      expect(await page.locator("#funnel .funnel-step .count").allTextContents()).toEqual(
        twoSteps.map((step: any) => String(step.count)),
      );
      // The shared link shows the same view.
      const shared = await browser.newPage();
      await shared.goto(page.url());
      await shared.waitForFunction("window.__dashboard?.ready === true", undefined, {
        timeout: 60_000,
      });
      expect(await shared.locator("#settings input[name=steps]").inputValue()).toBe(
        "page_view,purchase",
      );
      expect(await shared.locator("#settings select[name=interval]").inputValue()).toBe("WEEK");
      await shared.close();

      // The currency setting overrides the organization's.
      await page.fill("#settings input[name=currency]", "jpy");
      await page.locator("#settings input[name=currency]").blur();
      await page.waitForFunction(
        "window.__dashboard.ready && window.__dashboard.currency === 'JPY'",
      );
      await waitReady(page);
      expect(await page.locator("#kpi-revenue .unit").textContent()).toBe("JPY");
      expect(new URL(page.url()).searchParams.get("currency")).toBe("JPY");

      // The alert: acknowledged, then resolved, through the buttons.
      const alertStatus = async () =>
        (await gql(`{ alerts(first: 20) { id status } }`)).alerts.find(
          (a: any) => a.id === firing.id,
        ).status;
      const row = page.locator(`#alerts tr[data-id="${firing.id}"]`);
      expect(await row.locator(".status").textContent()).toBe("FIRING");
      await row.locator("button[data-act=acknowledge]").click();
      await page.waitForFunction(
        `document.querySelector('#alerts tr[data-id="${firing.id}"] .status')?.textContent.startsWith("ACKNOWLEDGED")`,
        undefined,
        { timeout: 15_000 },
      );
      expect(await alertStatus()).toBe("ACKNOWLEDGED");
      expect(await row.locator(".status").textContent()).toContain("by Test Admin");
      await row.locator("button[data-act=resolve]").click();
      // Resolved alerts leave the default list (firing and acknowledged).
      await page.waitForFunction(
        `!document.querySelector('#alerts tr[data-id="${firing.id}"]') && window.__dashboard.panels.alerts.status === "ok"`,
        undefined,
        { timeout: 15_000 },
      );
      expect(await alertStatus()).toBe("RESOLVED");
      await page.selectOption("#settings select[name=alerts]", "all");
      await page.waitForFunction(
        `document.querySelector('#alerts tr[data-id="${firing.id}"] .status')?.textContent.startsWith("RESOLVED")`,
        undefined,
        { timeout: 30_000 },
      );
      expect(await panelView(page, "alerts")).toEqual(
        (await gql(`{ alerts(first: 10) { id status } }`)).alerts,
      );
      await page.screenshot({ path: path.join(artifacts, "dashboard-alerts.png"), fullPage: true });
      await page.close();
    }, 240_000);
  },
);
