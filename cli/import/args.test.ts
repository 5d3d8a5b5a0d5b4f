import { DEFAULT_GATEWAY_URL, parseCliArgs, USAGE } from "./args";
import { UsageError } from "./errors";

const env = {};

function options(argv: string[], environment: NodeJS.ProcessEnv = env) {
  const command = parseCliArgs(argv, environment);
  if (command.kind !== "customers") throw new Error(`expected an import, got ${command.kind}`);
  return command.options;
}

describe("parseCliArgs", () => {
  it("reads the kind, the file and the defaults", () => {
    expect(options(["customers", "people.csv", "--token", "t0k"])).toEqual({
      file: "people.csv",
      url: DEFAULT_GATEWAY_URL,
      credentials: { kind: "token", token: "t0k" },
      columns: { map: {}, churned: undefined },
      batchSize: 1000,
      delimiter: ",",
      quiet: false,
    });
  });

  it("reads every option, in either --name value or --name=value form", () => {
    const parsed = options([
      "customers",
      "--url=https://gw.example.com/graphql",
      "people.csv",
      "--api-key",
      "fa_secret",
      "--map",
      "externalId=Customer ID",
      "--map=name=Client",
      "--churned-column",
      "Churn",
      "--churned-value",
      "Yes",
      "--batch-size",
      "5000",
      "--delimiter",
      ";",
      "--quiet",
    ]);
    expect(parsed).toEqual({
      file: "people.csv",
      url: "https://gw.example.com/graphql",
      credentials: { kind: "apiKey", secret: "fa_secret" },
      columns: {
        map: { externalId: "Customer ID", name: "Client" },
        churned: { column: "Churn", value: "Yes" },
      },
      batchSize: 5000,
      delimiter: ";",
      quiet: true,
    });
  });

  it("signs in with --email and --password", () => {
    expect(
      options(["customers", "a.csv", "--email", "ana@example.com", "--password", "secret"])
        .credentials,
    ).toEqual({
      kind: "login",
      email: "ana@example.com",
      password: "secret",
    });
    expect(() => options(["customers", "a.csv", "--email", "ana@example.com"])).toThrow(
      new UsageError("--email and --password go together."),
    );
  });

  it("takes the URL and credentials from the environment when the options leave them out", () => {
    expect(
      options(["customers", "a.csv"], {
        FA_GATEWAY_URL: "http://gw:4000/graphql",
        FA_TOKEN: "env-token",
      }),
    ).toMatchObject({
      url: "http://gw:4000/graphql",
      credentials: { kind: "token", token: "env-token" },
    });
    expect(options(["customers", "a.csv"], { FA_API_KEY: "env-key" }).credentials).toEqual({
      kind: "apiKey",
      secret: "env-key",
    });
    // An option wins over the environment.
    expect(
      options(["customers", "a.csv", "--api-key", "k"], { FA_TOKEN: "env-token" }).credentials,
    ).toEqual({ kind: "apiKey", secret: "k" });
    expect(
      options(["customers", "a.csv", "--url", "http://other/graphql", "--token", "t"], {
        FA_GATEWAY_URL: "http://gw/graphql",
      }).url,
    ).toBe("http://other/graphql");
  });

  it("refuses a missing, ambiguous or empty credential", () => {
    expect(() => options(["customers", "a.csv"])).toThrow(
      /No credentials: give --token <accessToken>, --api-key <secret> or --email <email> --password <password>/,
    );
    expect(() => options(["customers", "a.csv", "--token", "t", "--api-key", "k"])).toThrow(
      /Give one credential, not --token and --api-key/,
    );
    expect(() => options(["customers", "a.csv"], { FA_TOKEN: "t", FA_API_KEY: "k" })).toThrow(
      /Both FA_TOKEN and FA_API_KEY/,
    );
    expect(() => options(["customers", "a.csv", "--token", ""])).toThrow(/--token is empty/);
  });

  it("matches --map fields like header names and refuses unknown or malformed ones", () => {
    expect(
      options(["customers", "a.csv", "--token", "t", "--map", "external_id=Ref"]).columns.map,
    ).toEqual({ externalId: "Ref" });
    expect(() => options(["customers", "a.csv", "--token", "t", "--map", "phone=Tel"])).toThrow(
      /'phone' is not a customer field; the fields are externalId, name/,
    );
    expect(() => options(["customers", "a.csv", "--token", "t", "--map", "name"])).toThrow(
      /write it as <field>=<Column>/,
    );
    expect(() => options(["customers", "a.csv", "--token", "t", "--map", "name="])).toThrow(
      /write it as <field>=<Column>/,
    );
    expect(() =>
      options(["customers", "a.csv", "--token", "t", "--map", "name=A", "--map", "name=B"]),
    ).toThrow(/--map name is given twice/);
  });

  it("needs --churned-column and --churned-value together", () => {
    expect(() =>
      options(["customers", "a.csv", "--token", "t", "--churned-column", "Churn"]),
    ).toThrow(/go together/);
    expect(() => options(["customers", "a.csv", "--token", "t", "--churned-value", "Yes"])).toThrow(
      /go together/,
    );
  });

  it.each([["0"], ["5001"], ["ten"], ["1.5"], ["-3"]])("refuses --batch-size %s", (size) => {
    expect(() => options(["customers", "a.csv", "--token", "t", `--batch-size=${size}`])).toThrow(
      /--batch-size .*: must be a whole number from 1 to 5000/,
    );
  });

  it("reads tab delimiters and refuses long or quote delimiters", () => {
    expect(options(["customers", "a.csv", "--token", "t", "--delimiter", "\\t"]).delimiter).toBe(
      "\t",
    );
    expect(options(["customers", "a.csv", "--token", "t", "--delimiter", "tab"]).delimiter).toBe(
      "\t",
    );
    expect(() => options(["customers", "a.csv", "--token", "t", "--delimiter", "::"])).toThrow(
      UsageError,
    );
    expect(() => options(["customers", "a.csv", "--token", "t", "--delimiter", '"'])).toThrow(
      UsageError,
    );
  });

  it("refuses a URL that is not http(s)", () => {
    expect(() =>
      options(["customers", "a.csv", "--token", "t", "--url", "localhost:4000"]),
    ).toThrow(UsageError);
    expect(() => options(["customers", "a.csv", "--token", "t", "--url", "not a url"])).toThrow(
      /not a URL/,
    );
  });

  it("refuses an unknown kind, a missing file, extra arguments and unknown options", () => {
    expect(() => parseCliArgs([], env)).toThrow(
      new UsageError("Say what to import: customers or transactions."),
    );
    expect(() => parseCliArgs(["orders", "t.csv", "--token", "t"], env)).toThrow(
      new UsageError("Cannot import 'orders': the kinds are customers, transactions."),
    );
    expect(() => parseCliArgs(["customers", "--token", "t"], env)).toThrow(/Name the CSV file/);
    expect(() => parseCliArgs(["customers", "a.csv", "b.csv", "--token", "t"], env)).toThrow(
      /Unexpected argument 'b.csv'/,
    );
    expect(() => parseCliArgs(["customers", "a.csv", "--force"], env)).toThrow(
      new UsageError("Unknown option '--force'."),
    );
    expect(() => parseCliArgs(["customers", "a.csv", "--token"], env)).toThrow(/argument missing/);
  });

  it("answers --help and -h before checking anything else", () => {
    expect(parseCliArgs(["--help"], env)).toEqual({ kind: "help" });
    expect(parseCliArgs(["customers", "-h"], env)).toEqual({ kind: "help" });
    expect(USAGE).toMatch(
      /^Usage: npm run import -- customers <file.csv> \[options\]\n {7}npm run import -- transactions <file.csv> \[options\]\n/,
    );
    expect(USAGE).toContain("with CUSTOMERS_WRITE, EVENTS_WRITE and READ");
  });
});

