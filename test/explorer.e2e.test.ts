import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM_ARGS, ensureChromium } from "./support/chromium";
import { useSupergraph } from "./support/supergraph";

// The demo data must be there for GraphiQL's prefilled demo login.
const supergraph = useSupergraph();

const base = () => supergraph.stack.gateway.url.replace(/\/graphql$/, "");

describe("the offline GraphiQL", () => {
  it("is served with every file it loads from this gateway (no CDN)", async () => {
    const page = await fetch(`${base()}/graphiql`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(sources.length).toBeGreaterThanOrEqual(5);
    for (const source of sources) {
      expect(source.startsWith("/graphiql/")).toBe(true);
      const asset = await fetch(`${base()}${source}`);
      expect({ source, status: asset.status }).toEqual({ source, status: 200 });
    }
    const app = await (await fetch(`${base()}/graphiql/app.js`)).text();
    const imported = /from "([^"]+)"/.exec(app)![1];
    expect((await fetch(`${base()}${imported}`)).status).toBe(200);
  });

  it("offers GraphiQL and Apollo Sandbox to a browser that opens /graphql", async () => {
    const response = await fetch(supergraph.stack.gateway.url, {
      headers: { accept: "text/html" },
    });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('href="/graphiql"');
    expect(html).toContain("studio.apollographql.com/sandbox");
  });
});

const browserAvailable = ensureChromium();
if (!("path" in browserAvailable))
  console.warn(`Skipping the browser test of GraphiQL: ${browserAvailable.missing}.`);

("path" in browserAvailable ? describe : describe.skip)(
  "GraphiQL in a real browser (headless Chromium)",
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: (browserAvailable as { path: string }).path,
        args: CHROMIUM_ARGS,
      });
    }, 60_000);
    afterAll(() => browser?.close());

    it("runs the prefilled query as the demo admin, then receives an event on the prefilled subscription", async () => {
      const page = await browser.newPage();
      await page.goto(`${base()}/graphiql`);
      await page.waitForSelector(".graphiql-execute-button", { timeout: 30_000 });
      // The headers tab holds the demo admin's token.
      await page.waitForFunction("document.body.innerText.includes('Bearer ')", undefined, {
        timeout: 15_000,
      });
      // Run the first operation of the prefilled document (the query).
      await page.click(".graphiql-execute-button");
      // Two operations: GraphiQL asks which one.
      await page.click(".graphiql-dropdown-item:has-text('Overview')", { timeout: 10_000 });
      await page.waitForFunction(
        "document.querySelector('.result-window')?.textContent?.includes('admin@acme.test')",
        undefined,
        { timeout: 30_000 },
      );
      const artifacts = path.resolve(__dirname, "artifacts");
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, "graphiql.png") });

      // The subscription, over graphql-ws with the token of the headers tab: an event arrives.
      await page.click(".graphiql-execute-button");
      await page.click(".graphiql-dropdown-item:has-text('Live')", { timeout: 10_000 });
      await page.waitForTimeout(1000);
      const token = await supergraph.login("admin@acme.test");
      const { body } = await supergraph.request(
        `mutation { trackEvents(events: [{ type: "graphiql_test", value: 12.5, timestamp: "${new Date().toISOString()}" }]) { accepted } }`,
        { token },
      );
      expect(body.data!.trackEvents.accepted).toBe(1);
      await page.waitForFunction(
        "document.querySelector('.result-window')?.textContent?.includes('graphiql_test')",
        undefined,
        { timeout: 20_000 },
      );
      await page.screenshot({ path: path.join(artifacts, "graphiql-subscription.png") });
      await page.close();
    }, 90_000);

    it("opens a tab for each people insight, each running as the demo admin", async () => {
      const page = await browser.newPage();
      await page.goto(`${base()}/graphiql`);
      await page.waitForSelector(".graphiql-execute-button", { timeout: 30_000 });
      await page.waitForFunction("document.body.innerText.includes('Bearer ')", undefined, {
        timeout: 15_000,
      });
      for (const [tab, field] of [
        ["DailyStickiness", '"intervals"'],
        ["WeeklyLifecycle", '"resurrecting"'],
        ["PathsFromPageView", '"source"'],
      ]) {
        await page.click(`.graphiql-tab:has-text('${tab}')`, { timeout: 10_000 });
        // GraphiQL reads the tab's operation name from its editor a moment after the switch.
        await page.waitForTimeout(1000);
        await page.click(".graphiql-execute-button");
        await page.waitForFunction(
          `document.querySelector('.result-window')?.textContent?.includes('${field}')`,
          undefined,
          { timeout: 30_000 },
        );
        expect(await page.locator(".result-window").textContent()).not.toContain('"errors"');
      }
      await page.close();
    }, 90_000);
  },
);

("path" in browserAvailable ? describe : describe.skip)(
  "the live dashboard in a real browser (headless Chromium)",
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: (browserAvailable as { path: string }).path,
        args: CHROMIUM_ARGS,
      });
    }, 60_000);
    afterAll(() => browser?.close());

    it("signs in, shows the KPIs, charts, segments and churn risks, and updates live through metricUpdated", async () => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${base()}/dashboard`);
      await page.waitForFunction(
        "window.__dashboard && window.__dashboard.ready === true",
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForFunction("window.__dashboard.events !== null", undefined, {
        timeout: 15_000,
      });
      expect(await page.locator("#kpi-revenue .value").textContent()).toMatch(/\d/);
      expect(await page.locator("#segments tr").count()).toBeGreaterThan(0);
      expect(await page.locator("#churn tr").count()).toBeGreaterThan(0);
      const before = (await page.evaluate("window.__dashboard.events")) as number;
      // Three events now: the events chart's current hour goes up by three, live.
      const token = await supergraph.login("admin@acme.test");
      const now = new Date().toISOString();
      const { body } = await supergraph.request(
        `mutation { trackEvents(events: [{ type: "page_view", timestamp: "${now}" }, { type: "page_view", timestamp: "${now}" }, { type: "page_view", timestamp: "${now}" }]) { accepted } }`,
        { token },
      );
      expect(body.data!.trackEvents.accepted).toBe(3);
      await page.waitForFunction(`window.__dashboard.events >= ${before + 3}`, undefined, {
        timeout: 15_000,
      });
      const artifacts = path.resolve(__dirname, "artifacts");
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, "dashboard.png"), fullPage: true });
      await page.close();
    }, 90_000);
  },
);
