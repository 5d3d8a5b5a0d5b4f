import { UsageError } from "./errors";

/** The customer fields a CSV column can feed; every other column goes into `attributes`. */
export const CUSTOMER_FIELDS = [
  "externalId",
  "name",
  "email",
  "age",
  "gender",
  "location",
  "incomeRange",
  "preferredCategory",
  "status",
  "churnedAt",
  "registeredAt",
] as const;

export type CustomerField = (typeof CUSTOMER_FIELDS)[number];

/** True when `value` names one of {@link CUSTOMER_FIELDS}. */
export function isCustomerField(value: string): value is CustomerField {
  return (CUSTOMER_FIELDS as readonly string[]).includes(value);
}

export type AttributeValue = string | number | boolean;

/**
 * The `CustomerInput` of the `upsertCustomers` mutation, as sent: absent keys are left out of the
 * JSON.
 */
export interface CustomerInput {
  externalId?: string;
  name: string;
  email?: string;
  age?: number;
  gender?: string;
  location?: string;
  incomeRange?: string;
  preferredCategory?: string;
  status?: "ACTIVE" | "CHURNED";
  churnedAt?: string;
  registeredAt?: string;
  attributes?: Record<string, AttributeValue>;
}

/**
 * What the command line says about columns: `--map field=Column` and
 * `--churned-column/--churned-value`.
 */
export interface MappingOptions {
  map: Partial<Record<CustomerField, string>>;
  churned?: { column: string; value: string };
}

/** Where a customer's name comes from. */
export type NameSource =
  | { kind: "column"; column: string }
  | { kind: "firstAndLast"; first?: string; last?: string }
  | { kind: "externalId" };

/** Which column of the file feeds what, decided once from the header by {@link resolveColumns}. */
export interface ColumnMapping {
  /** Field -> column, for every field but `name`. */
  fields: Partial<Record<Exclude<CustomerField, "name">, string>>;
  name: NameSource;
  churned?: { column: string; value: string };
  /** The columns nothing else uses, kept in `attributes` under their header name. */
  attributeColumns: string[];
}

/** What one CSV row becomes. */
export type RowResult =
  | { kind: "customer"; input: CustomerInput }
  | { kind: "rejected"; field: string; reason: string }
  | { kind: "skipped" };

/**
 * Header names each field is detected by, in order of preference; compared by {@link
 * normalizeName}.
 */
const FIELD_ALIASES: Record<CustomerField, string[]> = {
  externalId: ["externalId", "external_id", "id", "customerId", "customer_id"],
  name: ["name", "fullName", "customerName"],
  email: ["email", "e-mail"],
  age: ["age"],
  gender: ["gender"],
  location: ["location", "city", "country"],
  incomeRange: ["incomeRange", "income"],
  preferredCategory: ["preferredCategory", "category"],
  status: ["status"],
  churnedAt: ["churnedAt", "churned_at", "churnDate"],
  registeredAt: ["registeredAt", "registered_at", "signupDate", "createdAt"],
};

const FIRST_NAME_ALIASES = ["firstName", "first_name"];
const LAST_NAME_ALIASES = ["lastName", "last_name"];

/** GraphQL's Int is 32 bits: a bigger age would fail the whole batch instead of its row. */
const MAX_INT = 2 ** 31 - 1;

/** A header name as it is compared: lower case, without spaces, underscores or dashes. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, "");
}

/**
 * The header row's names as the records are keyed: trimmed, an empty name becomes `column<N>`
 * (N from 1) and a repeated name gets `_2`, `_3`..., so that no column hides another.
 */
export function headerNames(raw: string[]): string[] {
  const seen = new Set<string>();
  return raw.map((value, index) => {
    const base = value.trim() || `column${index + 1}`;
    let name = base;
    for (let n = 2; seen.has(name); n++) name = `${base}_${n}`;
    seen.add(name);
    return name;
  });
}

/**
 * Decides which column feeds which customer field: `--map` first, then the churned column, then
 * detection by header name (see {@link FIELD_ALIASES}); a file without a name column gets its
 * names from first/last name columns, or else from the externalId. Throws a {@link UsageError}
 * when a column given on the command line is not in the header, or when no externalId column
 * is found.
 */
