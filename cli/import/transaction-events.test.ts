import { eventGrouping, type PendingEvent } from "./transaction-events";
import type { TransactionLine } from "./transaction-rows";

let nextLine = 2;
function line(
  invoice: string,
  position: number,
  overrides: Partial<TransactionLine> = {},
): TransactionLine {
  return {
    line: nextLine++,
    invoice,
    position,
    cancellation: invoice.startsWith("C"),
    customer: "17850",
    country: "United Kingdom",
    stockCode: "85123A",
    description: "WHITE HANGING HEART",
    timestamp: "2010-12-01T08:26:00.000Z",
    quantity: 6,
    unitPrice: 2.55,
    amountCents: 1530,
    ...overrides,
  };
}

function run(
  perInvoice: boolean,
  lines: TransactionLine[],
): { events: PendingEvent[]; split: number } {
  const grouping = eventGrouping(perInvoice);
  const events = [...lines.flatMap((item) => grouping.add(item)), ...grouping.finish()];
  return { events, split: grouping.splitInvoices };
}

beforeEach(() => {
  nextLine = 2;
});

describe("one event per line", () => {
  it("makes a purchase per line with a deterministic id, its value in currency and its properties", () => {
    const { events } = run(false, [
      line("536365", 1),
      line("536365", 2, {
        stockCode: undefined,
        description: undefined,
        country: undefined,
        quantity: 3,
        amountCents: 765,
      }),
    ]);
    expect(events).toEqual([
      {
        line: 2,
        rows: 1,
        customer: "17850",
        input: {
          id: "tx:536365:1",
          type: "purchase",
          timestamp: "2010-12-01T08:26:00.000Z",
          value: 15.3,
          properties: {
            invoice: "536365",
            stockCode: "85123A",
            description: "WHITE HANGING HEART",
            quantity: 6,
            unitPrice: 2.55,
            country: "United Kingdom",
          },
        },
      },
      {
        line: 3,
        rows: 1,
        customer: "17850",
        input: {
          id: "tx:536365:2",
          type: "purchase",
          timestamp: "2010-12-01T08:26:00.000Z",
          value: 7.65,
          properties: { invoice: "536365", quantity: 3, unitPrice: 2.55 },
        },
      },
    ]);
  });

  it("makes a refund of a cancelled line, worth the positive amount", () => {
    const { events } = run(false, [
      line("C536379", 1, { quantity: -1, unitPrice: 27.5, amountCents: 2750 }),
    ]);
    expect(events[0].input).toMatchObject({
      id: "tx:C536379:1",
      type: "refund",
      value: 27.5,
      properties: { quantity: -1, unitPrice: 27.5 },
    });
  });
});

describe("one event per invoice", () => {
  it("sums an invoice's lines into one event when the next invoice starts", () => {
    const grouping = eventGrouping(true);
    expect(grouping.add(line("536365", 1))).toEqual([]);
    expect(grouping.add(line("536365", 2, { quantity: 3, amountCents: 765 }))).toEqual([]);
    expect(grouping.add(line("536365", 4, { quantity: 0.5, amountCents: 1 }))).toEqual([]);
    const completed = grouping.add(
      line("536366", 1, { customer: "13047", timestamp: "2010-12-01T08:28:00.000Z" }),
    );
    expect(completed).toEqual([
      {
        line: 2,
        rows: 3,
        customer: "17850",
        input: {
          id: "tx:536365",
          type: "purchase",
          timestamp: "2010-12-01T08:26:00.000Z",
          value: 22.96,
          properties: { invoice: "536365", lines: 3, items: 9.5, country: "United Kingdom" },
        },
      },
    ]);
    expect(grouping.finish()).toMatchObject([
      { line: 5, rows: 1, customer: "13047", input: { id: "tx:536366", value: 15.3 } },
    ]);
    expect(grouping.finish()).toEqual([]);
    expect(grouping.splitInvoices).toBe(0);
  });

  it("makes a cancelled invoice one refund of its total, items counted positive", () => {
    const { events } = run(true, [
      line("C536379", 1, { quantity: -2, amountCents: 510 }),
      line("C536379", 2, { quantity: -1, amountCents: 100 }),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0].input).toMatchObject({
      id: "tx:C536379",
      type: "refund",
      value: 6.1,
      properties: { invoice: "C536379", lines: 2, items: 3 },
    });
  });

  it("gives the lines of an invoice that comes back later their own event, tx:<invoice>#2, and counts the invoice once", () => {
    const { events, split } = run(true, [
      line("1", 1),
      line("2", 1),
      line("1", 2),
      line("1", 3),
      line("2", 2),
      line("1", 4),
    ]);
    expect(events.map((event) => `${event.input.id} x${event.rows}`)).toEqual([
      "tx:1 x1",
      "tx:2 x1",
      "tx:1#2 x2",
      "tx:2#2 x1",
      "tx:1#3 x1",
    ]);
    expect(split).toBe(2);
  });

  it("starts a new event when the customer changes within an invoice", () => {
    const { events } = run(true, [line("7", 1), line("7", 2, { customer: "other" })]);
    expect(events.map((event) => [event.input.id, event.customer])).toEqual([
      ["tx:7", "17850"],
      ["tx:7#2", "other"],
    ]);
  });
});
