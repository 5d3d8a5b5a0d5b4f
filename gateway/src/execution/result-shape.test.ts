import { buildSchema, getOperationAST, Kind, parse, type FragmentDefinitionNode } from "graphql";
import { Declined } from "./declined";
import { compileResultShape, shapeResult } from "./result-shape";

const schema = buildSchema(`
  type Query { node: Node, things: [Thing!]!, count: Int, name: String! }
  interface Node { id: ID! }
  type Thing implements Node { id: ID!, size: Int, kind: Kind!, tags: [String!] }
  type Other implements Node { id: ID! }
  enum Kind { BIG SMALL }
`);

function shape(query: string) {
  const document = parse(query);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return compileResultShape(schema, getOperationAST(document)!, fragments);
}

function run(query: string, data: Record<string, unknown>, variables = {}) {
  return shapeResult(shape(query)!, data, variables);
}

it("keeps the client's fields in its order, under its aliases, and drops the rest", () => {
  // Subgraphs answer under the response names (aliases) of the fetches.
  const data = { things: [{ id: "1", big: 3, kind: "BIG", size: 9, __typename: "Thing" }] };
  expect(JSON.stringify(run("{ things { kind big: size id } }", data))).toBe(
    '{"things":[{"kind":"BIG","big":3,"id":"1"}]}',
  );
});

it("applies fragments by __typename, and names the type", () => {
  const query = `{ node { __typename ... on Thing { size } ...O } } fragment O on Other { id }`;
  expect(run(query, { node: { __typename: "Thing", size: 2, id: "t" } })).toEqual({
    node: { __typename: "Thing", size: 2 },
  });
  expect(run(query, { node: { __typename: "Other", id: "o" } })).toEqual({
    node: { __typename: "Other", id: "o" },
  });
});

it("evaluates @skip and @include, with variables' defaults", () => {
  const query = `query ($a: Boolean!, $b: Boolean = true) { count @include(if: $a) name @skip(if: $b) }`;
  expect(run(query, { count: 1, name: "n" }, { a: true })).toEqual({ count: 1 });
  expect(run(query, { count: 1, name: "n" }, { a: false, b: false })).toEqual({ name: "n" });
  expect(() => run(query, { count: 1, name: "n" }, {})).toThrow(Declined);
});

it("keeps nulls of nullable fields", () => {
  expect(run("{ node { id } count }", { node: null, count: null })).toEqual({
    node: null,
    count: null,
  });
});

it.each([
  ["a null for a non-null field", "{ name }", { name: null }],
  ["a missing non-null field", "{ things { id } }", { things: [{}] }],
  ["a string for an Int", "{ count }", { count: "1" }],
  ["a fraction for an Int", "{ count }", { count: 1.5 }],
  ["an unknown enum value", "{ things { kind } }", { things: [{ kind: "HUGE" }] }],
  ["an object for a list", "{ things { id } }", { things: { id: "1" } }],
  [
    "a __typename that is no type of the schema's",
    "{ node { id } }",
    { node: { __typename: "Nope", id: "1" } },
  ],
  ["an abstract type without __typename", "{ node { __typename } }", { node: { id: "1" } }],
])("declines %s (left to @apollo/gateway, which reports it)", (_name, query, data) => {
  expect(() => run(query, data as Record<string, unknown>)).toThrow(Declined);
});

it("does not compile what it does not shape", () => {
  expect(shape("{ __schema { types { name } } }")).toBeNull();
  expect(shape("{ constructor: count }")).toBeNull();
  expect(shape("{ things @stream { id } }")).toBeNull();
});
