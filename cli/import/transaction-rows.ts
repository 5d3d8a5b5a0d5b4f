import type { TransactionColumns } from "./transaction-columns";

/**
 * How dates like `12/1/2010 8:26` are read: month/day/year, day/month/year, or only ISO 8601
 * accepted.
 */
export const DATE_FORMATS = ["mdy", "dmy", "iso"] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** Why a row sends nothing though nothing is wrong with it; the summary counts rows by these. */
export const SKIP_REASONS = {
  blank: "blank row",
  noCustomer: "no customer id",
  quantity: "quantity 0 or less (not a cancellation)",
  cancelledNothing: "cancellation of quantity 0",
  price: "unit price 0 or less",
  customerRejected: "its customer was rejected",
} as const;
export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];

/** One sales line worth an event. */
export interface TransactionLine {
  /** The CSV line it starts on (the header is line 1). */
  line: number;
  invoice: string;
  /**
   * Which line of its invoice this is (1, 2, ...), counting every row of the invoice in file order,
   * skipped ones too.
   */
  position: number;
  /** The invoice number starts with "C": the line is refunded. */
  cancellation: boolean;
  /** The customer's externalId, normalized by {@link normalizeCustomerId}. */
  customer: string;
  /** From the name column, when the file has one. */
  customerName?: string;
  country?: string;
  stockCode?: string;
  description?: string;
  /** ISO 8601 in UTC. */
  timestamp: string;
  /** As in the file: negative for most cancellations. */
  quantity: number;
  unitPrice: number;
  /** |quantity| x unitPrice in cents, rounded half up: what was bought or refunded. */
  amountCents: number;
}

export type RowOutcome =
  | { kind: "line"; line: TransactionLine }
  | { kind: "skipped"; reason: SkipReason }
  | { kind: "rejected"; field: string; reason: string };

/**
 * Reads transaction rows one at a time. Keeps, per invoice number, how many of its rows it has
 * seen, for {@link TransactionLine.position}; that map grows with the number of distinct invoices.
 */
export class TransactionRowReader {
  private readonly rowsPerInvoice = new Map<string, number>();
  private readonly dates: DateParser;

  constructor(
    private readonly columns: TransactionColumns,
    options: { dateFormat: DateFormat; timezone: string },
  ) {
    this.dates = new DateParser(options.dateFormat, options.timezone);
  }

  /**
   * What one CSV record (column -> text) is: a line to send, a row skipped for a reason (blank,
   * no customer, nothing sold, free), or a row rejected because a value cannot be read (no
   * invoice number, a quantity, price or date that does not parse).
   */
  read(record: Record<string, string | undefined>, line: number): RowOutcome {
    const { columns } = this;
    const cell = (column: string | undefined): string =>
      column === undefined ? "" : (record[column] ?? "").trim();
    if (Object.values(record).every((value) => value === undefined || value.trim() === ""))
      return { kind: "skipped", reason: SKIP_REASONS.blank };

    const invoice = cell(columns.invoice);
    if (!invoice)
      return { kind: "rejected", field: columns.invoice, reason: `${columns.invoice} is empty.` };
    const position = (this.rowsPerInvoice.get(invoice) ?? 0) + 1;
    this.rowsPerInvoice.set(invoice, position);

    const customer = normalizeCustomerId(cell(columns.customer));
    if (!customer) return { kind: "skipped", reason: SKIP_REASONS.noCustomer };

    const quantityText = cell(columns.quantity);
    const quantity = parseDecimal(quantityText);
    if (!quantity)
      return {
        kind: "rejected",
        field: columns.quantity,
        reason: `${columns.quantity} is not a number: '${quantityText}'.`,
      };
    const priceText = cell(columns.price);
    const price = parseDecimal(priceText);
    if (!price)
      return {
        kind: "rejected",
        field: columns.price,
        reason: `${columns.price} is not a number: '${priceText}'.`,
      };

    const cancellation = isCancellation(invoice);
    if (quantity.units === 0 && cancellation)
      return { kind: "skipped", reason: SKIP_REASONS.cancelledNothing };
    if (quantity.units <= 0 && !cancellation)
      return { kind: "skipped", reason: SKIP_REASONS.quantity };
    if (price.units <= 0) return { kind: "skipped", reason: SKIP_REASONS.price };

    const dateText = cell(columns.date);
    const timestamp = this.dates.parse(dateText);
    if (typeof timestamp !== "string")
      return {
        kind: "rejected",
        field: columns.date,
        reason: `${columns.date} ${timestamp.error}`,
      };

    const result: TransactionLine = {
      line,
      invoice,
      position,
      cancellation,
      customer,
      timestamp,
      quantity: Number(quantityText),
      unitPrice: Number(priceText),
      amountCents: amountInCents(quantity, price),
    };
    const optional = {
      customerName: columns.name,
      country: columns.country,
      stockCode: columns.stockCode,
      description: columns.description,
    };
    for (const [key, column] of Object.entries(optional) as [
      keyof typeof optional,
      string | undefined,
    ][]) {
      const value = cell(column);
      if (value) result[key] = value;
    }
    return { kind: "line", line: result };
  }
}