export function resolveColumns(header: string[], options: MappingOptions): ColumnMapping {
  const claimed = new Set<string>();
  const claim = (column: string) => {
    claimed.add(column);
    return column;
  };
  const explicit: Partial<Record<CustomerField, string>> = {};
  for (const field of CUSTOMER_FIELDS) {
    const given = options.map[field];
    if (given !== undefined)
      explicit[field] = claim(findColumn(header, given, `--map ${field}=${given}`));
  }

  let churned: ColumnMapping["churned"];
  if (options.churned) {
    if (explicit.status)
      throw new UsageError("--churned-column sets each row's status: do not also --map status.");
    const column = claim(
      findColumn(header, options.churned.column, `--churned-column ${options.churned.column}`),
    );
    churned = { column, value: options.churned.value };
  }

  const detect = (aliases: string[]): string | undefined => {
    for (const alias of aliases) {
      const column = header.find(
        (name) => !claimed.has(name) && normalizeName(name) === normalizeName(alias),
      );
      if (column) return claim(column);
    }
    return undefined;
  };

  const fields: ColumnMapping["fields"] = {};
  for (const field of CUSTOMER_FIELDS) {
    if (field === "name") continue;
    // With a churned column the status comes from it; a status column is then just an attribute.
    if (field === "status" && churned) continue;
    const column = explicit[field] ?? detect(FIELD_ALIASES[field]);
    if (column) fields[field] = column;
  }
  if (!fields.externalId) {
    throw new UsageError(
      "The file has no externalId column, which the import needs to update rather than duplicate customers when it runs again. " +
        `Name the column holding your customer ids with --map externalId=<Column>. Columns: ${header.join(", ")}.`,
    );
  }

  let name: NameSource;
  const nameColumn = explicit.name ?? detect(FIELD_ALIASES.name);
  if (nameColumn) {
    name = { kind: "column", column: nameColumn };
  } else {
    const first = detect(FIRST_NAME_ALIASES);
    const last = detect(LAST_NAME_ALIASES);
    name = first || last ? { kind: "firstAndLast", first, last } : { kind: "externalId" };
  }

  return {
    fields,
    name,
    churned,
    attributeColumns: header.filter((column) => !claimed.has(column)),
  };
}

/**
 * One line saying which column feeds which field, for the user to check the detection, e.g.
 * `columns: externalId <- CustomerID, name <- Full Name, status <- Churn = "Yes"; attributes: Plan,
 * Score`.
 */
export function describeMapping(mapping: ColumnMapping): string {
  const parts = [
    `externalId <- ${mapping.fields.externalId}`,
    `name <- ${describeNameSource(mapping.name)}`,
  ];
  for (const [field, column] of Object.entries(mapping.fields)) {
    if (field !== "externalId") parts.push(`${field} <- ${column}`);
  }
  if (mapping.churned)
    parts.push(`status <- ${mapping.churned.column} = "${mapping.churned.value}"`);
  const attributes =
    mapping.attributeColumns.length > 0 ? mapping.attributeColumns.join(", ") : "none";
  return `columns: ${parts.join(", ")}; attributes: ${attributes}`;
}

function describeNameSource(source: NameSource): string {
  switch (source.kind) {
    case "column":
      return source.column;
    case "firstAndLast":
      return [source.first, source.last].filter(Boolean).join(" + ");
    case "externalId":
      return "the externalId (no name column)";
  }
}

/**
 * Turns one CSV record (column -> text) into a customer. A row whose cells are all empty is
 * skipped. A row whose typed value cannot even be sent (an age that is not a whole number, a date
 * that does not parse, an unknown status) is rejected here, with a reason worded like the
 * server's; everything else (a bad email, a negative age) is left for the server to judge.
 */
