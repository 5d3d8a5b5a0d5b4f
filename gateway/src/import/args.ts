import { parseArgs } from "node:util";
import { CUSTOMER_FIELDS, normalizeName, type MappingOptions } from "./column-mapping";
import { UsageError } from "./errors";
import type { Credentials } from "./gateway-client";
import type { ImportCustomersOptions } from "./import-customers";

export const DEFAULT_GATEWAY_URL = "http://localhost:4000/graphql";
export const DEFAULT_BATCH_SIZE = 1_000;
export const MAX_BATCH_SIZE = 5_000;

/** What can be imported. Each kind has its own options parser below; `transactions` is to come. */
export const IMPORT_KINDS = ["customers"] as const;

/** What the command line asks for. */
export type CliCommand = { kind: "help" } | { kind: "customers"; options: ImportCustomersOptions };

export const USAGE = `Usage: npm run import -- customers <file.csv> [options]

Imports customers from a CSV file through the gateway, in batches. Rows are matched by their
externalId, so running the same import again changes nothing.

Credentials, one of:
  --token <accessToken>         a user's access token, ANALYST or ADMIN (or env FA_TOKEN)
  --api-key <secret>            an API key with the CUSTOMERS_WRITE scope (or env FA_API_KEY)
  --email <email> --password <password>
                                sign in as that user first

Options:
  --url <url>                   the gateway's GraphQL endpoint
                                (default: env FA_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})
  --map <field>=<Column>        read a customer field from a column; repeatable. Fields:
                                ${CUSTOMER_FIELDS.slice(0, 6).join(", ")},
                                ${CUSTOMER_FIELDS.slice(6).join(", ")}
  --churned-column <Column>     with --churned-value: rows whose column holds the value (ignoring
  --churned-value <Value>       case) get status CHURNED, the others ACTIVE
  --batch-size <n>              rows per request, 1 to ${MAX_BATCH_SIZE} (default ${DEFAULT_BATCH_SIZE})
  --delimiter <c>               the field delimiter (default ","; "\\t" or "tab" for tabs)
  --quiet                       no progress on stderr
  -h, --help                    show this text

Columns are matched to fields by their header name, ignoring case, spaces, "_" and "-"
(e.g. "Customer ID" is the externalId, "City" the location); --map overrides that. An externalId
column is required. Every other column is kept in the customer's attributes, numbers and
true/false as such, empty cells left out.

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
  if (kind !== "customers") throw new UsageError(`Cannot import '${kind}': the kinds are ${IMPORT_KINDS.join(", ")}.`);
  if (!file) throw new UsageError(`Name the CSV file: ${kind} <file.csv>.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}': give one file.`);

  return {
    kind: "customers",
    options: {
      file,
      url: gatewayUrl(values.url ?? env.FA_GATEWAY_URL ?? DEFAULT_GATEWAY_URL),
      credentials: credentials(values, env),
      columns: columnOptions(values.map ?? [], values["churned-column"], values["churned-value"]),
      batchSize: batchSize(values["batch-size"]),
      delimiter: delimiter(values.delimiter),
      quiet: values.quiet ?? false,
    },
  };
}

interface CredentialValues {
  token?: string;
  "api-key"?: string;
  email?: string;
  password?: string;
}

/** The one credential given: an option, else FA_TOKEN or FA_API_KEY. */
function credentials(values: CredentialValues, env: NodeJS.ProcessEnv): Credentials {
  const login = values.email !== undefined || values.password !== undefined;
  const given = [values.token !== undefined && "--token", values["api-key"] !== undefined && "--api-key", login && "--email/--password"].filter(Boolean);
  if (given.length > 1) throw new UsageError(`Give one credential, not ${given.join(" and ")}.`);

  if (values.token !== undefined) return { kind: "token", token: nonEmpty(values.token, "--token") };
  if (values["api-key"] !== undefined) return { kind: "apiKey", secret: nonEmpty(values["api-key"], "--api-key") };
  if (login) {
    if (!values.email || !values.password) throw new UsageError("--email and --password go together.");
    return { kind: "login", email: values.email, password: values.password };
  }
  if (env.FA_TOKEN && env.FA_API_KEY) throw new UsageError("Both FA_TOKEN and FA_API_KEY are set: unset one, or pass --token or --api-key.");
  if (env.FA_TOKEN) return { kind: "token", token: env.FA_TOKEN };
  if (env.FA_API_KEY) return { kind: "apiKey", secret: env.FA_API_KEY };
  throw new UsageError("No credentials: give --token <accessToken>, --api-key <secret> or --email <email> --password <password> (or set FA_TOKEN or FA_API_KEY).");
}

/** `--map field=Column` (the field compared like a header name) and the churned column. */
function columnOptions(maps: string[], churnedColumn: string | undefined, churnedValue: string | undefined): MappingOptions {
  const map: MappingOptions["map"] = {};
  for (const entry of maps) {
    const equals = entry.indexOf("=");
    if (equals <= 0 || entry.slice(equals + 1).trim() === "") {
      throw new UsageError(`--map ${entry}: write it as <field>=<Column>, e.g. --map externalId="Customer ID".`);
    }
    const fieldName = entry.slice(0, equals).trim();
    const column = entry.slice(equals + 1);
    const field = CUSTOMER_FIELDS.find((candidate) => normalizeName(candidate) === normalizeName(fieldName));
    if (!field) throw new UsageError(`--map ${entry}: '${fieldName}' is not a customer field; the fields are ${CUSTOMER_FIELDS.join(", ")}.`);
    if (map[field] !== undefined) throw new UsageError(`--map ${field} is given twice.`);
    map[field] = column;
  }
  if ((churnedColumn === undefined) !== (churnedValue === undefined)) {
    throw new UsageError("--churned-column and --churned-value go together, e.g. --churned-column Churn --churned-value Yes.");
  }
  const churned = churnedColumn !== undefined && churnedValue !== undefined ? { column: nonEmpty(churnedColumn, "--churned-column"), value: churnedValue } : undefined;
  return { map, churned };
}

function gatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url ${text}: not a URL; e.g. ${DEFAULT_GATEWAY_URL}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url ${text}: must be http or https.`);
  return text;
}

function batchSize(text: string | undefined): number {
  if (text === undefined) return DEFAULT_BATCH_SIZE;
  const size = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(size >= 1 && size <= MAX_BATCH_SIZE)) throw new UsageError(`--batch-size ${text}: must be a whole number from 1 to ${MAX_BATCH_SIZE}.`);
  return size;
}

function delimiter(text: string | undefined): string {
  if (text === undefined) return ",";
  if (text === "\\t" || text.toLowerCase() === "tab") return "\t";
  if (text.length !== 1 || text === '"' || text === "\n" || text === "\r") throw new UsageError(`--delimiter ${JSON.stringify(text)}: must be one character other than a quote or a newline.`);
  return text;
}

function nonEmpty(value: string, option: string): string {
  if (value.trim() === "") throw new UsageError(`${option} is empty.`);
  return value;
}
