import { resolveTransactionColumns } from "./transaction-columns";
import {
  amountInCents,
  DateParser,
  normalizeCustomerId,
  parseDecimal,
  SKIP_REASONS,
  TransactionRowReader,
  type DateFormat,
  type RowOutcome,
} from "./transaction-rows";

const UCI = [
  "InvoiceNo",
  "StockCode",
  "Description",
  "Quantity",
  "InvoiceDate",
  "UnitPrice",
  "CustomerID",
  "Country",
];

function uciReader(options: { dateFormat?: DateFormat; timezone?: string } = {}) {
  const reader = new TransactionRowReader(resolveTransactionColumns(UCI, {}), {
    dateFormat: options.dateFormat ?? "mdy",
    timezone: options.timezone ?? "UTC",
  });
  let line = 1;
  return (csv: string): RowOutcome => {
    const values = csv.split(",");
    return reader.read(
      Object.fromEntries(UCI.map((column, index) => [column, values[index]])),
      ++line,
    );
  };
}

describe("normalizeCustomerId", () => {
  it.each([
    ["17850.0", "17850"],
    ["17850", "17850"],
    [" 17850.00 ", "17850"],
    ["17850.", "17850"],
    ["17850.5", "17850.5"],
    ["CUST-7", "CUST-7"],
    ["", ""],
  ])("reads %j as %j", (text, id) => {
    expect(normalizeCustomerId(text)).toBe(id);
  });
});

describe("parseDecimal and amountInCents", () => {
  it("reads plain decimals exactly and nothing else", () => {
    expect(parseDecimal("2.55")).toEqual({ units: 255, scale: 2 });
    expect(parseDecimal("-6")).toEqual({ units: -6, scale: 0 });
    expect(parseDecimal(".5")).toEqual({ units: 5, scale: 1 });
    expect(parseDecimal("+0.0")).toEqual({ units: 0, scale: 1 });
    for (const text of ["", "-", ".", "1e3", "1,5", "12 units", "1234567890123456"])
      expect(parseDecimal(text)).toBeUndefined();
  });

  it("multiplies without binary rounding errors and rounds half up to cents", () => {
    const cents = (quantity: string, price: string) =>
      amountInCents(parseDecimal(quantity)!, parseDecimal(price)!);
    expect(cents("6", "2.55")).toBe(1530);
    expect(cents("3", "2.55")).toBe(765); // 3 * 2.55 is 7.6499999... in floating point
    expect(cents("1", "1.005")).toBe(101);
    expect(cents("10", "0.001")).toBe(1);
    expect(cents("1", "0.004")).toBe(0);
    expect(cents("-12", "0.85")).toBe(1020); // a refund's amount is positive
    expect(cents("1.5", "3.333")).toBe(500);
  });
});

