import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { EventFilter } from "../timeseries/event-filter.input";

export enum AlertCondition {
  ABOVE = "ABOVE",
  BELOW = "BELOW",
}
registerEnumType(AlertCondition, {
  name: "AlertCondition",
  description: "ABOVE fires when the value exceeds the threshold; BELOW when it falls under it.",
});

export enum AlertRuleState {
  OK = "OK",
  FIRING = "FIRING",
}
registerEnumType(AlertRuleState, {
  name: "AlertRuleState",
  description:
    "FIRING from the crossing until the value recovers; a rule fires again only after it was OK.",
});

@InputType()
export class AlertRuleInput {
  @Field({ nullable: true, description: "Defaults to a description of the rule." })
  name?: string;

  @Field({ description: "A metric name, as in timeseries." })
  metric: string;

  @Field(() => AlertCondition)
  condition: AlertCondition;

  @Field(() => Float)
  threshold: number;

  @Field(() => Int, {
    defaultValue: 60,
    description: "The trailing window the metric is computed over, in minutes (1 to 1440).",
  })
  windowMinutes: number;

  @Field(() => EventFilter, { nullable: true })
  filter?: EventFilter | null;
}

@ObjectType({
  description:
    "A metric over a trailing window compared with a threshold, evaluated as events arrive (and every 30 s).",
})
export class AlertRule {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field()
  metric: string;

  @Field(() => AlertCondition)
  condition: AlertCondition;

  @Field(() => Float)
  threshold: number;

  @Field(() => Int)
  windowMinutes: number;

  @Field(() => AlertRuleState)
  state: AlertRuleState;

  @Field(() => Float, { nullable: true, description: "The value at the last evaluation." })
  lastValue: number | null;

  @Field()
  createdAt: Date;

  filter: EventFilter | null;
}

@ObjectType({ description: "A rule that crossed its threshold." })
export class Alert {
  @Field(() => ID)
  id: string;

  @Field(() => AlertRule)
  rule: AlertRule;

  @Field(() => Float, { description: "The metric's value over the window when it crossed." })
  value: number;

  @Field(() => Float)
  threshold: number;

  @Field(() => AlertCondition)
  condition: AlertCondition;

  @Field()
  triggeredAt: Date;
}
