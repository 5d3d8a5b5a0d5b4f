import type { TransactionLine } from "./transaction-rows";

/** The `EventInput` of `trackEvents`, as sent. */
export interface EventInput {
  id: string;
  type: "purchase" | "refund";
  customerId?: string;
  timestamp: string;
  value: number;
  properties: OrderProperties;
}

/** One line of an order as kept in `properties.lines`: what was bought, how many, at what price. */
export interface OrderLine {
  stockCode?: string;
  description?: string;
  /** As in the file: negative for most cancellations. */
  quantity: number;
  unitPrice: number;
}

/** The `properties` of an order (or refund) event. */
export interface OrderProperties {
  invoice: string;
  country?: string;
  /** How many lines of the file the order holds, all of them (whether kept in `lines` or not). */
  lineCount: number;
  /** The sum of |quantity| over all its lines. */
  items: number;
  /** The first lines, in file order, as many as keep the properties within {@link MAX_ORDER_PROPERTIES_BYTES}. */
  lines: OrderLine[];
  /** Lines left out of `lines` to keep within the bound; absent when none was. */
  linesOmitted?: number;
}

/**
 * The largest `properties` of an event, as JSON text: the server refuses larger ones
 * (MAX_PROPERTIES_BYTES of the analytics subgraph's event validation, 8 KB).
 */
export const MAX_ORDER_PROPERTIES_BYTES = 8 * 1024;

/** An event waiting for its customer's id. */
export interface PendingEvent {
  /** The CSV line of its first row, for reporting. */
  line: number;
  /** How many CSV rows it stands for. */
  rows: number;
  /** The customer's externalId; its id goes into `input.customerId` before sending. */
  customer: string;
  input: Omit<EventInput, "customerId">;
}

interface OpenOrder {
  first: TransactionLine;
  latest: string;
  cents: number;
  lines: TransactionLine[];
}

/**
 * Turns transaction lines into orders: one event per invoice and customer, `purchase` (or `refund`
 * for a cancellation invoice), worth the sum of its lines, at the time of its latest line, with its
 * lines in `properties.lines`. An invoice's lines need not be next to each other: its orders are
 * completed when its last line (by `lastLines`, from a first pass over the file) has been read, so
 * an invoice makes one event per customer whatever the order of the file, and memory holds only
 * the invoices whose last line is still to come.
 *
 * Ids: `tx:<invoice>` for the order holding the invoice's first line, `tx:<invoice>@<n>` for
 * another customer's order in the same invoice (n: the place of that order's first line among
 * the invoice's rows). So the same file always gives the same ids, and importing it again stores
 * nothing twice.
 */
export class OrderGrouping {
  private readonly open = new Map<string, Map<string, OpenOrder>>();

  /**
   * @param lastLines the CSV line of each invoice's last line that becomes part of an order; an
   *   invoice not in it is completed by {@link finish}.
   */
  constructor(private readonly lastLines: ReadonlyMap<string, number>) {}

  /** Takes the next line; returns the orders it completes (none, or those of its invoice). */
  add(line: TransactionLine): PendingEvent[] {
    let orders = this.open.get(line.invoice);
    if (!orders) this.open.set(line.invoice, (orders = new Map()));
    const order = orders.get(line.customer);
    if (!order)
      orders.set(line.customer, {
        first: line,
        latest: line.timestamp,
        cents: line.amountCents,
        lines: [line],
      });
    else {
      order.cents += line.amountCents;
      order.lines.push(line);
      if (line.timestamp > order.latest) order.latest = line.timestamp;
    }
    return this.lastLines.get(line.invoice) === line.line ? this.close(line.invoice) : [];
  }

  /** Returns the orders still open (the file ended). */
  finish(): PendingEvent[] {
    return [...this.open.keys()].flatMap((invoice) => this.close(invoice));
  }

  /** Invoices with lines read and not yet completed. */
  get openInvoices(): number {
    return this.open.size;
  }

  private close(invoice: string): PendingEvent[] {
    const orders = [...(this.open.get(invoice)?.values() ?? [])].sort(
      (a, b) => a.first.position - b.first.position,
    );
    this.open.delete(invoice);
    return orders.map((order, index) =>
      orderEvent(order, index === 0 ? `tx:${invoice}` : `tx:${invoice}@${order.first.position}`),
    );
  }
}

function orderEvent(order: OpenOrder, id: string): PendingEvent {
  const { first } = order;
  const items = order.lines.reduce((sum, line) => sum + Math.abs(line.quantity), 0);
  const properties: OrderProperties = {
    invoice: first.invoice,
    ...(first.country !== undefined ? { country: first.country } : {}),
    lineCount: order.lines.length,
    items: Math.round(items * 1e6) / 1e6,
    lines: [],
  };
  let size = Buffer.byteLength(JSON.stringify(properties));
  // Room for `"linesOmitted":<n>,` should some lines not fit.
  const reserve = `,"linesOmitted":${order.lines.length}`.length;
  for (const line of order.lines) {
    const kept: OrderLine = {
      ...(line.stockCode !== undefined ? { stockCode: line.stockCode } : {}),
      ...(line.description !== undefined ? { description: line.description } : {}),
      quantity: line.quantity,
      unitPrice: line.unitPrice,
    };
    const added = Buffer.byteLength(JSON.stringify(kept)) + (properties.lines.length > 0 ? 1 : 0);
    if (size + added + reserve > MAX_ORDER_PROPERTIES_BYTES) break;
    properties.lines.push(kept);
    size += added;
  }
  if (properties.lines.length < order.lines.length)
    properties.linesOmitted = order.lines.length - properties.lines.length;
  return {
    line: first.line,
    rows: order.lines.length,
    customer: first.customer,
    input: {
      id,
      type: first.cancellation ? "refund" : "purchase",
      timestamp: order.latest,
      value: order.cents / 100,
      properties,
    },
  };
}
