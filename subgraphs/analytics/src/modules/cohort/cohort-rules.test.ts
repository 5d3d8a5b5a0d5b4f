import { GraphQLError } from "graphql";
import { CohortMatch, type CohortInput } from "./cohort.input";
import { parseSegmentId, validateCohortInput } from "./cohort-rules";

const RUN = "0F04E58A-E879-4323-B641-E716CFED6C17";

/** The error's `extensions.field`, or "no error". */
function fieldOf(input: CohortInput): unknown {
  try {
    validateCohortInput(input);
    return "no error";
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe("BAD_USER_INPUT");
    return (error as GraphQLError).extensions.field;
  }
}

describe("validateCohortInput", () => {
  it("normalizes: trims the name, defaults match and minCount, lowercases ids, drops empty filters", () => {
    expect(
      validateCohortInput({
        name: "  Buyers ",
        rules: [
          { event: "purchase", filter: { types: [], properties: {} } },
          {
            event: "purchase",
            minCount: 0,
            maxCount: 0,
            withinDays: 30,
            filter: { campaignId: RUN },
          },
          { segmentId: `${RUN}:3`, minCount: 1 },
          { minChurnProbability: 0 },
        ],
      }),
    ).toEqual({
      name: "Buyers",
      match: CohortMatch.ALL,
      rules: [
        {
          kind: "event",
          event: "purchase",
          filter: null,
          minCount: 1,
          maxCount: null,
          withinDays: null,
        },
        {
          kind: "event",
          event: "purchase",
          filter: { campaignId: RUN.toLowerCase() },
          minCount: 0,
          maxCount: 0,
          withinDays: 30,
        },
        { kind: "segment", segmentId: `${RUN.toLowerCase()}:3` },
        { kind: "churn", minChurnProbability: 0 },
      ],
    });
  });

  it.each([
    [{ name: "x", rules: [{ event: "a", segmentId: `${RUN}:0` }] }, "input.rules[0]"],
    [{ name: "x", rules: [{ event: "a" }, {}] }, "input.rules[1]"],
    [{ name: "x", rules: [{ event: "" }] }, "input.rules[0].event"],
    [{ name: "x", rules: [{ event: "a", minCount: 2, maxCount: 1 }] }, "input.rules[0].minCount"],
    [{ name: "x", rules: [{ event: "a", withinDays: 3661 }] }, "input.rules[0].withinDays"],
    [{ name: "x", rules: [{ segmentId: `${RUN}:0`, maxCount: 3 }] }, "input.rules[0]"],
    [{ name: "x", rules: [{ minChurnProbability: -0.1 }] }, "input.rules[0].minChurnProbability"],
    [{ name: "x", rules: Array.from({ length: 21 }, () => ({ event: "a" })) }, "input.rules"],
    [{ name: "", rules: [{ event: "a" }] }, "input.name"],
  ] as [CohortInput, string][])("rejects %j naming %s", (input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  it("accepts the edges: minCount equal to maxCount, withinDays 1 and 3660, probabilities 0 and 1", () => {
    for (const rule of [
      { event: "a", minCount: 4, maxCount: 4 },
      { event: "a", withinDays: 1 },
      { event: "a", withinDays: 3660 },
      { minChurnProbability: 1 },
    ])
      expect(fieldOf({ name: "x", rules: [rule] })).toBe("no error");
  });
});

describe("parseSegmentId", () => {
  it("reads <run id>:<index> and nothing else", () => {
    expect(parseSegmentId(`${RUN}:12`)).toEqual({ runId: RUN.toLowerCase(), index: 12 });
    for (const bad of [RUN, `${RUN}:`, `${RUN}:-1`, `x:1`, `${RUN}:1:2`])
      expect(parseSegmentId(bad)).toBeNull();
  });
});
