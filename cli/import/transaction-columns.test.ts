import { UsageError } from "./errors";
import { describeTransactionColumns, resolveTransactionColumns } from "./transaction-columns";

describe("resolveTransactionColumns", () => {
  it("finds every column of the UCI Online Retail layout without options", () => {
    const header = [
      "InvoiceNo",
      "StockCode",
      "Description",
      "Quantity",
      "InvoiceDate",
      "UnitPrice",
      "CustomerID",
      "Country",
    ];
    const columns = resolveTransactionColumns(header, {});
    expect(columns).toEqual({
      invoice: "InvoiceNo",
      customer: "CustomerID",
      date: "InvoiceDate",
      quantity: "Quantity",
      price: "UnitPrice",
      stockCode: "StockCode",
      description: "Description",
      country: "Country",
    });
    expect(describeTransactionColumns(columns, header)).toBe(
      "columns: invoice <- InvoiceNo, customer <- CustomerID, date <- InvoiceDate, quantity <- Quantity, price <- UnitPrice, " +
        "stockCode <- StockCode, description <- Description, country <- Country; not used: none",
    );
  });

  it("finds the Online Retail II names (Invoice, Price, Customer ID) and leaves other columns unused", () => {
    const header = [
      "Invoice",
      "StockCode",
      "Description",
      "Quantity",
      "InvoiceDate",
      "Price",
      "Customer ID",
      "Country",
      "Notes",
    ];
    const columns = resolveTransactionColumns(header, {});
    expect(columns).toMatchObject({ invoice: "Invoice", price: "Price", customer: "Customer ID" });
    expect(describeTransactionColumns(columns, header)).toMatch(/; not used: Notes$/);
  });

  it("takes --map first, matching the column name like a header", () => {
    const header = ["Order", "Client", "When", "Qty", "Price", "SKU", "Land", "Item"];
    const columns = resolveTransactionColumns(header, {
      invoice: "order",
      customer: "Client",
      date: "When",
      country: "Land",
      description: "Item",
    });
    expect(columns).toEqual({
      invoice: "Order",
      customer: "Client",
      date: "When",
      quantity: "Qty",
      price: "Price",
      stockCode: "SKU",
      country: "Land",
      description: "Item",
    });
  });

  it("says which required columns are missing and how to name them", () => {
    expect(() => resolveTransactionColumns(["Ref", "Qty", "Price", "When"], {})).toThrow(
      new UsageError(
        "The file has no invoice, customer or date column (looked for invoice: InvoiceNo, Invoice...; customer: CustomerID, CustomerNo...; date: InvoiceDate, OrderDate...). " +
          "Name them with --map invoice=<Column> --map customer=<Column> --map date=<Column>. Columns: Ref, Qty, Price, When.",
      ),
    );
    expect(() =>
      resolveTransactionColumns(["InvoiceNo", "CustomerID", "Date", "Quantity"], {}),
    ).toThrow(
      /^The file has no price column \(looked for price: UnitPrice, Price\.\.\.\)\. Name it with --map price=<Column>\./,
    );
  });

  it("refuses a mapped column the file does not have", () => {
    expect(() => resolveTransactionColumns(["InvoiceNo", "CustomerID"], { date: "Datum" })).toThrow(
      /--map date=Datum: the file has no column 'Datum'/,
    );
  });
});