describe("DateParser", () => {
  const parse = (text: string, format: DateFormat = "mdy", zone = "UTC") =>
    new DateParser(format, zone).parse(text);

  it("reads the UCI file's month/day/year dates as UTC", () => {
    expect(parse("12/1/2010 8:26")).toBe("2010-12-01T08:26:00.000Z");
    expect(parse("1/12/2011 17:05")).toBe("2011-01-12T17:05:00.000Z");
    expect(parse("12/09/2011 12:50:42")).toBe("2011-12-09T12:50:42.000Z");
    expect(parse("12/1/2010")).toBe("2010-12-01T00:00:00.000Z");
    expect(parse("12/1/2010 8:26 PM")).toBe("2010-12-01T20:26:00.000Z");
    expect(parse("12/1/2010 12:05 AM")).toBe("2010-12-01T00:05:00.000Z");
  });

  it("reads day/month/year with dmy, and ISO 8601 in every format", () => {
    expect(parse("1/12/2010 8:26", "dmy")).toBe("2010-12-01T08:26:00.000Z");
    expect(parse("01.12.2010 08:26", "dmy")).toBe("2010-12-01T08:26:00.000Z");
    for (const format of ["mdy", "dmy", "iso"] as const) {
      expect(parse("2010-12-01 08:26:00", format)).toBe("2010-12-01T08:26:00.000Z");
      expect(parse("2010-12-01T08:26:00.250Z", format)).toBe("2010-12-01T08:26:00.250Z");
      expect(parse("2010-12-01T08:26:00+01:00", format)).toBe("2010-12-01T07:26:00.000Z");
      expect(parse("2010-12-01T08:26-0530", format)).toBe("2010-12-01T13:56:00.000Z");
      expect(parse("2010-12-01", format)).toBe("2010-12-01T00:00:00.000Z");
    }
  });

  it("says what is wrong, and suggests the other order when the date would fit it", () => {
    expect(parse("13/1/2010 8:26")).toEqual({
      error:
        "is not a valid month/day/year date: '13/1/2010 8:26'. Use --date-format dmy if the file's dates are day/month/year.",
    });
    expect(parse("2/30/2011 8:26")).toEqual({
      error: "is not a valid month/day/year date: '2/30/2011 8:26'.",
    });
    expect(parse("12/1/2010 8:26", "iso")).toEqual({
      error:
        "is not an ISO 8601 date like 2010-12-01T08:26:00Z (--date-format iso): '12/1/2010 8:26'.",
    });
    expect(parse("yesterday")).toEqual({
      error:
        "is not a date like 12/1/2010 8:26 (month/day/year, --date-format mdy) or 2010-12-01T08:26:00Z: 'yesterday'.",
    });
    expect(parse("")).toEqual({ error: "is empty." });
    expect(parse("2011-02-29 10:00")).toEqual({
      error: "is not a valid date: '2011-02-29 10:00'.",
    });
    expect(parse("12/1/2010 24:00")).toHaveProperty("error");
  });

  it("reads dates without an offset in --timezone, across daylight saving time", () => {
    expect(parse("12/1/2010 8:26", "mdy", "Europe/London")).toBe("2010-12-01T08:26:00.000Z");
    expect(parse("6/1/2011 8:26", "mdy", "Europe/London")).toBe("2011-06-01T07:26:00.000Z");
    expect(parse("6/1/2011 8:26", "mdy", "America/New_York")).toBe("2011-06-01T12:26:00.000Z");
    expect(parse("2011-06-01 08:26", "iso", "Asia/Kolkata")).toBe("2011-06-01T02:56:00.000Z");
    // An explicit offset wins over the zone.
    expect(parse("2011-06-01T08:26:00Z", "iso", "America/New_York")).toBe(
      "2011-06-01T08:26:00.000Z",
    );
    // 02:30 does not exist in Berlin on 27 March 2011: read with the offset before the change.
    expect(parse("3/27/2011 2:30", "mdy", "Europe/Berlin")).toBe("2011-03-27T01:30:00.000Z");
    // 02:30 happens twice on 30 October 2011: the first one.
    expect(parse("10/30/2011 2:30", "mdy", "Europe/Berlin")).toBe("2011-10-30T00:30:00.000Z");
    expect(parse("10/30/2011 3:30", "mdy", "Europe/Berlin")).toBe("2011-10-30T02:30:00.000Z");
  });
});

