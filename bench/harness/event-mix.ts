/**
 * Deterministic, realistic-looking events for the benchmarks: ~60% page_view, 10% purchase (with a
 * value and a `category` property), 5% signup, 15% campaign_impression and 10% campaign_click (with
 * a campaign), each with a `properties` object of three keys, customers from a fixed pool.
 * The same seed gives the same events, so an API run and its COPY reference store identical rows.
 */

/** One generated event. */
export interface BenchEvent {
  id: string;
  type: string;
  customerId: string | null;
  /** The visitor of an anonymous page view (null without a visitor pool). */
  anonymousId: string | null;
  campaignId: string | null;
  timestampMs: number;
  value: number | null;
  properties: Record<string, string>;
}

export interface EventMixOptions {
  /** Chooses the customer and campaign pools, and the events. */
  seed: number;
  /** Independent event streams over the same pools (one per parallel writer). @default 0 */
  stream?: number;
  /** Size of the customer pool. @default 50_000 */
  customers?: number;
  /** Size of the campaign pool. @default 20 */
  campaigns?: number;
  /**
   * Size of the pool of anonymous visitors the anonymous page views come from; 0: those page views
   * have no actor at all. @default 0
   */
  visitors?: number;
  /**
   * The share of visitors identified as a customer (visitor v as customer v mod the pool's size):
   * their page views carry that customer too, as ingestion stores them once identify ran.
   * @default 0.3
   */
  identifiedShare?: number;
  /**
   * Customers arrive one after another over this time range, the first at its start: an event at
   * time t picks among the customers arrived by t, so each has a first event and a first signup
   * at some point of the range (not all in its first days). @default none: all from the start
   */
  arrivals?: { startMs: number; endMs: number };
}

/** A visitor identified as a customer, as `identities` holds it. */
export interface BenchIdentity {
  anonymousId: string;
  customerId: string;
}

/** Event types and their shares of the mix. */
export const EVENT_TYPE_SHARES: readonly (readonly [string, number])[] = [
  ["page_view", 0.6],
  ["purchase", 0.1],
  ["signup", 0.05],
  ["campaign_impression", 0.15],
  ["campaign_click", 0.1],
];

/**
 * Purchase categories, most frequent first (Zipf-like weights), so a groupBy has a top 10 and an
 * `other`.
 */
export const CATEGORIES = [
  "electronics",
  "books",
  "clothing",
  "home",
  "beauty",
  "sports",
  "toys",
  "grocery",
  "garden",
  "automotive",
  "music",
  "office",
  "pets",
  "jewelry",
];

const CATEGORY_WEIGHTS = CATEGORIES.map((_, i) => 1 / (i + 1));
const DEVICES = ["mobile", "desktop", "tablet"];
const REFERRERS = ["google", "direct", "newsletter", "facebook", "instagram", "partner"];
const PLANS = ["free", "starter", "pro"];
const CHANNELS = ["email", "social", "search", "display"];

/**
 * sfc32: a small, fast PRNG with 128 bits of state (ids drawn from it do not collide in practice).
 */
export function createRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 7);
  let c = 0xb7e15162 ^ (seed * 13);
  let d = 1;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const HEX_NIBBLE = Array.from({ length: 16 }, (_, i) => i.toString(16));
/**
 * A 32-bit unsigned number as 8 hex digits (table lookups: this runs tens of millions of times).
 */
const hex8 = (n: number) => {
  const v = n >>> 0;
  return (
    HEX_BYTE[v >>> 24] +
    HEX_BYTE[(v >>> 16) & 0xff] +
    HEX_BYTE[(v >>> 8) & 0xff] +
    HEX_BYTE[v & 0xff]
  );
};

/**
 * Generates events from a seeded stream: call {@link EventMix.next} in the same order to get the
 * same events.
 */
export class EventMix {
  readonly customerIds: string[];
  readonly campaignIds: string[];
  /** The visitor pool, and the customer each visitor is identified as (or null). */
  readonly visitorIds: string[];
  private readonly visitorCustomers: (string | null)[];
  private readonly arrivals: EventMixOptions["arrivals"];
  private readonly random: () => number;
  private readonly categoryTotal = CATEGORY_WEIGHTS.reduce((sum, w) => sum + w, 0);
  private lastV7Ms = NaN;
  private lastV7Time = "";

  constructor(options: EventMixOptions) {
    const pool = createRandom(options.seed ^ 0x5bd1e995);
    this.customerIds = Array.from({ length: options.customers ?? 50_000 }, () => randomUuid(pool));
    this.campaignIds = Array.from({ length: options.campaigns ?? 20 }, () => randomUuid(pool));
    this.visitorIds = Array.from({ length: options.visitors ?? 0 }, (_, v) => `visitor-${v}`);
    const share = options.identifiedShare ?? 0.3;
    this.visitorCustomers = this.visitorIds.map((_, v) =>
      pool() < share ? this.customerIds[v % this.customerIds.length] : null,
    );
    this.arrivals = options.arrivals;
    this.random = createRandom(options.seed + 7919 * (options.stream ?? 0));
  }

