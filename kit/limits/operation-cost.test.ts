import { buildSchema, parse, validate } from "graphql";
import { operationCostRule } from "./operation-cost";

const schema = buildSchema(`
  type Query { items(first: Int): ItemConnection! tags: [Tag!]! item: Item }
  type ItemConnection { edges: [ItemEdge!]! }
  type ItemEdge { node: Item! }
  type Item { id: ID! tags: [Tag!]! }
  type Tag { name: String! }
`);

/** The cost the rule finds, read from its message with a limit of 0. */
function cost(query: string): number {
  const [error] = validate(schema, parse(query), [operationCostRule(0)]);
  return Number(/found (\d+)/.exec(error.message)![1]);
}

describe("operation cost", () => {
  it("counts every field once and multiplies a list's selections by its size", () => {
    expect(cost(`{ item { id } }`)).toBe(2);
    expect(cost(`{ items(first: 5) { edges { node { id } } } }`)).toBe(1 + 5 * 3);
    // Lists without a size count 10; a variable size counts as the largest page, 100.
    expect(cost(`{ tags { name } }`)).toBe(1 + 10);
    expect(
      cost(`query($n: Int) { items(first: $n) { edges { node { id tags { name } } } } }`),
    ).toBe(1 + 100 * (1 + 1 + 1 + 1 + 10));
    // Fragments cost what they select, where they are spread.
    expect(
      cost(
        `{ items(first: 2) { edges { node { ...F } } } } fragment F on Item { id tags { name } }`,
      ),
    ).toBe(1 + 2 * (1 + 1 + 1 + 11));
  });

  it("refuses only above the limit", () => {
    expect(validate(schema, parse(`{ item { id } }`), [operationCostRule(2)])).toEqual([]);
    expect(validate(schema, parse(`{ item { id } }`), [operationCostRule(1)])).toHaveLength(1);
  });
});
