import { Field, InputType, Int, registerEnumType } from "type-graphql";
import { EventFilter } from "../timeseries/event-filter.input";

/** How a funnel's steps must follow each other. */
export enum FunnelOrder {
  ORDERED = "ORDERED",
  STRICT = "STRICT",
  UNORDERED = "UNORDERED",
}

registerEnumType(FunnelOrder, {
  name: "FunnelOrder",
  description: "How the steps must follow each other within the conversion window.",
  valuesConfig: {
    ORDERED: {
      description:
        "In order; other events may come between (each step's first event not before the previous step's).",
    },
    STRICT: {
      description: "In order, with no other event of the actor between two steps.",
    },
    UNORDERED: {
      description: "In any order: step k counts actors who did k distinct steps within one window.",
    },
  },
});

@InputType({ description: "One step of a funnel: events of a type, optionally filtered." })
export class FunnelStepInput {
  @Field({ description: "The event type (1 to 64 characters)." })
  type: string;

  @Field(() => EventFilter, {
    nullable: true,
    description: "Only the events of the type that also pass this filter match the step.",
  })
  filter?: EventFilter | null;

  @Field(() => String, { nullable: true, description: "A name to show; the type when omitted." })
  label?: string | null;
}

@InputType({
  description:
    "Events that disqualify an attempt when they happen strictly between the attempt's fromStep and toStep events.",
})
export class FunnelExclusionInput {
  @Field({
    description:
      "The event type (1 to 64 characters); not the type of a step from fromStep to toStep (any step for UNORDERED).",
  })
  type: string;

  @Field(() => EventFilter, { nullable: true })
  filter?: EventFilter | null;

  @Field(() => Int, { description: "1-based step index." })
  fromStep: number;

  @Field(() => Int, { description: "1-based step index, after fromStep." })
  toStep: number;
}