/** An invoice number starting with "C" (any case) is a cancellation, as in the UCI data. */
export function isCancellation(invoice: string): boolean {
  return invoice.charCodeAt(0) === 67 /* C */ || invoice.charCodeAt(0) === 99; /* c */
}

/**
 * A customer id as the externalId: trimmed, and a whole number written as a decimal
 * (`17850.0`, as spreadsheets and pandas export ids) without its zero fraction (`17850`).
 * Empty for an empty cell.
 */
export function normalizeCustomerId(text: string): string {
  const id = text.trim();
  const wholeDecimal = /^([-+]?\d+)\.0*$/.exec(id);
  return wholeDecimal ? wholeDecimal[1] : id;
}

/** A decimal number read exactly: value = units / 10^scale. */
export interface Decimal {
  units: number;
  scale: number;
}

const DECIMAL = /^([-+]?)(\d*)(?:\.(\d*))?$/;

/**
 * Reads a plain decimal (`6`, `-12`, `2.55`, `.5`) exactly, or undefined for anything else
 * (empty, `1e3`, `1,5`, more than 15 significant digits).
 */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = ""] = match;
  if (whole === "" && fraction === "") return undefined;
  const digits = `${whole}${fraction}`.replace(/^0+/, "");
  if (digits.length > 15) return undefined;
  const units = Number(digits || "0");
  return { units: sign === "-" && units !== 0 ? -units : units, scale: fraction.length };
}

/** |quantity| x |price| in cents, computed exactly and rounded half up. */
export function amountInCents(quantity: Decimal, price: Decimal): number {
  const product = BigInt(Math.abs(quantity.units)) * BigInt(Math.abs(price.units));
  const scale = quantity.scale + price.scale;
  if (scale <= 2) return Number(product * 10n ** BigInt(2 - scale));
  const divisor = 10n ** BigInt(scale - 2);
  return Number((product * 2n + divisor) / (2n * divisor));
}

const ISO_DATE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const NUMERIC_DATE =
  /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?$/i;

/** The parts of a date-time as written, before any time zone applies. */
interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * Reads invoice dates into UTC ISO strings: ISO 8601 (`2010-12-01`, `2010-12-01 08:26:00`,
 * `2010-12-01T08:26:00+01:00`) always, and unless the format is `iso` also numeric dates like the
 * UCI file's `12/1/2010 8:26` (24-hour, optional seconds and AM/PM; "/", "." or "-"), month first
 * (`mdy`) or day first (`dmy`). A date without an offset is a wall time in `timezone`. Remembers
 * the last date read, as consecutive rows mostly share theirs.
 */
export class DateParser {
  private lastText: string | undefined;
  private lastResult: string | { error: string } = "";
  private readonly toUtc: (wall: WallTime) => number;

  constructor(
    private readonly format: DateFormat,
    timezone: string,
  ) {
    this.toUtc = wallTimeConverter(timezone);
  }

  /** The instant as an ISO string, or `{ error }` saying (after the column name) what is wrong. */
  parse(text: string): string | { error: string } {
    if (text === this.lastText) return this.lastResult;
    this.lastText = text;
    this.lastResult = this.parseUncached(text);
    return this.lastResult;
  }

