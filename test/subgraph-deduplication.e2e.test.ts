import { useSupergraph } from "./support/supergraph";

/**
 * The gateway sends identical subgraph queries in flight once (SUBGRAPH_DEDUPLICATE_QUERIES, on by
 * default): many equal requests cost the subgraph fewer operations, every client still gets the
 * whole answer, and requests with another credential are never answered from someone else's call.
 */
const supergraph = useSupergraph();
let acme: string;
let globex: string;

beforeAll(async () => {
  acme = await supergraph.login("admin@acme.test");
  globex = await supergraph.login("admin@globex.test");
});

/** How many times the customers subgraph answered operation `name` (its /metrics counter). */
async function customersAnswered(name: string): Promise<number> {
  const text = await (
    await fetch(supergraph.stack.subgraphs.customers.url.replace(/\/graphql$/, "/metrics"))
  ).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (
      line.startsWith("graphql_requests_total{") &&
      line.includes(`operation="${name}"`) &&
      line.includes('service="customers"')
    )
      total += Number(line.split(" ").pop());
  }
  return total;
}

const PAGE = `query SamePage { customers(first: 10, orderBy: { field: NAME, direction: ASC }) { edges { node { id name } } } }`;

it("answers 20 identical concurrent queries with fewer subgraph operations, each answer complete", async () => {
  // One subgraph answers it alone: it goes there as written, under its own name.
  const before = await customersAnswered("SamePage");
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => supergraph.request(PAGE, { token: acme })),
  );
  const sent = (await customersAnswered("SamePage")) - before;
  for (const answer of answers) {
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body).toEqual(answers[0].body);
  }
  expect(answers[0].body.data!.customers.edges).toHaveLength(10);
  expect(sent).toBeGreaterThanOrEqual(1);
  expect(sent).toBeLessThan(20);
});

it("never shares an answer between two organizations' tokens sending the same query at once", async () => {
  const tokens = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? acme : globex));
  const answers = await Promise.all(tokens.map((token) => supergraph.request(PAGE, { token })));
  const [acmeAlone, globexAlone] = await Promise.all([
    supergraph.request(PAGE, { token: acme }),
    supergraph.request(PAGE, { token: globex }),
  ]);
  expect(acmeAlone.body.data).not.toEqual(globexAlone.body.data);
  answers.forEach((answer, i) =>
    expect(answer.body).toEqual(i % 2 === 0 ? acmeAlone.body : globexAlone.body),
  );
});
