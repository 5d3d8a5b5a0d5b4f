import { parseArgs } from "node:util";
import { CUSTOMER_FIELDS, normalizeName, type MappingOptions } from "./column-mapping";
import { UsageError } from "./errors";
import type { Credentials } from "./gateway-client";
import type { ImportCustomersOptions } from "./import-customers";
import type { CommonImportOptions } from "./import-session";
import { MAX_EVENT_BATCH, type ImportTransactionsOptions } from "./import-transactions";
import { TRANSACTION_FIELDS, transactionField } from "./transaction-columns";
import { DATE_FORMATS, isKnownTimeZone, type DateFormat } from "./transaction-rows";

export const DEFAULT_GATEWAY_URL = "http://localhost:4000/graphql";
export const DEFAULT_BATCH_SIZE = 1_000;
export const MAX_BATCH_SIZE = 5_000;
export const DEFAULT_EVENT_BATCH_SIZE = 5_000;

/** What can be imported. */
export const IMPORT_KINDS = ["customers", "transactions"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** What the command line asks for. */
export type CliCommand =
  | { kind: "help" }
  | { kind: "customers"; options: ImportCustomersOptions }
  | { kind: "transactions"; options: ImportTransactionsOptions };

/** Options that only one kind of import takes. */
const KIND_OPTIONS: Record<string, ImportKind> = {
  "churned-column": "customers",
  "churned-value": "customers",
  "date-format": "transactions",
  timezone: "transactions",
};

export const USAGE = `Usage: npm run import -- customers <file.csv> [options]
       npm run import -- transactions <file.csv> [options]

customers     creates or updates customers from a CSV file, keyed by their externalId.
transactions  sends sales lines (such as the UCI "Online Retail" file) as orders: one purchase
              (or refund) event per invoice, creating their customers first.
Both go through the gateway in batches, and running the same import again changes nothing.

Credentials, one of:
  --token <accessToken>         a user's access token, ANALYST or ADMIN (or env FA_TOKEN)
  --api-key <secret>            an API key (or env FA_API_KEY) with the CUSTOMERS_WRITE scope for
                                customers; with CUSTOMERS_WRITE, EVENTS_WRITE and READ (to look up
                                the customers' ids) for transactions
  --email <email> --password <password>
                                sign in as that user first

Options:
  --url <url>                   the gateway's GraphQL endpoint
                                (default: env FA_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})
  --delimiter <c>               the field delimiter (default ","; "\\t" or "tab" for tabs)
  --quiet                       no progress on stderr
  -h, --help                    show this text

Options for customers:
  --map <field>=<Column>        read a customer field from a column; repeatable. Fields:
                                ${CUSTOMER_FIELDS.slice(0, 6).join(", ")},
                                ${CUSTOMER_FIELDS.slice(6).join(", ")}
  --churned-column <Column>     with --churned-value: rows whose column holds the value (ignoring
  --churned-value <Value>       case) get status CHURNED, the others ACTIVE
  --batch-size <n>              rows per request, 1 to ${MAX_BATCH_SIZE} (default ${DEFAULT_BATCH_SIZE})

Columns are matched to fields by their header name, ignoring case, spaces, "_" and "-"
(e.g. "Customer ID" is the externalId, "City" the location); --map overrides that. An externalId
column is required. Every other column is kept in the customer's attributes, numbers and
true/false as such, empty cells left out.

Options for transactions:
  --map <field>=<Column>        read a field from a column; repeatable. The fields, and the
                                headers they are found by without --map:
                                  invoice      InvoiceNo, Invoice, OrderId (required)
                                  customer     CustomerID, Customer ID (required)
                                  date         InvoiceDate, Date (required)
                                  quantity     Quantity, Qty (required)
                                  price        UnitPrice, Price: the price of one unit (required)
                                  stockCode    StockCode, SKU
                                  description  Description
                                  country      Country: the customer's location
                                  name         CustomerName: else the customer is "Customer <id>"
  --date-format <mdy|dmy|iso>   read dates like 12/1/2010 8:26 month first (mdy, the default) or
                                day first (dmy), or accept ISO 8601 only (iso); ISO dates such as
                                2010-12-01T08:26:00Z are read in every format
  --timezone <zone>             the IANA zone of dates without an offset, e.g. Europe/London
                                (default UTC)
  --batch-size <n>              events per request, 1 to ${MAX_EVENT_BATCH} (default ${DEFAULT_EVENT_BATCH_SIZE})

An invoice is one order: its rows make one purchase event tx:<invoice>, worth the sum of
Quantity x UnitPrice of its rows (each rounded to cents), at the time of its latest row, with
the rows in properties.lines (as many as fit in 8 KB; lineCount counts them all). Its rows need
not be next to each other: the file is read twice, first to find where each invoice ends. An
invoice starting with "C" is a cancellation: its rows make one refund event, which revenue,
orders and the RFM features leave out. (Rows of one invoice with several customer ids make one
event per customer: tx:<invoice>@<n> for the others.) Importing the file again stores no event
twice. Skipped and counted: rows without a
customer id, rows with a quantity of 0 or less that are not cancellations, rows with a unit
price of 0 or less. Customer ids like 17850.0 are read as 17850. Each customer is sent once,
before its events: a new one is created; an existing one gets the file's location (and name,
with a name column) and keeps its other fields. The server refuses events before 2000 or more
than 5 minutes ahead.

Exit status: 0 when the import finished (even with rejected rows), 1 when it failed,
2 for a usage error.`;

/**
 * Parses the arguments after the script name (`customers <file> [options]`) and the environment
 * (FA_GATEWAY_URL, FA_TOKEN, FA_API_KEY) into what to do. Throws a {@link UsageError} saying what
 * is wrong with them.
 */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        "api-key": { type: "string" },
        email: { type: "string" },
        password: { type: "string" },
        map: { type: "string", multiple: true },
        "churned-column": { type: "string" },
        "churned-value": { type: "string" },
        "date-format": { type: "string" },
        timezone: { type: "string" },
        "batch-size": { type: "string" },
        delimiter: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    // Node's message for an unknown option goes on about '--'; its first sentence is enough.
    const unknown = /^Unknown option '[^']*'/.exec((error as Error).message);
    throw new UsageError(unknown ? `${unknown[0]}.` : (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };

  const [kind, file, ...extra] = positionals;
  if (!kind) throw new UsageError(`Say what to import: ${IMPORT_KINDS.join(" or ")}.`);
  if (!isImportKind(kind))
    throw new UsageError(`Cannot import '${kind}': the kinds are ${IMPORT_KINDS.join(", ")}.`);
  if (!file) throw new UsageError(`Name the CSV file: ${kind} <file.csv>.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}': give one file.`);
  for (const [option, owner] of Object.entries(KIND_OPTIONS)) {
    if (values[option as keyof typeof values] !== undefined && owner !== kind)
      throw new UsageError(`--${option} is an option of ${owner} imports, not of ${kind}.`);
  }

  const common: CommonImportOptions = {
    file,
    url: gatewayUrl(values.url ?? env.FA_GATEWAY_URL ?? DEFAULT_GATEWAY_URL),
    credentials: credentials(values, env),
    delimiter: delimiter(values.delimiter),
    quiet: values.quiet ?? false,
  };
  if (kind === "transactions") {
    return {
      kind,
      options: {
        ...common,
        columns: mapOptions(
          values.map ?? [],
          TRANSACTION_FIELDS,
          transactionField,
          "a transaction field",
          "--map customer=Client",
        ),
        dateFormat: dateFormat(values["date-format"]),
        timezone: timezone(values.timezone),
        batchSize: batchSize(values["batch-size"], DEFAULT_EVENT_BATCH_SIZE, MAX_EVENT_BATCH),
      },
    };
  }
  return {
    kind,
    options: {
      ...common,
      columns: columnOptions(values.map ?? [], values["churned-column"], values["churned-value"]),
      batchSize: batchSize(values["batch-size"], DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE),
    },
  };
}

