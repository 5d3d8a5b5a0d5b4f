import "reflect-metadata";
import { Client } from "pg";
import { startStack, type RunningStack } from "../../stack/start-stack";
import { withDatabase, type ServiceName } from "#kit/database/database-url";
import { DEMO_PASSWORD } from "#dev/demo/demo-dataset";
import { TEST_ENV } from "./test-database";

/** A GraphQL response as the HTTP client saw it. */
export interface GraphQLResponse<TData = Record<string, any>> {
  status: number;
  headers: Headers;
  body: {
    data?: TData | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
  };
}

export interface SignedUp {
  accessToken: string;
  refreshToken: string;
  email: string;
  password: string;
  userId: string;
  organizationId: string;
}

/** A unique suffix for names and emails made by a test. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The whole supergraph started in this test process against the run's PostgreSQL, on free ports.
 */
export interface TestSupergraph {
  stack: RunningStack;
  /** Sends a GraphQL operation to the gateway (or to `url`, e.g. a subgraph). */
  request<TData = Record<string, any>>(
    query: string,
    options?: {
      variables?: Record<string, unknown>;
      token?: string;
      url?: string;
      authorization?: string;
    },
  ): Promise<GraphQLResponse<TData>>;
  /** Signs a demo user in (password {@link DEMO_PASSWORD}) and returns the access token. */
  login(email: string): Promise<string>;
  /** Signs up a new organization with a unique email; resolves its admin's tokens and ids. */
  signUp(organizationName?: string): Promise<SignedUp>;
  /** Runs SQL directly on one service's database, for assertions against the source of truth. */
  sql<TRow = Record<string, any>>(
    service: ServiceName,
    text: string,
    params?: unknown[],
  ): Promise<TRow[]>;
  stop(): Promise<void>;
}

export async function startTestSupergraph(): Promise<TestSupergraph> {
  const serverUrl = process.env[TEST_ENV.serverUrl];
  if (!serverUrl)
    throw new TypeError(
      `${TEST_ENV.serverUrl} is not set: run the tests with 'npm test', whose global setup starts PostgreSQL.`,
    );
  const stack = await startStack({
    serverUrl,
    keysDir: process.env[TEST_ENV.keysDir],
    demoData: false,
    ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
  });

  const request: TestSupergraph["request"] = async (query, options = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const authorization =
      options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
    if (authorization) headers.authorization = authorization;
    const response = await fetch(options.url ?? stack.gateway.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables: options.variables }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as GraphQLResponse<any>["body"],
    };
  };

  return {
    stack,
    request,
    async login(email) {
      const { body } = await request<{ login: { accessToken: string } }>(
        "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
        { variables: { email, password: DEMO_PASSWORD } },
      );
      if (!body.data?.login)
        throw new Error(`login(${email}) failed: ${JSON.stringify(body.errors)}`);
      return body.data.login.accessToken;
    },
    async signUp(organizationName = `Org ${uniqueSuffix()}`) {
      const email = `admin-${uniqueSuffix()}@example.test`;
      const password = "a-long-enough-password";
      const { body } = await request<{
        signUp: {
          accessToken: string;
          refreshToken: string;
          user: { id: string; organization: { id: string } };
        };
      }>(
        `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id organization { id } } } }`,
        { variables: { input: { organizationName, name: "Test Admin", email, password } } },
      );
      if (!body.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(body.errors)}`);
      const { accessToken, refreshToken, user } = body.data.signUp;
      return {
        accessToken,
        refreshToken,
        email,
        password,
        userId: user.id,
        organizationId: user.organization.id,
      };
    },
    async sql(service, text, params = []) {
      const client = new Client({ connectionString: withDatabase(serverUrl, service) });
      await client.connect();
      try {
        return (await client.query(text, params)).rows;
      } finally {
        await client.end();
      }
    },
    stop: () => stack.stop(),
  };
}

/** The supergraph of one test file and the organization it signed up for it. */
export interface FileSupergraph {
  readonly supergraph: TestSupergraph;
  /** The first user (an ADMIN) of an organization made for this file. */
  readonly owner: SignedUp;
}

/**
 * Starts the supergraph before the file's tests, with a newly signed-up organization, and stops it
 * after them. Read `supergraph` and `owner` inside tests (they are set by `beforeAll`).
 */
export function supergraphForFile(): FileSupergraph {
  const state: { supergraph?: TestSupergraph; owner?: SignedUp } = {};
  beforeAll(async () => {
    state.supergraph = await startTestSupergraph();
    state.owner = await state.supergraph.signUp();
  });
  afterAll(() => state.supergraph?.stop());
  return {
    get supergraph() {
      return state.supergraph!;
    },
    get owner() {
      return state.owner!;
    },
  };
}
