import { Role } from "#kit/auth/role";
import { SeededRandom, stableUuid } from "#kit/random";

/**
 * The demo data set that `npm start` loads the first time: two organizations, their users,
 * customers, campaigns and ~90 days of events, anonymous visitors among them (some of whom sign up
 * and are identified as the customer they became). It is generated, not stored: every subgraph calls
 * {@link generateDemoDataset} with the same `asOf` and inserts only its own part, so ids agree
 * across services without any service reading another's tables.
 */
export interface DemoDataset {
  organizations: DemoOrganization[];
  users: DemoUser[];
  customers: DemoCustomer[];
  campaigns: DemoCampaign[];
  events: DemoEvent[];
  /** Anonymous visitors who signed up: their anonymous id identified as their customer. */
  identities: DemoIdentity[];
  /** Example cohorts (analytics), their rules as `CohortInput` takes them. */
  cohorts: DemoCohort[];
}

export interface DemoOrganization {
  id: string;
  name: string;
}
export interface DemoUser {
  id: string;
  organizationId: string;
  email: string;
  name: string;
  role: Role;
}
export interface DemoCustomer {
  id: string;
  organizationId: string;
  externalId: string;
  name: string;
  email: string;
  age: number;
  gender: string;
  location: string;
  incomeRange: string;
  preferredCategory: string;
  status: "ACTIVE" | "CHURNED";
  churnedAt: Date | null;
  registeredAt: Date;
  attributes: Record<string, unknown>;
}
export type DemoCampaignChannel = "EMAIL" | "SMS" | "PUSH" | "SOCIAL" | "SEARCH" | "DISPLAY";
export interface DemoCampaign {
  id: string;
  organizationId: string;
  name: string;
  channel: DemoCampaignChannel;
  status: "DRAFT" | "ACTIVE" | "PAUSED" | "COMPLETED";
  targetSegment: string | null;
  budget: string;
  startDate: Date;
  endDate: Date | null;
  createdByUserId: string;
}
export interface DemoIdentity {
  organizationId: string;
  anonymousId: string;
  customerId: string;
}
export interface DemoCohort {
  /** `stableUuid("cohort:<organization id>:<key>")` */
  id: string;
  organizationId: string;
  createdByUserId: string;
  name: string;
  match: "ALL" | "ANY";
  rules: {
    event: string;
    minCount?: number;
    maxCount?: number | null;
    withinDays?: number | null;
  }[];
}
export interface DemoEvent {
  id: string;
  organizationId: string;
  type: string;
  customerId: string | null;
  /** A visitor's id, on the page views of visitors before (or without) signing up. */
  anonymousId: string | null;
  campaignId: string | null;
  timestamp: Date;
  value: number | null;
  properties: Record<string, unknown> | null;
}

/** The password of every demo user; shown in the README. */
export const DEMO_PASSWORD = "demo-password";
/** The organization the README's examples use. */
export const DEMO_ORGANIZATION_ID = stableUuid("org:acme");

const DAY = 86_400_000;
const FIRST = [
  "Ava",
  "Ben",
  "Chloe",
  "Daniel",
  "Elena",
  "Felix",
  "Grace",
  "Hugo",
  "Iris",
  "Jonas",
  "Kira",
  "Liam",
  "Maya",
  "Noah",
  "Olga",
  "Pablo",
  "Quinn",
  "Rosa",
  "Sami",
  "Tara",
  "Umar",
  "Vera",
  "Wes",
  "Yara",
  "Zoe",
];
const LAST = [
  "Andersen",
  "Baker",
  "Costa",
  "Dubois",
  "Evans",
  "Fischer",
  "Garcia",
  "Hansen",
  "Ito",
  "Jensen",
  "Kowalski",
  "Larsen",
  "Moreau",
  "Nakamura",
  "Olsen",
  "Patel",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Silva",
];
const LOCATIONS = [
  "London",
  "Paris",
  "Berlin",
  "Madrid",
  "Lisbon",
  "Amsterdam",
  "Copenhagen",
  "Warsaw",
  "Dublin",
  "Vienna",
];
const CATEGORIES = ["electronics", "fashion", "home", "beauty", "sports", "books"];
const INCOME = ["<25k", "25k-50k", "50k-100k", "100k+"];
const PAGES = ["/", "/products", "/cart", "/checkout", "/account", "/blog"];

