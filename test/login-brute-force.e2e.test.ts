import { useSupergraph, type SignedUp } from "./support/supergraph";

// A file of its own: it exhausts the sign-in budget of its users service on purpose.
const supergraph = useSupergraph();
let victim: SignedUp;

beforeAll(async () => {
  victim = await supergraph.signUp();
});

describe("login brute force", () => {
  it("refuses more aliases than the limit, and 30 (the limit) make at most one wrong guess", async () => {
    const many = Array.from(
      { length: 31 },
      (_, i) => `a${i}: login(email: $email, password: "wrong-password-${i}") { accessToken }`,
    ).join("\n");
    const refused = await supergraph.request(`mutation($email: String!) {\n${many}\n}`, {
      variables: { email: victim.email },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const aliases = Array.from(
      { length: 30 },
      (_, i) => `a${i}: login(email: $email, password: "wrong-password-${i}") { accessToken }`,
    ).join("\n");
    const document = `mutation($email: String!) {\n${aliases}\n}`;
    // Mutation fields run one after another, and login's result is non-null: graphql-js stops at
    // the first failure, so each request tries exactly one wrong password, and that attempt counts.
    const codes: unknown[] = [];
    for (let request = 0; request < 12; request++) {
      const { body } = await supergraph.request(document, { variables: { email: victim.email } });
      expect(body.data).toBeNull();
      expect(body.errors).toHaveLength(1);
      codes.push(body.errors![0].extensions?.code);
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill("UNAUTHENTICATED"));
    expect(codes.slice(10)).toEqual(["RATE_LIMITED", "RATE_LIMITED"]);
  });

  it("tells a rate-limited client when to retry", async () => {
    const { body } = await supergraph.request(
      `mutation($email: String!) { login(email: $email, password: "guess") { accessToken } }`,
      { variables: { email: victim.email } },
    );
    expect(body.errors?.[0].extensions).toMatchObject({
      code: "RATE_LIMITED",
      retryAfterSeconds: expect.any(Number),
    });
    expect(body.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
    expect(body.errors![0].extensions!.retryAfterSeconds).toBeLessThanOrEqual(900);
  });

  it("refuses even the right password while the account is locked, without checking it", async () => {
    const { body } = await supergraph.request(
      `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
      {
        variables: { email: victim.email, password: victim.password },
      },
    );
    expect(body.errors?.[0].extensions?.code).toBe("RATE_LIMITED");
  });

  it("limits one account, not everyone: another account still signs in", async () => {
    const other = await supergraph.signUp();
    const { body } = await supergraph.request(
      `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
      {
        variables: { email: other.email, password: other.password },
      },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.login.accessToken).toEqual(expect.any(String));
  });
});