function isImportKind(value: string): value is ImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(value);
}

export interface CredentialValues {
  token?: string;
  "api-key"?: string;
  email?: string;
  password?: string;
}

/** The one credential given: an option, else FA_TOKEN or FA_API_KEY. */
export function credentials(values: CredentialValues, env: NodeJS.ProcessEnv): Credentials {
  const login = values.email !== undefined || values.password !== undefined;
  const given = [
    values.token !== undefined && "--token",
    values["api-key"] !== undefined && "--api-key",
    login && "--email/--password",
  ].filter(Boolean);
  if (given.length > 1) throw new UsageError(`Give one credential, not ${given.join(" and ")}.`);

  if (values.token !== undefined)
    return { kind: "token", token: nonEmpty(values.token, "--token") };
  if (values["api-key"] !== undefined)
    return { kind: "apiKey", secret: nonEmpty(values["api-key"], "--api-key") };
  if (login) {
    if (!values.email || !values.password)
      throw new UsageError("--email and --password go together.");
    return { kind: "login", email: values.email, password: values.password };
  }
  if (env.FA_TOKEN && env.FA_API_KEY)
    throw new UsageError(
      "Both FA_TOKEN and FA_API_KEY are set: unset one, or pass --token or --api-key.",
    );
  if (env.FA_TOKEN) return { kind: "token", token: env.FA_TOKEN };
  if (env.FA_API_KEY) return { kind: "apiKey", secret: env.FA_API_KEY };
  throw new UsageError(
    "No credentials: give --token <accessToken>, --api-key <secret> or --email <email> --password <password> (or set FA_TOKEN or FA_API_KEY).",
  );
}