/**
 * The demo data set when `DEMO_DATA=true` (subgraphs started on their own, or by `npm start`'s
 * launcher): as of `DEMO_DATA_AS_OF`, or else the start of the current hour, so that services
 * started together generate the same one.
 */
export function demoDatasetFromEnv(env: NodeJS.ProcessEnv = process.env): DemoDataset | undefined {
  if (env.DEMO_DATA !== "true") return undefined;
  const hour = 3_600_000;
  const asOf = env.DEMO_DATA_AS_OF
    ? new Date(env.DEMO_DATA_AS_OF)
    : new Date(Math.floor(Date.now() / hour) * hour);
  return generateDemoDataset(asOf);
}

/** Generates the demo data set as of the given moment (events fall in the 90 days before it). */
export function generateDemoDataset(asOf: Date, seed = 20261123): DemoDataset {
  const random = new SeededRandom(seed);
  const dataset: DemoDataset = {
    organizations: [],
    users: [],
    customers: [],
    campaigns: [],
    events: [],
    identities: [],
    cohorts: [],
  };
  addOrganization(dataset, random, asOf, {
    key: "acme",
    name: "Acme Retail",
    domain: "acme.test",
    customers: 300,
    campaigns: 8,
  });
  addOrganization(dataset, random, asOf, {
    key: "globex",
    name: "Globex Outfitters",
    domain: "globex.test",
    customers: 40,
    campaigns: 2,
  });
  return dataset;
}

interface OrganizationPlan {
  key: string;
  name: string;
  domain: string;
  customers: number;
  campaigns: number;
}

function addOrganization(
  dataset: DemoDataset,
  random: SeededRandom,
  asOf: Date,
  plan: OrganizationPlan,
): void {
  const organizationId = stableUuid(`org:${plan.key}`);
  dataset.organizations.push({ id: organizationId, name: plan.name });
  const users = (
    [
      ["admin", "Ada Admin", Role.ADMIN],
      ["analyst", "Alan Analyst", Role.ANALYST],
      ["viewer", "Vic Viewer", Role.VIEWER],
    ] as const
  ).map(([local, name, role]) => ({
    id: stableUuid(`user:${plan.key}:${local}`),
    organizationId,
    email: `${local}@${plan.domain}`,
    name,
    role,
  }));
  dataset.users.push(...users);
  dataset.cohorts.push(
    {
      id: stableUuid(`cohort:${organizationId}:repeat-buyers`),
      organizationId,
      createdByUserId: users[1].id,
      name: "Repeat buyers (30 days)",
      match: "ALL",
      rules: [{ event: "purchase", minCount: 2, withinDays: 30 }],
    },
    {
      id: stableUuid(`cohort:${organizationId}:lapsed-buyers`),
      organizationId,
      createdByUserId: users[1].id,
      name: "Lapsed buyers",
      match: "ALL",
      rules: [
        { event: "purchase", minCount: 1 },
        { event: "purchase", minCount: 0, maxCount: 0, withinDays: 30 },
      ],
    },
  );

  const horizonStart = asOf.getTime() - 90 * DAY;
  const campaigns: DemoCampaign[] = [];
  const channels: DemoCampaignChannel[] = ["EMAIL", "SMS", "PUSH", "SOCIAL", "SEARCH", "DISPLAY"];
  for (let i = 0; i < plan.campaigns; i++) {
    const start = horizonStart + random.int(0, 60) * DAY;
    const completed = i % 4 === 3;
    campaigns.push({
      id: stableUuid(`campaign:${plan.key}:${i}`),
      organizationId,
      name: `${random.pick(["Spring", "Summer", "Autumn", "Winter", "Flash", "Loyalty", "Welcome", "Win-back"])} ${random.pick(["Sale", "Launch", "Boost", "Drive", "Offer"])} ${i + 1}`,
      channel: channels[i % channels.length],
      status: completed
        ? "COMPLETED"
        : i === plan.campaigns - 1
          ? "DRAFT"
          : i % 5 === 2
            ? "PAUSED"
            : "ACTIVE",
      targetSegment: random.pick([null, "Champions", "At risk", "New"]),
      budget: (random.int(10, 200) * 100).toFixed(2),
      startDate: new Date(start),
      endDate: completed ? new Date(start + 21 * DAY) : null,
      createdByUserId: users[i % 2].id,
    });
  }
  dataset.campaigns.push(...campaigns);
  const running = campaigns.filter((c) => c.status !== "DRAFT");

  for (let i = 0; i < plan.customers; i++) {
    const first = random.pick(FIRST);
    const last = random.pick(LAST);
    const registeredAt = new Date(
      asOf.getTime() - random.int(1, 720) * DAY - random.int(0, DAY / 1000) * 1000,
    );
    const churned = random.chance(0.18) && registeredAt.getTime() < asOf.getTime() - 30 * DAY;
    const churnedAt = churned
      ? new Date(Math.max(registeredAt.getTime() + DAY, asOf.getTime() - random.int(5, 80) * DAY))
      : null;
    const category = random.pick(CATEGORIES);
    const customer: DemoCustomer = {
      id: stableUuid(`customer:${plan.key}:${i}`),
      organizationId,
      externalId: `${plan.key.toUpperCase()}-${String(10000 + i)}`,
      name: `${first} ${last}`,
      email: `${first}.${last}.${i}@example.com`.toLowerCase(),
      age: random.int(18, 75),
      gender: random.pick(["female", "male", "nonbinary"]),
      location: random.pick(LOCATIONS),
      incomeRange: random.pick(INCOME),
      preferredCategory: category,
      status: churned ? "CHURNED" : "ACTIVE",
      churnedAt,
      registeredAt,
      attributes: {
        plan: random.pick(["free", "plus", "pro"]),
        newsletter: random.chance(0.6),
        supportTickets: random.int(0, 6),
      },
    };
    dataset.customers.push(customer);
    addCustomerEvents(dataset, random, customer, running, horizonStart, asOf);
  }

  addVisitors(
    dataset,
    new SeededRandom(seedOf(plan.key)),
    organizationId,
    plan,
    horizonStart,
    asOf,
  );

  for (const campaign of running) {
    const end = Math.min(campaign.endDate?.getTime() ?? asOf.getTime(), asOf.getTime());
    for (let day = campaign.startDate.getTime(); day < end; day += DAY) {
      dataset.events.push(
        event(
          dataset,
          organizationId,
          "ad_spend",
          null,
          campaign.id,
          new Date(day + 3600_000),
          Number(((Number(campaign.budget) / 60) * (0.6 + random.next() * 0.8)).toFixed(2)),
          { channel: campaign.channel },
        ),
      );
    }
  }
}

