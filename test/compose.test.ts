import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { CompositionError, composeSupergraph } from "../cli/compose/compose-supergraph";

const root = path.resolve(__dirname, "..");

describe("npm run compose", () => {
  it("produces exactly the committed schema/ files (run 'npm run compose' and commit when this fails)", async () => {
    const files = await composeSupergraph(
      path.join(root, "rover.yaml"),
      path.join(root, "schema", "supergraph.graphql"),
    );
    expect([...files.keys()].map((file) => path.relative(root, file)).sort()).toEqual([
      "schema/analytics.graphql",
      "schema/customers.graphql",
      "schema/supergraph.graphql",
      "schema/users.graphql",
    ]);
    for (const [file, content] of files) {
      expect({ file: path.relative(root, file), content: await readFile(file, "utf8") }).toEqual({
        file: path.relative(root, file),
        content,
      });
    }
  });

  it("routes each subgraph to the URL rover.yaml gives it", async () => {
    const supergraph = await readFile(path.join(root, "schema", "supergraph.graphql"), "utf8");
    expect(supergraph).toContain(
      'USERS @join__graph(name: "users", url: "http://localhost:4001/graphql")',
    );
    expect(supergraph).toContain(
      'CUSTOMERS @join__graph(name: "customers", url: "http://localhost:4002/graphql")',
    );
    expect(supergraph).toContain(
      'ANALYTICS @join__graph(name: "analytics", url: "http://localhost:4003/graphql")',
    );
  });

  it("fails with the composer's message when subgraphs conflict", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "compose-"));
    await writeFile(
      path.join(dir, "rover.yaml"),
      [
        "federation_version: =2.14.4",
        "subgraphs:",
        ...["a", "b"].flatMap((name) => [
          `  ${name}:`,
          `    routing_url: http://${name}/graphql`,
          "    schema:",
          `      file: ./${name}.graphql`,
        ]),
      ].join("\n"),
    );
    // Both define Thing.size, with different types and without @shareable: composition must refuse.
    const subgraph = (type: string) => async () =>
      buildSubgraphSchema({
        typeDefs: parse(
          `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) type Query { thing: Thing } type Thing @key(fields: "id") { id: ID! size: ${type} }`,
        ),
      });
    const attempt = composeSupergraph(
      path.join(dir, "rover.yaml"),
      path.join(dir, "supergraph.graphql"),
      { a: subgraph("Int"), b: subgraph("String") },
    );
    await expect(attempt).rejects.toBeInstanceOf(CompositionError);
    await expect(attempt).rejects.toThrow(/Thing\.size/);
  });

  it("refuses a rover.yaml that names a subgraph with no code", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "compose-"));
    await writeFile(
      path.join(dir, "rover.yaml"),
      "subgraphs:\n  billing:\n    routing_url: http://billing/graphql\n    schema:\n      file: ./billing.graphql\n",
    );
    await expect(
      composeSupergraph(path.join(dir, "rover.yaml"), path.join(dir, "supergraph.graphql")),
    ).rejects.toThrow(/'billing'/);
  });
});