  /** The visitors identified as customers. */
  identities(): BenchIdentity[] {
    return this.visitorIds.flatMap((anonymousId, v) => {
      const customerId = this.visitorCustomers[v];
      return customerId ? [{ anonymousId, customerId }] : [];
    });
  }

  /** The customers arrived by a time (all without arrivals; at least one). */
  private arrivedBy(timestampMs: number): number {
    if (!this.arrivals) return this.customerIds.length;
    const { startMs, endMs } = this.arrivals;
    const share = (timestampMs - startMs) / (endMs - startMs);
    return Math.min(
      this.customerIds.length,
      Math.max(1, Math.ceil(share * this.customerIds.length)),
    );
  }

  /** A random UUID (version 4 layout) from this stream. */
  uuid(): string {
    return randomUuid(this.random);
  }

  /** A UUID of version 7 layout: the millisecond timestamp first, so ids sort by time. */
  uuidV7(timestampMs: number): string {
    const ms = Math.floor(timestampMs);
    if (ms !== this.lastV7Ms) {
      this.lastV7Ms = ms;
      const time = ms.toString(16).padStart(12, "0");
      this.lastV7Time = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
    }
    const a = (this.random() * 4294967296) >>> 0;
    const b = (this.random() * 4294967296) >>> 0;
    const c = (this.random() * 4294967296) >>> 0;
    return (
      `${this.lastV7Time}${HEX_BYTE[a >>> 24]}${HEX_NIBBLE[(a >>> 20) & 15]}-` +
      `${HEX_NIBBLE[8 | ((a >>> 18) & 3)]}${HEX_BYTE[(a >>> 8) & 0xff]}${HEX_NIBBLE[(a >>> 4) & 15]}-${hex8(b)}${HEX_BYTE[c >>> 24]}${HEX_BYTE[(c >>> 16) & 0xff]}`
    );
  }

  /** A uniformly random number in [0, 1) from this stream. */
  uniform(): number {
    return this.random();
  }

  /** The next event of the mix, at `timestampMs`, with the given id. */
  next(timestampMs: number, id: string): BenchEvent {
    const r = this.random;
    const pick = <T>(items: readonly T[]) => items[Math.floor(r() * items.length)];
    const device = pick(DEVICES);
    let roll = r();
    let type = EVENT_TYPE_SHARES[EVENT_TYPE_SHARES.length - 1][0];
    for (const [name, share] of EVENT_TYPE_SHARES) {
      if (roll < share) {
        type = name;
        break;
      }
      roll -= share;
    }
    let customerId: string | null = this.customerIds[Math.floor(r() * this.arrivedBy(timestampMs))];
    let anonymousId: string | null = null;
    let campaignId: string | null = null;
    let value: number | null = null;
    let properties: Record<string, string>;
    switch (type) {
      case "page_view":
        // A fifth of page views are anonymous: a visitor's, when there are visitors.
        if (r() < 0.2) {
          customerId = null;
          if (this.visitorIds.length > 0) {
            const v = Math.floor(r() * this.visitorIds.length);
            anonymousId = this.visitorIds[v];
            customerId = this.visitorCustomers[v];
          }
        }
        properties = {
          path: `/products/${Math.floor(r() * 2000)}`,
          referrer: pick(REFERRERS),
          device,
        };
        break;
      case "purchase":
        value = Math.round(Math.exp(3.5 + 0.8 * gaussian(r)) * 100) / 100;
        properties = { category: this.category(), sku: `SKU-${Math.floor(r() * 5000)}`, device };
        break;
      case "signup":
        properties = { plan: pick(PLANS), source: pick(REFERRERS), device };
        break;
      default:
        campaignId = pick(this.campaignIds);
        properties = {
          channel: pick(CHANNELS),
          creative: `variant-${"ABC"[Math.floor(r() * 3)]}`,
          device,
        };
    }
    return { id, type, customerId, anonymousId, campaignId, timestampMs, value, properties };
  }

  private category(): string {
    let roll = this.random() * this.categoryTotal;
    for (let i = 0; i < CATEGORIES.length; i++) {
      roll -= CATEGORY_WEIGHTS[i];
      if (roll < 0) return CATEGORIES[i];
    }
    return CATEGORIES[CATEGORIES.length - 1];
  }
}

function randomUuid(random: () => number): string {
  const h =
    hex8(random() * 4294967296) +
    hex8(random() * 4294967296) +
    hex8(random() * 4294967296) +
    hex8(random() * 4294967296);
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A standard normal draw (Box-Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