/** A seed from a name, so that each organization's visitors have a random stream of their own. */
function seedOf(name: string): number {
  let hash = 2166136261;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return hash;
}

/** Pages anonymous visitors land on. */
const LANDING_PAGES = ["/", "/products", "/pricing", "/blog", "/sale"];

/**
 * Anonymous visitors (their own random stream, after everything else, so the customers and their
 * events are those of the data set without visitors): each customer who signed up in the 90 days
 * browsed anonymously first, one to four page views from a few days to minutes before signing up,
 * and is identified as that customer at sign-up; about a third of them kept browsing on the same
 * device, anonymously, in the days after. Beside them, 1.5 visitors per customer who never sign up
 * browse one or two sessions of one to five pages. So a funnel page_view → signup → purchase drops
 * most visitors at the first step and some sign-ups at the second.
 */
function addVisitors(
  dataset: DemoDataset,
  random: SeededRandom,
  organizationId: string,
  plan: OrganizationPlan,
  horizonStart: number,
  asOf: Date,
): void {
  const pageView = (anonymousId: string, at: number, path = random.pick(LANDING_PAGES)) =>
    dataset.events.push({
      ...event(dataset, organizationId, "page_view", null, null, new Date(at), null, {
        path,
        referrer: random.pick(["google", "direct", "newsletter", "social"]),
      }),
      anonymousId,
    });
  const signedUp = dataset.customers.filter(
    (customer) =>
      customer.organizationId === organizationId && customer.registeredAt.getTime() >= horizonStart,
  );
  for (const customer of signedUp) {
    const anonymousId = `visitor-${stableUuid(`visitor:${customer.id}`).slice(0, 13)}`;
    const signUp = customer.registeredAt.getTime();
    // Browsing before signing up: the last page view minutes before, the first up to 3 days before.
    const pages = random.int(1, 4);
    const first = Math.max(horizonStart, signUp - random.int(10, 3 * 24 * 60) * 60_000);
    for (let p = 0; p < pages; p++) {
      const at = p === pages - 1 ? signUp - random.int(1, 9) * 60_000 : first + p * 45_000;
      pageView(anonymousId, Math.max(horizonStart, Math.min(at, signUp - 30_000)));
    }
    dataset.identities.push({ organizationId, anonymousId, customerId: customer.id });
    if (random.chance(0.35)) {
      const end = Math.min(asOf.getTime(), customer.churnedAt?.getTime() ?? Infinity);
      const later = signUp + random.int(1, 10) * DAY;
      if (later < end) pageView(anonymousId, later, random.pick(PAGES));
    }
  }
  const visitors = Math.round(plan.customers * 1.5);
  for (let v = 0; v < visitors; v++) {
    const anonymousId = `visitor-${stableUuid(`visitor:${plan.key}:${v}`).slice(0, 13)}`;
    const sessions = random.chance(0.25) ? 2 : 1;
    for (let s = 0; s < sessions; s++) {
      const start = horizonStart + random.next() * (asOf.getTime() - horizonStart - 3_600_000);
      const pages = random.int(1, 5);
      for (let p = 0; p < pages; p++) pageView(anonymousId, start + p * random.int(20, 120) * 1000);
    }
  }
}

