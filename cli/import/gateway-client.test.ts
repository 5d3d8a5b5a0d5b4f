import { GatewayClient, GatewayError, type Credentials } from "./gateway-client";

type Answer = { status: number; body: unknown } | Error;

/** A fetch that answers from a script and records what it was sent. */
function scriptedFetch(answers: Answer[]) {
  const calls: {
    headers: Record<string, string>;
    body: { query: string; variables: Record<string, unknown> };
  }[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    calls.push({
      headers: init.headers as Record<string, string>,
      body: JSON.parse(init.body as string),
    });
    const answer = answers.shift();
    if (!answer) throw new Error("no more scripted answers");
    if (answer instanceof Error) throw answer;
    const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    return new Response(text, { status: answer.status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

function client(credentials: Credentials, answers: Answer[]) {
  const scripted = scriptedFetch(answers);
  const sleeps: number[] = [];
  const gateway = new GatewayClient({
    url: "http://gateway.test/graphql",
    credentials,
    fetch: scripted.fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { gateway, calls: scripted.calls, sleeps };
}

const ok = (data: unknown): Answer => ({ status: 200, body: { data } });
const networkDown = () =>
  Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });

describe("GatewayClient", () => {
  it("sends a token as Bearer and an API key as ApiKey", async () => {
    const withToken = client({ kind: "token", token: "abc" }, [ok({ a: 1 })]);
    expect(await withToken.gateway.request("{ a }", {})).toEqual({ a: 1 });
    expect(withToken.calls[0].headers.authorization).toBe("Bearer abc");

    const withKey = client({ kind: "apiKey", secret: "fa_key" }, [ok({ a: 1 })]);
    await withKey.gateway.request("{ a }", {});
    expect(withKey.calls[0].headers.authorization).toBe("ApiKey fa_key");
  });

  it("signs in with email and password first, without a credential, then sends the access token", async () => {
    const { gateway, calls } = client({ kind: "login", email: "ana@example.com", password: "pw" }, [
      ok({ login: { accessToken: "fresh" } }),
      ok({ a: 1 }),
    ]);
    await gateway.authenticate();
    await gateway.request("{ a }", {});
    expect(calls[0].body.variables).toEqual({ email: "ana@example.com", password: "pw" });
    expect(calls[0].headers.authorization).toBeUndefined();
    expect(calls[1].headers.authorization).toBe("Bearer fresh");
  });

  it("signs in again once when the access token has expired", async () => {
    const expired = {
      status: 401,
      body: {
        errors: [
          { message: "The access token has expired.", extensions: { code: "UNAUTHENTICATED" } },
        ],
      },
    };
    const { gateway, calls } = client({ kind: "login", email: "a@b.c", password: "pw" }, [
      ok({ login: { accessToken: "first" } }),
      expired,
      ok({ login: { accessToken: "second" } }),
      ok({ a: 2 }),
    ]);
    expect(await gateway.request("{ a }", {})).toEqual({ a: 2 });
    expect(calls.map((call) => call.headers.authorization)).toEqual([
      undefined,
      "Bearer first",
      undefined,
      "Bearer second",
    ]);
  });

  it("retries network errors, HTTP 5xx and SERVICE_UNAVAILABLE with a doubling wait", async () => {
    const { gateway, calls, sleeps } = client({ kind: "token", token: "t" }, [
      networkDown(),
      { status: 502, body: "<html>Bad gateway</html>" },
      {
        status: 200,
        body: {
          errors: [
            {
              message: "The customers service failed to answer (HTTP 500).",
              extensions: { code: "SERVICE_UNAVAILABLE" },
            },
          ],
          data: null,
        },
      },
      ok({ a: 3 }),
    ]);
    expect(await gateway.request("{ a }", { x: 1 })).toEqual({ a: 3 });
    expect(calls).toHaveLength(4);
    expect(calls.every((call) => call.body.variables.x === 1)).toBe(true);
    expect(sleeps).toEqual([500, 1000, 2000]);
  });

  it("gives up after three retries with the last reason", async () => {
    const { gateway, calls } = client({ kind: "token", token: "t" }, [
      networkDown(),
      networkDown(),
      networkDown(),
      networkDown(),
    ]);
    const failure = gateway.request("{ a }", {});
    await expect(failure).rejects.toThrow(
      new GatewayError(
        "Cannot reach the gateway at http://gateway.test/graphql: ECONNREFUSED (gave up after 4 attempts)",
      ),
    );
    expect(calls).toHaveLength(4);
  });

  it("does not retry a GraphQL error: it throws the server's message and code", async () => {
    const { gateway, calls } = client({ kind: "token", token: "bad" }, [
      {
        status: 401,
        body: {
          errors: [{ message: "Invalid access token.", extensions: { code: "UNAUTHENTICATED" } }],
        },
      },
    ]);
    const error = await gateway.request("{ a }", {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      message: "Invalid access token. (UNAUTHENTICATED)",
      code: "UNAUTHENTICATED",
    });
    expect(calls).toHaveLength(1);
  });

  it("says so when the URL answers something that is not GraphQL, and hints at --batch-size on HTTP 413", async () => {
    const notGraphQL = client({ kind: "token", token: "t" }, [{ status: 404, body: "Not found" }]);
    await expect(notGraphQL.gateway.request("{ a }", {})).rejects.toThrow(
      /answered HTTP 404 without a GraphQL response/,
    );

    const tooLarge = client({ kind: "token", token: "t" }, [
      {
        status: 413,
        body: {
          errors: [
            {
              message: "Request body exceeds 10485760 bytes.",
              extensions: { code: "BAD_REQUEST" },
            },
          ],
        },
      },
    ]);
    await expect(tooLarge.gateway.request("{ a }", {})).rejects.toThrow(
      "Request body exceeds 10485760 bytes. (BAD_REQUEST) Try a smaller --batch-size.",
    );
  });
});