/**
 * `--map field=Column` entries: `resolve` names the field an entry's left side means (compared
 * like a header name), or undefined when there is none.
 */
function mapOptions<F extends string>(
  entries: string[],
  fields: readonly F[],
  resolve: (name: string) => F | undefined,
  noun: string,
  example: string,
): Partial<Record<F, string>> {
  const map: Partial<Record<F, string>> = {};
  for (const entry of entries) {
    const equals = entry.indexOf("=");
    if (equals <= 0 || entry.slice(equals + 1).trim() === "") {
      throw new UsageError(`--map ${entry}: write it as <field>=<Column>, e.g. ${example}.`);
    }
    const fieldName = entry.slice(0, equals).trim();
    const field = resolve(fieldName);
    if (!field)
      throw new UsageError(
        `--map ${entry}: '${fieldName}' is not ${noun}; the fields are ${fields.join(", ")}.`,
      );
    if (map[field] !== undefined) throw new UsageError(`--map ${field} is given twice.`);
    map[field] = entry.slice(equals + 1);
  }
  return map;
}

/** `--map field=Column` for customer fields, and the churned column. */
function columnOptions(
  maps: string[],
  churnedColumn: string | undefined,
  churnedValue: string | undefined,
): MappingOptions {
  const customerField = (name: string) =>
    CUSTOMER_FIELDS.find((candidate) => normalizeName(candidate) === normalizeName(name));
  const map: MappingOptions["map"] = mapOptions(
    maps,
    CUSTOMER_FIELDS,
    customerField,
    "a customer field",
    '--map externalId="Customer ID"',
  );
  if ((churnedColumn === undefined) !== (churnedValue === undefined)) {
    throw new UsageError(
      "--churned-column and --churned-value go together, e.g. --churned-column Churn --churned-value Yes.",
    );
  }
  const churned =
    churnedColumn !== undefined && churnedValue !== undefined
      ? { column: nonEmpty(churnedColumn, "--churned-column"), value: churnedValue }
      : undefined;
  return { map, churned };
}

function gatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url ${text}: not a URL; e.g. ${DEFAULT_GATEWAY_URL}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--url ${text}: must be http or https.`);
  return text;
}

function batchSize(text: string | undefined, defaultSize: number, maxSize: number): number {
  if (text === undefined) return defaultSize;
  const size = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(size >= 1 && size <= maxSize))
    throw new UsageError(`--batch-size ${text}: must be a whole number from 1 to ${maxSize}.`);
  return size;
}

function dateFormat(text: string | undefined): DateFormat {
  if (text === undefined) return "mdy";
  const format = DATE_FORMATS.find((candidate) => candidate === text.trim().toLowerCase());
  if (!format)
    throw new UsageError(
      `--date-format ${text}: must be mdy (12/31/2010), dmy (31/12/2010) or iso (2010-12-31).`,
    );
  return format;
}

function timezone(text: string | undefined): string {
  if (text === undefined) return "UTC";
  if (!isKnownTimeZone(text.trim()))
    throw new UsageError(
      `--timezone ${text}: not a known IANA time zone; e.g. UTC, Europe/London, America/New_York.`,
    );
  return text.trim();
}

function delimiter(text: string | undefined): string {
  if (text === undefined) return ",";
  if (text === "\\t" || text.toLowerCase() === "tab") return "\t";
  if (text.length !== 1 || text === '"' || text === "\n" || text === "\r")
    throw new UsageError(
      `--delimiter ${JSON.stringify(text)}: must be one character other than a quote or a newline.`,
    );
  return text;
}

function nonEmpty(value: string, option: string): string {
  if (value.trim() === "") throw new UsageError(`${option} is empty.`);
  return value;
}