function addCustomerEvents(
  dataset: DemoDataset,
  random: SeededRandom,
  customer: DemoCustomer,
  campaigns: DemoCampaign[],
  horizonStart: number,
  asOf: Date,
): void {
  const start = Math.max(horizonStart, customer.registeredAt.getTime());
  const end = customer.churnedAt?.getTime() ?? asOf.getTime();
  if (customer.registeredAt.getTime() >= horizonStart) {
    dataset.events.push(
      event(
        dataset,
        customer.organizationId,
        "signup",
        customer.id,
        null,
        customer.registeredAt,
        null,
        { source: random.pick(["organic", "ads", "referral"]) },
      ),
    );
  }
  if (end <= start) return;
  // Engagement differs a lot between customers: a few buy often, most rarely.
  const engagement = random.logNormal(1, 0.9);
  const visits = Math.min(40, Math.round(((end - start) / (90 * DAY)) * 8 * engagement));
  for (let v = 0; v < visits; v++) {
    const at = start + random.next() * (end - start);
    const campaign = campaigns.length > 0 && random.chance(0.35) ? random.pick(campaigns) : null;
    const campaignLive =
      campaign &&
      at >= campaign.startDate.getTime() &&
      at <= (campaign.endDate?.getTime() ?? Infinity);
    if (campaign && campaignLive) {
      dataset.events.push(
        event(
          dataset,
          customer.organizationId,
          "campaign_impression",
          customer.id,
          campaign.id,
          new Date(at - 120_000),
          null,
          { channel: campaign.channel },
        ),
      );
      if (random.chance(0.3))
        dataset.events.push(
          event(
            dataset,
            customer.organizationId,
            "campaign_click",
            customer.id,
            campaign.id,
            new Date(at - 60_000),
            null,
            { channel: campaign.channel },
          ),
        );
    }
    const pages = random.int(1, 4);
    for (let p = 0; p < pages; p++) {
      dataset.events.push(
        event(
          dataset,
          customer.organizationId,
          "page_view",
          customer.id,
          null,
          new Date(at + p * 30_000),
          null,
          { path: random.pick(PAGES) },
        ),
      );
    }
    if (random.chance(Math.min(0.8, 0.25 * engagement))) {
      const items = random.int(1, 4);
      const value = Number(random.logNormal(45, 0.6).toFixed(2)) * items;
      dataset.events.push(
        event(
          dataset,
          customer.organizationId,
          "purchase",
          customer.id,
          campaignLive ? campaign!.id : null,
          new Date(at + pages * 30_000),
          Number(value.toFixed(2)),
          {
            category: random.chance(0.7) ? customer.preferredCategory : random.pick(CATEGORIES),
            items,
          },
        ),
      );
    }
  }
}

function event(
  dataset: DemoDataset,
  organizationId: string,
  type: string,
  customerId: string | null,
  campaignId: string | null,
  timestamp: Date,
  value: number | null,
  properties: Record<string, unknown> | null,
): DemoEvent {
  return {
    id: stableUuid(`event:${organizationId}:${dataset.events.length}`),
    organizationId,
    type,
    customerId,
    anonymousId: null,
    campaignId,
    timestamp,
    value,
    properties,
  };
}
