import type { TransactionLine } from "./transaction-rows";

/** The `EventInput` of `trackEvents`, as sent. */
export interface EventInput {
  id: string;
  type: "purchase" | "refund";
  customerId?: string;
  timestamp: string;
  value: number;
  properties: Record<string, string | number>;
}

/** An event waiting for its customer's id. */
export interface PendingEvent {
  /** The CSV line of its (first) row, for reporting. */
  line: number;
  /** How many CSV rows it stands for. */
  rows: number;
  /** The customer's externalId; its id goes into `input.customerId` before sending. */
  customer: string;
  input: Omit<EventInput, "customerId">;
}

/** Turns transaction lines into events, in file order. */
export interface EventGrouping {
  /** Takes the next line; returns the events it completes (maybe none). */
  add(line: TransactionLine): PendingEvent[];
  /** Returns what is still buffered. */
  finish(): PendingEvent[];
  /**
   * Invoices whose lines made more than one event (with --per-invoice: they were not contiguous).
   */
  readonly splitInvoices: number;
}

export function eventGrouping(perInvoice: boolean): EventGrouping {
  return perInvoice ? new PerInvoice() : new PerLine();
}

/**
 * One event per line: `purchase`, or `refund` for a cancellation, worth |quantity| x unit price,
 * with id `tx:<invoice>:<position>` (the line's place in its invoice, in file order).
 */
class PerLine implements EventGrouping {
  readonly splitInvoices = 0;

  add(line: TransactionLine): PendingEvent[] {
    const properties: Record<string, string | number> = { invoice: line.invoice };
    if (line.stockCode !== undefined) properties.stockCode = line.stockCode;
    if (line.description !== undefined) properties.description = line.description;
    properties.quantity = line.quantity;
    properties.unitPrice = line.unitPrice;
    if (line.country !== undefined) properties.country = line.country;
    return [
      {
        line: line.line,
        rows: 1,
        customer: line.customer,
        input: {
          id: `tx:${line.invoice}:${line.position}`,
          type: line.cancellation ? "refund" : "purchase",
          timestamp: line.timestamp,
          value: line.amountCents / 100,
          properties,
        },
      },
    ];
  }

  finish(): PendingEvent[] {
    return [];
  }
}

interface OpenInvoice {
  first: TransactionLine;
  id: string;
  cents: number;
  lines: number;
  items: number;
}

/**
 * One event per invoice, worth the sum of its lines, with id `tx:<invoice>`. It needs an
 * invoice's lines one after the other, as the UCI file has them: it buffers the current invoice
 * and completes it when a line of another invoice (or of another customer) comes. When lines of an
 * invoice come again after that, they make a further event `tx:<invoice>#2` (then `#3`, ...),
 * counted in {@link splitInvoices}; so the same file always gives the same ids.
 */
class PerInvoice implements EventGrouping {
  splitInvoices = 0;
  private open: OpenInvoice | undefined;
  /** Events made so far per invoice number. */
  private readonly parts = new Map<string, number>();

  add(line: TransactionLine): PendingEvent[] {
    const completed: PendingEvent[] = [];
    if (
      this.open &&
      (this.open.first.invoice !== line.invoice || this.open.first.customer !== line.customer)
    )
      completed.push(this.close());
    if (!this.open) {
      const part = (this.parts.get(line.invoice) ?? 0) + 1;
      this.parts.set(line.invoice, part);
      if (part === 2) this.splitInvoices++;
      this.open = {
        first: line,
        id: part === 1 ? `tx:${line.invoice}` : `tx:${line.invoice}#${part}`,
        cents: 0,
        lines: 0,
        items: 0,
      };
    }
    this.open.cents += line.amountCents;
    this.open.lines++;
    this.open.items += Math.abs(line.quantity);
    return completed;
  }

  finish(): PendingEvent[] {
    return this.open ? [this.close()] : [];
  }

  private close(): PendingEvent {
    const { first, id, cents, lines, items } = this.open!;
    this.open = undefined;
    const properties: Record<string, string | number> = {
      invoice: first.invoice,
      lines,
      items: Math.round(items * 1e6) / 1e6,
    };
    if (first.country !== undefined) properties.country = first.country;
    return {
      line: first.line,
      rows: lines,
      customer: first.customer,
      input: {
        id,
        type: first.cancellation ? "refund" : "purchase",
        timestamp: first.timestamp,
        value: cents / 100,
        properties,
      },
    };
  }
}