  private parseUncached(text: string): string | { error: string } {
    if (text === "") return { error: "is empty." };
    const iso = ISO_DATE.exec(text);
    if (iso) {
      const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "", offset] =
        iso;
      const wall = wallTime(
        +year,
        +month,
        +day,
        +hour,
        +minute,
        +second,
        Math.floor(Number(`0.${fraction || "0"}`) * 1000),
      );
      if (!wall) return { error: `is not a valid date: '${text}'.` };
      return new Date(
        offset
          ? Date.UTC(
              wall.year,
              wall.month - 1,
              wall.day,
              wall.hour,
              wall.minute,
              wall.second,
              wall.millisecond,
            ) - offsetMs(offset)
          : this.toUtc(wall),
      ).toISOString();
    }
    const numeric = this.format === "iso" ? null : NUMERIC_DATE.exec(text);
    if (!numeric) {
      const expected =
        this.format === "iso"
          ? "an ISO 8601 date like 2010-12-01T08:26:00Z (--date-format iso)"
          : `a date like ${this.format === "mdy" ? "12/1/2010 8:26 (month/day/year" : "1/12/2010 8:26 (day/month/year"}, --date-format ${this.format}) or 2010-12-01T08:26:00Z`;
      return { error: `is not ${expected}: '${text}'.` };
    }
    const [, first, , second, year, hourText = "0", minute = "0", secondsText = "0", meridiem] =
      numeric;
    const [month, day] = this.format === "mdy" ? [+first, +second] : [+second, +first];
    let hour = +hourText;
    if (meridiem) {
      if (hour < 1 || hour > 12)
        return { error: `has an hour outside 1-12 before ${meridiem}: '${text}'.` };
      hour = (hour % 12) + (meridiem.toUpperCase() === "PM" ? 12 : 0);
    }
    const wall = wallTime(+year, month, day, hour, +minute, +secondsText, 0);
    if (!wall) {
      const swapped = this.format === "mdy" ? "dmy" : "mdy";
      const fits = wallTime(+year, day, month, hour, +minute, +secondsText, 0) !== undefined;
      const order = this.format === "mdy" ? "month/day/year" : "day/month/year";
      return {
        error: `is not a valid ${order} date: '${text}'.${fits ? ` Use --date-format ${swapped} if the file's dates are ${swapped === "dmy" ? "day/month/year" : "month/day/year"}.` : ""}`,
      };
    }
    return new Date(this.toUtc(wall)).toISOString();
  }
}

function wallTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
): WallTime | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  return { year, month, day, hour, minute, second, millisecond };
}

/** `+01:00`, `+0100`, `-05` or `Z` in milliseconds east of UTC. */
function offsetMs(offset: string): number {
  if (offset.toUpperCase() === "Z") return 0;
  const sign = offset[0] === "-" ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0")) * 60_000;
}

/** True when `timezone` is an IANA zone name this Node.js knows. */
export function isKnownTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A function from a wall time in `timezone` to epoch milliseconds. In a zone's spring-forward gap
 * (a time that does not exist) it gives the instant the same distance after the gap started; in
 * the autumn's repeated hour, the first of the two.
 */
export function wallTimeConverter(timezone: string): (wall: WallTime) => number {
  const asUtc = (wall: WallTime) =>
    Date.UTC(
      wall.year,
      wall.month - 1,
      wall.day,
      wall.hour,
      wall.minute,
      wall.second,
      wall.millisecond,
    );
  if (/^(utc|etc\/utc|gmt|etc\/gmt|z)$/i.test(timezone)) return asUtc;
  const formatter = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  /** The zone's offset from UTC at instant `utc`, in milliseconds. */
  const offsetAt = (utc: number): number => {
    const parts: Record<string, number> = {};
    for (const part of formatter.formatToParts(new Date(utc)))
      if (part.type !== "literal") parts[part.type] = Number(part.value);
    const local = Date.UTC(
      parts.year,
      parts.month - 1,
      parts.day,
      parts.hour % 24,
      parts.minute,
      parts.second,
    );
    return local - Math.floor(utc / 1000) * 1000;
  };
  return (wall) => {
    const local = asUtc(wall);
    // Try the offsets just before and after: the earlier instant that reads as this wall time wins.
    const before = offsetAt(local - 86_400_000);
    const after = offsetAt(local + 86_400_000);
    const candidates = [local - before, local - after].filter(
      (utc) => utc + offsetAt(utc) === local,
    );
    if (candidates.length > 0) return Math.min(...candidates);
    // In a gap: read with the offset before the change.
    return local - before;
  };
}