export function toCustomerInput(
  record: Record<string, string | undefined>,
  mapping: ColumnMapping,
): RowResult {
  const cell = (column: string | undefined): string =>
    column === undefined ? "" : (record[column] ?? "").trim();
  if (Object.values(record).every((value) => value === undefined || value.trim() === ""))
    return { kind: "skipped" };

  const { fields } = mapping;
  const externalId = cell(fields.externalId);
  const input: CustomerInput = { name: nameOf(mapping.name, cell, externalId) };
  if (externalId) input.externalId = externalId;
  for (const field of [
    "email",
    "gender",
    "location",
    "incomeRange",
    "preferredCategory",
  ] as const) {
    const value = cell(fields[field]);
    if (value) input[field] = value;
  }

  const age = cell(fields.age);
  if (age) {
    const parsed = /^[-+]?\d+(\.0*)?$/.test(age) ? Number(age) : NaN;
    if (!Number.isInteger(parsed) || Math.abs(parsed) > MAX_INT) {
      return {
        kind: "rejected",
        field: "age",
        reason: `Age must be a whole number from 0 to 150, got ${age}.`,
      };
    }
    input.age = parsed;
  }

  if (mapping.churned) {
    const churned =
      cell(mapping.churned.column).toLowerCase() === mapping.churned.value.trim().toLowerCase();
    input.status = churned ? "CHURNED" : "ACTIVE";
  } else {
    const status = cell(fields.status).toUpperCase();
    if (status === "ACTIVE" || status === "CHURNED") input.status = status;
    else if (status)
      return {
        kind: "rejected",
        field: "status",
        reason: `status must be ACTIVE or CHURNED, got '${cell(fields.status)}'.`,
      };
  }

  for (const field of ["churnedAt", "registeredAt"] as const) {
    const text = cell(fields[field]);
    if (!text) continue;
    const date = new Date(text);
    if (Number.isNaN(date.getTime()))
      return {
        kind: "rejected",
        field,
        reason: `${field} is not a valid date-time, got '${text}'.`,
      };
    input[field] = date.toISOString();
  }

  // A file without extra columns leaves the stored attributes alone; with them, it replaces them.
  if (mapping.attributeColumns.length > 0) {
    const attributes: Record<string, AttributeValue> = {};
    for (const column of mapping.attributeColumns) {
      const value = attributeValue(cell(column));
      if (value !== undefined) attributes[column] = value;
    }
    input.attributes = attributes;
  }
  return { kind: "customer", input };
}

/**
 * A cell as an attribute: undefined for an empty cell, a number for text that is plainly a finite
 * number, a boolean for `true`/`false` (any case), else the text. Numbers with a leading zero
 * ("02134") or more digits than a double holds exactly stay text, so zip codes and long ids
 * survive.
 */
export function attributeValue(text: string): AttributeValue | undefined {
  const value = text.trim();
  if (value === "") return undefined;
  const lower = value.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  const looksNumeric = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(value);
  const leadingZero = /^[-+]?0\d/.test(value);
  if (looksNumeric && !leadingZero) {
    const number = Number(value);
    if (Number.isFinite(number) && significantDigits(value) <= 15) return number;
  }
  return value;
}

/** How many significant digits a plain number's text has: "-0.0120e3" has 3. */
function significantDigits(value: string): number {
  const mantissa = value.replace(/[eE].*$/, "");
  return mantissa.replace(/\D/g, "").replace(/^0+/, "").length;
}

function nameOf(
  source: NameSource,
  cell: (column: string | undefined) => string,
  externalId: string,
): string {
  switch (source.kind) {
    case "column":
      return cell(source.column);
    case "firstAndLast":
      return [cell(source.first), cell(source.last)].filter(Boolean).join(" ");
    case "externalId":
      return externalId;
  }
}

/**
 * The header column a command-line option names: the exact name, else the one name that matches
 * it ignoring case, spaces, underscores and dashes. Throws a {@link UsageError} naming `option`.
 */
export function findColumn(header: string[], wanted: string, option: string): string {
  if (header.includes(wanted)) return wanted;
  const matches = header.filter((name) => normalizeName(name) === normalizeName(wanted));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1)
    throw new UsageError(
      `${option}: several columns match '${wanted}' (${matches.join(", ")}); give the exact name.`,
    );
  throw new UsageError(
    `${option}: the file has no column '${wanted}'. Columns: ${header.join(", ")}.`,
  );
}
