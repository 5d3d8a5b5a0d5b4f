import { MAX_ORDER_PROPERTIES_BYTES, OrderGrouping, type PendingEvent } from "./transaction-events";
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

/** The events of `lines`, each invoice ending at its last line as the first pass finds it. */
function run(lines: TransactionLine[]): PendingEvent[] {
  const lastLines = new Map(lines.map((item) => [item.invoice, item.line]));
  const grouping = new OrderGrouping(lastLines);
  const events = lines.flatMap((item) => grouping.add(item));
  expect(grouping.openInvoices).toBe(0);
  expect(grouping.finish()).toEqual([]);
  return events;
}

beforeEach(() => {
  nextLine = 2;
});

describe("one order per invoice", () => {
  it("sums an invoice's lines into one purchase at its last line, with the lines in its properties", () => {
    const lines = [
      line("536365", 1),
      line("536365", 2, { quantity: 3, amountCents: 765, stockCode: undefined }),
      line("536365", 4, {
        quantity: 0.5,
        amountCents: 1,
        description: undefined,
        timestamp: "2010-12-01T08:27:00.000Z",
      }),
      line("536366", 1, { customer: "13047", timestamp: "2010-12-01T08:28:00.000Z" }),
    ];
    const grouping = new OrderGrouping(
      new Map([
        ["536365", 4],
        ["536366", 5],
      ]),
    );
    expect(grouping.add(lines[0])).toEqual([]);
    expect(grouping.add(lines[1])).toEqual([]);
    expect(grouping.add(lines[2])).toEqual([
      {
        line: 2,
        rows: 3,
        customer: "17850",
        input: {
          id: "tx:536365",
          type: "purchase",
          timestamp: "2010-12-01T08:27:00.000Z",
          value: 22.96,
          properties: {
            invoice: "536365",
            country: "United Kingdom",
            lineCount: 3,
            items: 9.5,
            lines: [
              {
                stockCode: "85123A",
                description: "WHITE HANGING HEART",
                quantity: 6,
                unitPrice: 2.55,
              },
              { description: "WHITE HANGING HEART", quantity: 3, unitPrice: 2.55 },
              { stockCode: "85123A", quantity: 0.5, unitPrice: 2.55 },
            ],
          },
        },
      },
    ]);
    expect(grouping.add(lines[3])).toMatchObject([
      { line: 5, rows: 1, customer: "13047", input: { id: "tx:536366", value: 15.3 } },
    ]);
    expect(grouping.finish()).toEqual([]);
  });

  it("makes a cancelled invoice one refund of its total, items counted positive", () => {
    const events = run([
      line("C536379", 1, { quantity: -2, amountCents: 510 }),
      line("C536379", 2, { quantity: -1, amountCents: 100 }),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0].input).toMatchObject({
      id: "tx:C536379",
      type: "refund",
      value: 6.1,
      properties: { invoice: "C536379", lineCount: 2, items: 3 },
    });
  });

  it("waits for the last line of an invoice whose lines are apart, and makes it one order", () => {
    const events = run([
      line("1", 1),
      line("2", 1),
      line("1", 2),
      line("1", 3),
      line("2", 2),
      line("1", 4),
    ]);
    expect(events.map((event) => `${event.input.id} x${event.rows} from ${event.line}`)).toEqual([
      "tx:2 x2 from 3",
      "tx:1 x4 from 2",
    ]);
  });

  it("makes one order per customer of an invoice, the first customer's tx:<invoice>", () => {
    const events = run([
      line("7", 1, { customer: "b" }),
      line("7", 2, { customer: "a" }),
      line("7", 3, { customer: "b" }),
    ]);
    expect(events.map((event) => [event.input.id, event.customer, event.rows])).toEqual([
      ["tx:7", "b", 2],
      ["tx:7@2", "a", 1],
    ]);
  });

  it("keeps as many lines as fit in the properties limit and counts the others", () => {
    const lines = Array.from({ length: 300 }, (_, i) =>
      line("9", i + 1, { description: `A PRODUCT OF A LONG NAME NUMBER ${i}`, amountCents: 100 }),
    );
    const [event] = run(lines);
    const { properties } = event.input;
    expect(Buffer.byteLength(JSON.stringify(properties))).toBeLessThanOrEqual(
      MAX_ORDER_PROPERTIES_BYTES,
    );
    expect(properties.lines.length).toBeGreaterThan(50);
    expect(properties.lines.length + properties.linesOmitted!).toBe(300);
    expect(properties.lineCount).toBe(300);
    expect(properties.lines.at(-1)!.description).toBe(
      `A PRODUCT OF A LONG NAME NUMBER ${properties.lines.length - 1}`,
    );
    expect(event.input.value).toBe(300);
    expect(event.rows).toBe(300);
  });
});
