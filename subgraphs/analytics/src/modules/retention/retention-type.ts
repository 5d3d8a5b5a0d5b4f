import { registerEnumType } from "type-graphql";

/** Who is in a retention cohort. */
export enum RetentionType {
  FIRST_TIME = "FIRST_TIME",
  RECURRING = "RECURRING",
}

registerEnumType(RetentionType, {
  name: "RetentionType",
  description: "Who is in the cohort of an interval.",
  valuesConfig: {
    FIRST_TIME: {
      description:
        "Actors whose first startEvent ever is in the interval (each in one cohort at most).",
    },
    RECURRING: { description: "Actors with a startEvent in the interval (in every such cohort)." },
  },
});