function transactions(argv: string[], environment: NodeJS.ProcessEnv = env) {
  const command = parseCliArgs(["transactions", ...argv], environment);
  if (command.kind !== "transactions")
    throw new Error(`expected a transactions import, got ${command.kind}`);
  return command.options;
}

describe("parseCliArgs for transactions", () => {
  it("reads the file and the defaults: one event per invoice, month/day/year dates in UTC, 5,000 events per call", () => {
    expect(transactions(["retail.csv", "--token", "t0k"])).toEqual({
      file: "retail.csv",
      url: DEFAULT_GATEWAY_URL,
      credentials: { kind: "token", token: "t0k" },
      columns: {},
      dateFormat: "mdy",
      timezone: "UTC",
      batchSize: 5000,
      delimiter: ",",
      quiet: false,
    });
  });

  it("reads --map, --date-format, --timezone and --batch-size", () => {
    const parsed = transactions([
      "orders.csv",
      "--api-key=k",
      "--map",
      "invoice=Order",
      "--map",
      "customer=Client",
      "--map",
      "date=When",
      "--map",
      "quantity=Qty",
      "--map",
      "price=Price",
      "--map",
      "stock_code=SKU",
      "--map",
      "country=Land",
      "--map",
      "Description=Item",
      "--date-format",
      "DMY",
      "--timezone",
      "Europe/Berlin",
      "--batch-size",
      "2000",
    ]);
    expect(parsed).toMatchObject({
      columns: {
        invoice: "Order",
        customer: "Client",
        date: "When",
        quantity: "Qty",
        price: "Price",
        stockCode: "SKU",
        country: "Land",
        description: "Item",
      },
      dateFormat: "dmy",
      timezone: "Europe/Berlin",
      batchSize: 2000,
    });
  });

  it("refuses unknown fields, date formats, zones and batch sizes, and the old --per-invoice", () => {
    expect(() => transactions(["a.csv", "--token", "t", "--per-invoice"])).toThrow(
      /Unknown option '--per-invoice'/,
    );
    expect(() => transactions(["a.csv", "--token", "t", "--map", "externalId=Id"])).toThrow(
      new UsageError(
        "--map externalId=Id: 'externalId' is not a transaction field; the fields are invoice, customer, date, quantity, price, stockCode, description, country, name.",
      ),
    );
    expect(() => transactions(["a.csv", "--token", "t", "--date-format", "ymd"])).toThrow(
      /--date-format ymd: must be mdy \(12\/31\/2010\), dmy \(31\/12\/2010\) or iso/,
    );
    expect(() => transactions(["a.csv", "--token", "t", "--timezone", "Mars/Olympus"])).toThrow(
      /--timezone Mars\/Olympus: not a known IANA time zone/,
    );
    expect(() => transactions(["a.csv", "--token", "t", "--batch-size", "5001"])).toThrow(
      /--batch-size 5001: must be a whole number from 1 to 5000/,
    );
  });

  it("refuses the options of the other kind", () => {
    expect(() =>
      transactions([
        "a.csv",
        "--token",
        "t",
        "--churned-column",
        "Churn",
        "--churned-value",
        "Yes",
      ]),
    ).toThrow(
      new UsageError("--churned-column is an option of customers imports, not of transactions."),
    );
    expect(() =>
      parseCliArgs(["customers", "a.csv", "--token", "t", "--date-format", "dmy"], env),
    ).toThrow(
      new UsageError("--date-format is an option of transactions imports, not of customers."),
    );
    expect(() =>
      parseCliArgs(["customers", "a.csv", "--token", "t", "--timezone", "UTC"], env),
    ).toThrow(/--timezone is an option of transactions imports/);
  });
});
