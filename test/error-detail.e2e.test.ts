import { useSupergraph, type SupergraphFixture } from "./support/supergraph";

/**
 * `extensions.detail` (the original message of an internal error, kit/errors.ts formatError)
 * outside production, never with NODE_ENV=production: from a subgraph directly, from the gateway's
 * passthrough of a single-subgraph operation, and from an operation the gateway plans over two.
 * The internal error: a stored churn model whose coefficients break the schema (a null feature
 * name), so reading it fails inside graphql-js.
 */
async function breakChurnModel(supergraph: SupergraphFixture): Promise<void> {
  await supergraph.sql(
    "analytics",
    `INSERT INTO churn_models (organization_id, status, cutoff, horizon_days, seed, model)
     VALUES ($1, 'COMPLETED', now(), 30, 1, '{"coefficients": [{"feature": null, "weight": 1}]}')`,
    [supergraph.owner.organizationId],
  );
}

const OPERATIONS = {
  subgraph: "{ churnModel { features { feature weight } } }",
  passthrough: "{ churnModel { features { feature weight } } }",
  planned: "{ me { email } churnModel { features { feature weight } } }",
};

async function internalErrors(supergraph: SupergraphFixture) {
  const results: Record<string, { code?: string; detail?: unknown; message: string }[]> = {};
  for (const [path, query] of Object.entries(OPERATIONS)) {
    const { status, body } = await supergraph.request(query, {
      token: supergraph.owner.accessToken,
      url: path === "subgraph" ? supergraph.stack.subgraphs.analytics.url : undefined,
    });
    expect(status).toBe(200);
    results[path] = (body.errors ?? []).map((error) => ({
      code: error.extensions?.code,
      detail: error.extensions?.detail,
      message: error.message,
    }));
  }
  return results;
}

describe("with NODE_ENV=production", () => {
  const supergraph = useSupergraph({ owner: true, env: { NODE_ENV: "production" } });

  it("never shows extensions.detail of an internal error, directly or through the gateway", async () => {
    await breakChurnModel(supergraph);
    const errors = await internalErrors(supergraph);
    for (const path of Object.keys(OPERATIONS)) {
      expect(errors[path]).toEqual([
        { code: "INTERNAL_SERVER_ERROR", detail: undefined, message: "Internal server error." },
      ]);
    }
  });
});

describe("outside production", () => {
  const supergraph = useSupergraph({
    owner: true,
    env: { NODE_ENV: "development", LOG_LEVEL: "silent" },
  });

  it("shows the original message in extensions.detail", async () => {
    await breakChurnModel(supergraph);
    const errors = await internalErrors(supergraph);
    expect(errors.subgraph).toEqual([
      {
        code: "INTERNAL_SERVER_ERROR",
        detail: expect.stringMatching(/null for non-nullable field FeatureWeight\.feature/),
        message: "Internal server error.",
      },
    ]);
    for (const path of ["passthrough", "planned"])
      expect(errors[path]).toEqual([
        expect.objectContaining({ code: "INTERNAL_SERVER_ERROR", detail: expect.any(String) }),
      ]);
  });
});
