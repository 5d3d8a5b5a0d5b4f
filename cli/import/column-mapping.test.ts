import {
  attributeValue,
  describeMapping,
  headerNames,
  resolveColumns,
  toCustomerInput,
  type MappingOptions,
} from "./column-mapping";
import { UsageError } from "./errors";

const noOptions: MappingOptions = { map: {} };

describe("resolveColumns", () => {
  it("detects fields by header name, ignoring case, spaces, underscores and dashes", () => {
    const header = [
      "Customer_ID",
      "Full Name",
      "E-Mail",
      "AGE",
      "gender",
      "City",
      "Income",
      "category",
      "signup date",
      "Status",
      "Plan",
    ];
    const mapping = resolveColumns(header, noOptions);
    expect(mapping.fields).toEqual({
      externalId: "Customer_ID",
      email: "E-Mail",
      age: "AGE",
      gender: "gender",
      location: "City",
      incomeRange: "Income",
      preferredCategory: "category",
      status: "Status",
      registeredAt: "signup date",
    });
    expect(mapping.name).toEqual({ kind: "column", column: "Full Name" });
    expect(mapping.attributeColumns).toEqual(["Plan"]);
  });

  it.each([
    ["externalId", "externalId"],
    ["external_id", "externalId"],
    ["id", "externalId"],
    ["CustomerID", "externalId"],
    ["customer_id", "externalId"],
    ["registered_at", "registeredAt"],
    ["createdAt", "registeredAt"],
    ["preferred_category", "preferredCategory"],
    ["income_range", "incomeRange"],
    ["country", "location"],
  ])("maps a column named %s to %s", (column, field) => {
    const header = field === "externalId" ? [column] : ["id", column];
    expect(resolveColumns(header, noOptions).fields).toMatchObject({ [field]: column });
  });

  it("prefers the aliases in order when several columns could feed a field, keeping the others as attributes", () => {
    const mapping = resolveColumns(["Country", "id", "City", "customer_id"], noOptions);
    expect(mapping.fields.externalId).toBe("id");
    expect(mapping.fields.location).toBe("City");
    expect(mapping.attributeColumns).toEqual(["Country", "customer_id"]);
  });

  it("lets --map override detection, matching the column exactly or ignoring case and separators", () => {
    const mapping = resolveColumns(["Ref", "id", "Client", "Town"], {
      map: { externalId: "Ref", name: "client", location: "town" },
    });
    expect(mapping.fields.externalId).toBe("Ref");
    expect(mapping.name).toEqual({ kind: "column", column: "Client" });
    expect(mapping.fields.location).toBe("Town");
    // "id" is no longer the externalId, so it is an attribute.
    expect(mapping.attributeColumns).toEqual(["id"]);
  });

  it("refuses a --map column that is not in the header, listing the columns", () => {
    expect(() => resolveColumns(["id", "Name"], { map: { email: "Mail" } })).toThrow(
      new UsageError("--map email=Mail: the file has no column 'Mail'. Columns: id, Name."),
    );
  });

  it("refuses a file without an externalId column and says how to map one", () => {
    const attempt = () => resolveColumns(["Client", "Email"], noOptions);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/--map externalId=<Column>/);
    expect(attempt).toThrow(/Columns: Client, Email/);
  });

  it("joins first and last name columns when there is no name column", () => {
    const mapping = resolveColumns(["id", "First Name", "last_name", "Plan"], noOptions);
    expect(mapping.name).toEqual({ kind: "firstAndLast", first: "First Name", last: "last_name" });
    expect(mapping.attributeColumns).toEqual(["Plan"]);
  });

  it("falls back to the externalId as the name", () => {
    expect(resolveColumns(["id", "Plan"], noOptions).name).toEqual({ kind: "externalId" });
  });

  it("takes the churned column out of detection and the attributes, and leaves a status column as an attribute", () => {
    const mapping = resolveColumns(["id", "churn", "Status"], {
      map: {},
      churned: { column: "Churn", value: "Yes" },
    });
    expect(mapping.churned).toEqual({ column: "churn", value: "Yes" });
    expect(mapping.fields.status).toBeUndefined();
    expect(mapping.attributeColumns).toEqual(["Status"]);
  });

  it("refuses a churned column that is not in the header, and --map status together with one", () => {
    expect(() =>
      resolveColumns(["id"], { map: {}, churned: { column: "Churn", value: "Yes" } }),
    ).toThrow(/--churned-column Churn: the file has no column 'Churn'/);
    expect(() =>
      resolveColumns(["id", "Churn", "State"], {
        map: { status: "State" },
        churned: { column: "Churn", value: "Yes" },
      }),
    ).toThrow(UsageError);
  });

  it("describes the mapping in one line", () => {
    const mapping = resolveColumns(["CustomerID", "Full Name", "Email", "Churn", "Plan", "Score"], {
      map: {},
      churned: { column: "Churn", value: "Yes" },
    });
    expect(describeMapping(mapping)).toBe(
      'columns: externalId <- CustomerID, name <- Full Name, email <- Email, status <- Churn = "Yes"; attributes: Plan, Score',
    );
  });
});

