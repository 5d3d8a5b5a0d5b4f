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

/** A test file's supergraph (see {@link useSupergraph}). */
export interface SupergraphFixture extends TestSupergraph {
  /** The first user (an ADMIN) of an organization made for this file, with `owner: true`. */
  readonly owner: SignedUp;
}

export interface SupergraphFixtureOptions {
  /**
   * Environment variables the services read at start (limits, keep-alive, Redis), set before the
   * supergraph starts and restored after it stops; `undefined` unsets one. A function is called
   * then (for a value that hooks registered earlier make, such as a Redis URL).
   */
  env?: Record<string, string | undefined | (() => string | undefined)>;
  /** Sign up an organization for the file (`owner`). @default false */
  owner?: boolean;
}

/**
 * The one way a test file gets a supergraph: started (in this process, on free ports, against the
 * run's PostgreSQL) before the file's tests, or the `describe` block's where it is called, and
 * stopped after them. Use the returned object inside tests and hooks registered after this call:
 * it stands for the running supergraph once `beforeAll` has run.
 */
export function useSupergraph(options: SupergraphFixtureOptions = {}): SupergraphFixture {
  const state: { supergraph?: TestSupergraph; owner?: SignedUp } = {};
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    for (const [name, given] of Object.entries(options.env ?? {})) {
      const value = typeof given === "function" ? given() : given;
      saved.set(name, process.env[name]);
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    state.supergraph = await startTestSupergraph();
    if (options.owner) state.owner = await state.supergraph.signUp();
  }, 60_000);
  afterAll(async () => {
    await state.supergraph?.stop();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const running = () => {
    if (!state.supergraph)
      throw new TypeError("The supergraph is used before beforeAll started it.");
    return state.supergraph;
  };
  return {
    get stack() {
      return running().stack;
    },
    get owner() {
      if (!state.owner) throw new TypeError("No owner: call useSupergraph({ owner: true }).");
      return state.owner;
    },
    request: (query, requestOptions) => running().request(query, requestOptions),
    login: (email) => running().login(email),
    signUp: (organizationName) => running().signUp(organizationName),
    sql: (service, text, params) => running().sql(service, text, params),
    stop: () => running().stop(),
  };
}
