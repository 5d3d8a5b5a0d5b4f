import { useSupergraph } from "./support/supergraph";

const supergraph = useSupergraph({ owner: true });

const CURRENCY = `{ me { organization { id currency } } }`;
const SET = `mutation($currency: String!) { setOrganizationCurrency(currency: $currency) { id currency } }`;

async function currencyOf(token: string): Promise<string> {
  const { body } = await supergraph.request(CURRENCY, { token });
  expect(body.errors).toBeUndefined();
  return body.data!.me.organization.currency;
}

describe("an organization's currency", () => {
  it("is USD for a new organization", async () => {
    const other = await supergraph.signUp();
    expect(await currencyOf(other.accessToken)).toBe("USD");
  });

  it("is set by an ADMIN to a known ISO 4217 code, in capitals, for that organization only", async () => {
    const other = await supergraph.signUp();
    const { body } = await supergraph.request(SET, {
      token: supergraph.owner.accessToken,
      variables: { currency: " eur " },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.setOrganizationCurrency).toEqual({
      id: supergraph.owner.organizationId,
      currency: "EUR",
    });
    expect(await currencyOf(supergraph.owner.accessToken)).toBe("EUR");
    expect(await currencyOf(other.accessToken)).toBe("USD");
    const [row] = await supergraph.sql(
      "users",
      "SELECT currency FROM organizations WHERE id = $1",
      [supergraph.owner.organizationId],
    );
    expect(row.currency).toBe("EUR");
  });

  it("refuses an unknown code with BAD_USER_INPUT on currency, changing nothing", async () => {
    const before = await currencyOf(supergraph.owner.accessToken);
    for (const currency of ["XYZ", "EURO", "", "€"]) {
      const { body } = await supergraph.request(SET, {
        token: supergraph.owner.accessToken,
        variables: { currency },
      });
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "currency",
      });
    }
    expect(await currencyOf(supergraph.owner.accessToken)).toBe(before);
  });

  it("is ADMIN only: an ANALYST is FORBIDDEN and anonymous callers UNAUTHENTICATED", async () => {
    const email = `analyst-${Date.now()}@example.test`;
    const created = await supergraph.request(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      {
        token: supergraph.owner.accessToken,
        variables: {
          input: { email, name: "An Analyst", password: "a-long-enough-password", role: "ANALYST" },
        },
      },
    );
    expect(created.body.errors).toBeUndefined();
    const login = await supergraph.request(
      `mutation($email: String!) { login(email: $email, password: "a-long-enough-password") { accessToken } }`,
      { variables: { email } },
    );
    const analyst = login.body.data!.login.accessToken;
    const refused = await supergraph.request(SET, {
      token: analyst,
      variables: { currency: "JPY" },
    });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const anonymous = await supergraph.request(SET, { variables: { currency: "JPY" } });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await currencyOf(supergraph.owner.accessToken)).not.toBe("JPY");
  });
});