describe("headerNames", () => {
  it("trims names, names empty ones by position and numbers repeats", () => {
    expect(headerNames(["", " Name ", "Name", "Score", "Name"])).toEqual([
      "column1",
      "Name",
      "Name_2",
      "Score",
      "Name_3",
    ]);
  });
});

describe("toCustomerInput", () => {
  const header = [
    "CustomerID",
    "Full Name",
    "Email",
    "Age",
    "City",
    "Churn",
    "Plan",
    "Score",
    "Newsletter",
    "Zip",
  ];
  const mapping = resolveColumns(header, { map: {}, churned: { column: "Churn", value: "Yes" } });
  const row = (values: Partial<Record<string, string>>) =>
    ({ CustomerID: "c-1", "Full Name": "Ada Lovelace", ...values }) as Record<string, string>;

  it("fills typed fields and keeps the other columns as typed attributes, leaving empty cells out", () => {
    const result = toCustomerInput(
      row({
        Email: " ada@example.com ",
        Age: "36",
        City: "London",
        Churn: "No",
        Plan: "pro",
        Score: "87.5",
        Newsletter: "TRUE",
        Zip: "",
      }),
      mapping,
    );
    expect(result).toEqual({
      kind: "customer",
      input: {
        externalId: "c-1",
        name: "Ada Lovelace",
        email: "ada@example.com",
        age: 36,
        location: "London",
        status: "ACTIVE",
        attributes: { Plan: "pro", Score: 87.5, Newsletter: true },
      },
    });
  });

  it("marks a row CHURNED when the churned column holds the value, ignoring case and spaces", () => {
    expect(toCustomerInput(row({ Churn: " yes " }), mapping)).toMatchObject({
      input: { status: "CHURNED" },
    });
    expect(toCustomerInput(row({ Churn: "Yesterday" }), mapping)).toMatchObject({
      input: { status: "ACTIVE" },
    });
    expect(toCustomerInput(row({ Churn: "" }), mapping)).toMatchObject({
      input: { status: "ACTIVE" },
    });
    const result = toCustomerInput(row({ Churn: "Yes" }), mapping);
    expect(result.kind === "customer" && "Churn" in (result.input.attributes ?? {})).toBe(false);
  });

  it("rejects an age that is not a whole number, as the server words it", () => {
    expect(toCustomerInput(row({ Age: "thirty" }), mapping)).toEqual({
      kind: "rejected",
      field: "age",
      reason: "Age must be a whole number from 0 to 150, got thirty.",
    });
    expect(toCustomerInput(row({ Age: "36.5" }), mapping)).toMatchObject({
      kind: "rejected",
      field: "age",
    });
    expect(toCustomerInput(row({ Age: "99999999999" }), mapping)).toMatchObject({
      kind: "rejected",
      field: "age",
    });
    // Out of range but a whole number: the server decides, with its own reason.
    expect(toCustomerInput(row({ Age: "-4" }), mapping)).toMatchObject({
      kind: "customer",
      input: { age: -4 },
    });
    expect(toCustomerInput(row({ Age: "40.0" }), mapping)).toMatchObject({
      kind: "customer",
      input: { age: 40 },
    });
  });

  it("sends registeredAt and churnedAt as ISO strings and rejects dates that do not parse", () => {
    const dated = resolveColumns(["id", "name", "signupDate", "churned_at", "status"], noOptions);
    expect(
      toCustomerInput(
        {
          id: "1",
          name: "A",
          signupDate: "2024-03-01",
          churned_at: "2024-05-02T10:00:00Z",
          status: "churned",
        },
        dated,
      ),
    ).toEqual({
      kind: "customer",
      input: {
        externalId: "1",
        name: "A",
        status: "CHURNED",
        registeredAt: "2024-03-01T00:00:00.000Z",
        churnedAt: "2024-05-02T10:00:00.000Z",
      },
    });
    expect(toCustomerInput({ id: "1", name: "A", signupDate: "last spring" }, dated)).toEqual({
      kind: "rejected",
      field: "registeredAt",
      reason: "registeredAt is not a valid date-time, got 'last spring'.",
    });
  });

  it("rejects a status other than ACTIVE or CHURNED", () => {
    const withStatus = resolveColumns(["id", "name", "status"], noOptions);
    expect(toCustomerInput({ id: "1", name: "A", status: "gone" }, withStatus)).toMatchObject({
      kind: "rejected",
      field: "status",
    });
  });

  it("joins first and last names, and uses the externalId when there is no name column", () => {
    const split = resolveColumns(["id", "firstName", "lastName"], noOptions);
    expect(toCustomerInput({ id: "7", firstName: "Grace", lastName: " Hopper " }, split)).toEqual({
      kind: "customer",
      input: { externalId: "7", name: "Grace Hopper" },
    });
    expect(toCustomerInput({ id: "8", firstName: "Cher", lastName: "" }, split)).toMatchObject({
      input: { name: "Cher" },
    });
    const none = resolveColumns(["id", "Plan"], noOptions);
    expect(toCustomerInput({ id: "9", Plan: "" }, none)).toEqual({
      kind: "customer",
      input: { externalId: "9", name: "9", attributes: {} },
    });
  });

  it("leaves attributes out when the file has no extra columns, so stored ones are kept", () => {
    const plain = resolveColumns(["id", "name"], noOptions);
    expect(toCustomerInput({ id: "1", name: "A" }, plain)).toEqual({
      kind: "customer",
      input: { externalId: "1", name: "A" },
    });
  });

  it("skips a row whose cells are all empty, and sends one without an externalId for the server to reject", () => {
    expect(toCustomerInput({ CustomerID: "", "Full Name": " ", Email: "" }, mapping)).toEqual({
      kind: "skipped",
    });
    expect(toCustomerInput({ CustomerID: "", "Full Name": "No Id" }, mapping)).toEqual({
      kind: "customer",
      input: { name: "No Id", status: "ACTIVE", attributes: {} },
    });
  });

  it("reads a short row's missing cells as empty", () => {
    expect(toCustomerInput({ CustomerID: "c-2" }, mapping)).toEqual({
      kind: "customer",
      input: { externalId: "c-2", name: "", status: "ACTIVE", attributes: {} },
    });
  });
});

describe("attributeValue", () => {
  it.each([
    ["42", 42],
    ["-3.5", -3.5],
    ["+7", 7],
    [".5", 0.5],
    ["1e3", 1000],
    ["0", 0],
    ["0.25", 0.25],
    ["true", true],
    ["FALSE", false],
    ["pro", "pro"],
    ["02134", "02134"],
    ["1,000", "1,000"],
    ["12345678901234567890", "12345678901234567890"],
    ["NaN", "NaN"],
    ["Infinity", "Infinity"],
    ["1e999", "1e999"],
    ["0x1A", "0x1A"],
    [" 12 ", 12],
  ])("reads %j as %j", (text, expected) => {
    expect(attributeValue(text)).toBe(expected);
  });

  it("leaves empty cells out", () => {
    expect(attributeValue("")).toBeUndefined();
    expect(attributeValue("   ")).toBeUndefined();
  });
});
