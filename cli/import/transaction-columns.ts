import { findColumn, normalizeName } from "./column-mapping";
import { UsageError } from "./errors";

/**
 * What a transactions CSV column can feed. The first five are required; the rest are optional.
 * The names are what `--map <field>=<Column>` takes.
 */
export const TRANSACTION_FIELDS = [
  "invoice",
  "customer",
  "date",
  "quantity",
  "price",
  "stockCode",
  "description",
  "country",
  "name",
] as const;

export type TransactionField = (typeof TRANSACTION_FIELDS)[number];

export const REQUIRED_TRANSACTION_FIELDS: readonly TransactionField[] = [
  "invoice",
  "customer",
  "date",
  "quantity",
  "price",
];

/**
 * Header names each field is detected by, in order of preference; compared by
 * {@link normalizeName} (ignoring case, spaces, "_" and "-"). The first names are the UCI
 * "Online Retail" columns (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
 * CustomerID, Country), then those of "Online Retail II" (Invoice, Price, Customer ID), then
 * common others.
 */
export const TRANSACTION_ALIASES: Record<TransactionField, string[]> = {
  invoice: [
    "InvoiceNo",
    "Invoice",
    "InvoiceNumber",
    "InvoiceId",
    "OrderId",
    "OrderNo",
    "OrderNumber",
    "Order",
  ],
  customer: ["CustomerID", "CustomerNo", "Customer", "ClientId", "Client"],
  date: ["InvoiceDate", "OrderDate", "Date", "DateTime", "Timestamp"],
  quantity: ["Quantity", "Qty"],
  price: ["UnitPrice", "Price"],
  stockCode: ["StockCode", "SKU", "ProductId", "ProductCode", "ItemCode"],
  description: ["Description", "ProductName", "Product", "Item"],
  country: ["Country"],
  name: ["CustomerName", "ClientName"],
};

/** Which column feeds which field; the required ones are always there. */
export type TransactionColumns = Record<(typeof REQUIRED_TRANSACTION_FIELDS)[number], string> &
  Partial<Record<TransactionField, string>>;

/** True when `value` names one of {@link TRANSACTION_FIELDS}, compared like a header name. */
export function transactionField(value: string): TransactionField | undefined {
  return TRANSACTION_FIELDS.find((field) => normalizeName(field) === normalizeName(value));
}

/**
 * Decides which column feeds which field: `--map` first, then detection by header name (see
 * {@link TRANSACTION_ALIASES}). Throws a {@link UsageError} when a mapped column is not in the
 * header or a required field has no column.
 */
export function resolveTransactionColumns(
  header: string[],
  map: Partial<Record<TransactionField, string>>,
): TransactionColumns {
  const claimed = new Set<string>();
  const fields: Partial<Record<TransactionField, string>> = {};
  for (const field of TRANSACTION_FIELDS) {
    const given = map[field];
    if (given === undefined) continue;
    fields[field] = findColumn(header, given, `--map ${field}=${given}`);
    claimed.add(fields[field]!);
  }
  for (const field of TRANSACTION_FIELDS) {
    if (fields[field]) continue;
    for (const alias of TRANSACTION_ALIASES[field]) {
      const column = header.find(
        (name) => !claimed.has(name) && normalizeName(name) === normalizeName(alias),
      );
      if (column) {
        fields[field] = column;
        claimed.add(column);
        break;
      }
    }
  }
  const missing = REQUIRED_TRANSACTION_FIELDS.filter((field) => !fields[field]);
  if (missing.length > 0) {
    const hint = missing.map((field) => `--map ${field}=<Column>`).join(" ");
    const names =
      missing.length > 1 ? `${missing.slice(0, -1).join(", ")} or ${missing.at(-1)}` : missing[0];
    const lookedFor = missing
      .map((field) => `${field}: ${TRANSACTION_ALIASES[field].slice(0, 2).join(", ")}...`)
      .join("; ");
    throw new UsageError(
      `The file has no ${names} column (looked for ${lookedFor}). Name ${missing.length > 1 ? "them" : "it"} with ${hint}. Columns: ${header.join(", ")}.`,
    );
  }
  return fields as TransactionColumns;
}

/**
 * One line saying which column feeds which field, e.g.
 * `columns: invoice <- InvoiceNo, customer <- CustomerID, ...; not used: Notes`.
 */
export function describeTransactionColumns(columns: TransactionColumns, header: string[]): string {
  const used = new Set<string>();
  const parts: string[] = [];
  for (const field of TRANSACTION_FIELDS) {
    const column = columns[field];
    if (column === undefined) continue;
    parts.push(`${field} <- ${column}`);
    used.add(column);
  }
  const unused = header.filter((column) => !used.has(column));
  return `columns: ${parts.join(", ")}; not used: ${unused.length > 0 ? unused.join(", ") : "none"}`;
}