describe("TransactionRowReader", () => {
  it("reads a UCI line, its customer id without the .0 and its amount in cents", () => {
    const read = uciReader();
    expect(
      read(
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom",
      ),
    ).toEqual({
      kind: "line",
      line: {
        line: 2,
        invoice: "536365",
        position: 1,
        cancellation: false,
        customer: "17850",
        country: "United Kingdom",
        stockCode: "85123A",
        description: "WHITE HANGING HEART T-LIGHT HOLDER",
        timestamp: "2010-12-01T08:26:00.000Z",
        quantity: 6,
        unitPrice: 2.55,
        amountCents: 1530,
      },
    });
  });

  it("reads a cancellation as refunded, with the quantity as written and a positive amount", () => {
    const read = uciReader();
    const outcome = read("C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom");
    expect(outcome).toMatchObject({
      kind: "line",
      line: {
        invoice: "C536379",
        cancellation: true,
        quantity: -1,
        unitPrice: 27.5,
        amountCents: 2750,
      },
    });
  });

  it("skips rows without a customer, non-cancelled rows of quantity 0 or less, free rows and blank rows", () => {
    const read = uciReader();
    expect(read("536414,22139,,56,12/1/2010 11:52,0,,United Kingdom")).toEqual({
      kind: "skipped",
      reason: SKIP_REASONS.noCustomer,
    });
    expect(read("536415,22139,x,-5,12/1/2010 11:52,1.25,17850,United Kingdom")).toEqual({
      kind: "skipped",
      reason: SKIP_REASONS.quantity,
    });
    expect(read("536415,22139,x,0,12/1/2010 11:52,1.25,17850,United Kingdom")).toEqual({
      kind: "skipped",
      reason: SKIP_REASONS.quantity,
    });
    expect(read("536416,22139,x,5,12/1/2010 11:52,0,17850,United Kingdom")).toEqual({
      kind: "skipped",
      reason: SKIP_REASONS.price,
    });
    expect(
      read("A563185,B,Adjust bad debt,1,8/12/2011 14:50,-11062.06,17850,United Kingdom"),
    ).toEqual({ kind: "skipped", reason: SKIP_REASONS.price });
    expect(read("C536417,22139,x,0,12/1/2010 11:52,1.25,17850,United Kingdom")).toEqual({
      kind: "skipped",
      reason: SKIP_REASONS.cancelledNothing,
    });
    expect(read(",,,,,,,")).toEqual({ kind: "skipped", reason: SKIP_REASONS.blank });
  });

  it("rejects rows whose values cannot be read, naming the column", () => {
    const read = uciReader();
    expect(read(",22139,x,5,12/1/2010 11:52,1.25,17850,United Kingdom")).toEqual({
      kind: "rejected",
      field: "InvoiceNo",
      reason: "InvoiceNo is empty.",
    });
    expect(read("536420,22139,x,five,12/1/2010 11:52,1.25,17850,United Kingdom")).toEqual({
      kind: "rejected",
      field: "Quantity",
      reason: "Quantity is not a number: 'five'.",
    });
    expect(read("536420,22139,x,5,12/1/2010 11:52,£1.25,17850,United Kingdom")).toEqual({
      kind: "rejected",
      field: "UnitPrice",
      reason: "UnitPrice is not a number: '£1.25'.",
    });
    expect(read("536420,22139,x,5,31/12/2010 11:52,1.25,17850,United Kingdom")).toMatchObject({
      kind: "rejected",
      field: "InvoiceDate",
      reason: expect.stringMatching(
        /^InvoiceDate is not a valid month\/day\/year date: '31\/12\/2010 11:52'\. Use --date-format dmy/,
      ),
    });
  });

  it("numbers each invoice's rows in file order, skipped and rejected rows included, also when the invoice comes back later", () => {
    const read = uciReader();
    const positions = [
      "536365,A,a,1,12/1/2010 8:26,1,17850,UK",
      "536365,B,b,1,12/1/2010 8:26,1,,UK", // skipped: still row 2 of the invoice
      "536365,C,c,1,bad date,1,17850,UK", // rejected: row 3
      "536365,D,d,1,12/1/2010 8:26,1,17850,UK",
      "536366,A,a,1,12/1/2010 8:28,1,13047,UK",
      "536365,E,e,1,12/1/2010 8:26,1,17850,UK", // the invoice again: row 5
    ].map((csv) => {
      const outcome = read(csv);
      return outcome.kind === "line"
        ? `${outcome.line.invoice}:${outcome.line.position}`
        : outcome.kind;
    });
    expect(positions).toEqual([
      "536365:1",
      "skipped",
      "rejected",
      "536365:4",
      "536366:1",
      "536365:5",
    ]);
  });

  it("reads mapped columns of another layout, with day-first dates in a time zone", () => {
    const header = [
      "Order",
      "Client",
      "When",
      "Qty",
      "Price",
      "SKU",
      "Land",
      "Item",
      "Client Name",
    ];
    const columns = resolveTransactionColumns(header, {
      invoice: "Order",
      customer: "Client",
      date: "When",
      quantity: "Qty",
      price: "Price",
      stockCode: "SKU",
      country: "Land",
      description: "Item",
      name: "Client Name",
    });
    const reader = new TransactionRowReader(columns, {
      dateFormat: "dmy",
      timezone: "Europe/Berlin",
    });
    const values = [
      "SO-1",
      "acme-42",
      "31.07.2011 14:00",
      "2",
      "19.99",
      "X-1",
      "Germany",
      "Widget",
      "Acme GmbH",
    ];
    expect(
      reader.read(Object.fromEntries(header.map((column, index) => [column, values[index]])), 2),
    ).toEqual({
      kind: "line",
      line: {
        line: 2,
        invoice: "SO-1",
        position: 1,
        cancellation: false,
        customer: "acme-42",
        customerName: "Acme GmbH",
        country: "Germany",
        stockCode: "X-1",
        description: "Widget",
        timestamp: "2011-07-31T12:00:00.000Z",
        quantity: 2,
        unitPrice: 19.99,
        amountCents: 3998,
      },
    });
  });
});
