import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { EventFilter } from "../timeseries/event-filter.input";
import { Interval } from "../timeseries/interval";

export enum AlertCondition {
  ABOVE = "ABOVE",
  BELOW = "BELOW",
  ANOMALY = "ANOMALY",
}
registerEnumType(AlertCondition, {
  name: "AlertCondition",
  description:
    "ABOVE fires when the value exceeds the threshold; BELOW when it falls under it; ANOMALY when the latest bucket is outside the detector's expected band (threshold unused).",
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

export enum AlertStatus {
  FIRING = "FIRING",
  ACKNOWLEDGED = "ACKNOWLEDGED",
  RESOLVED = "RESOLVED",
}
registerEnumType(AlertStatus, {
  name: "AlertStatus",
  description:
    "FIRING until someone acknowledges it (which stops escalation); RESOLVED by resolveAlert or when the rule recovers.",
});

@InputType()
export class AlertRuleInput {
  @Field({ nullable: true, description: "Defaults to a description of the rule." })
  name?: string;

  @Field({ description: "A metric name, as in timeseries." })
  metric: string;

  @Field(() => AlertCondition)
  condition: AlertCondition;

  @Field(() => Float, { nullable: true, description: "Required for ABOVE and BELOW." })
  threshold?: number | null;

  @Field(() => Int, {
    defaultValue: 60,
    description:
      "ABOVE/BELOW: the trailing window the metric is computed over, in minutes (1 to 1440). Every rule sends at most one notification per window (a flapping rule stays quiet).",
  })
  windowMinutes: number;

  @Field(() => EventFilter, { nullable: true })
  filter?: EventFilter | null;

  @Field(() => Interval, {
    nullable: true,
    description: "ANOMALY: the buckets the detector reads. @default HOUR",
  })
  interval?: Interval | null;

  @Field(() => Float, {
    nullable: true,
    description: "ANOMALY: 0 to 1, as in anomalies. @default 0.5",
  })
  sensitivity?: number | null;

  @Field(() => [ID], {
    nullable: true,
    description: "Notification channels the rule's alerts are sent to.",
  })
  channelIds?: string[] | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "An alert still FIRING (not acknowledged) this many minutes after it fired is sent again to every channel of the rule (1 to 10080).",
  })
  escalateAfterMinutes?: number | null;
}

@ObjectType({
  description:
    "A metric over a trailing window compared with a threshold, or its latest bucket with the anomaly detector's band, evaluated as events arrive (and every 30 s).",
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

  @Field(() => Float, { description: "0 for ANOMALY rules (unused)." })
  threshold: number;

  @Field(() => Int)
  windowMinutes: number;

  @Field(() => AlertRuleState)
  state: AlertRuleState;

  @Field(() => Float, { nullable: true, description: "The value at the last evaluation." })
  lastValue: number | null;

  @Field()
  createdAt: Date;

  @Field(() => Interval, { nullable: true, description: "ANOMALY rules' buckets." })
  interval: Interval | null;

  @Field(() => Float, { nullable: true, description: "ANOMALY rules' sensitivity." })
  sensitivity: number | null;

  @Field(() => Int, { nullable: true })
  escalateAfterMinutes: number | null;

  @Field(() => Date, {
    nullable: true,
    description: "The rule sends nothing until then (silenceAlertRule).",
  })
  silencedUntil: Date | null;

  filter: EventFilter | null;
  channelIds: string[];
  lastNotifiedAt: Date | null;
}

@ObjectType({ description: "A rule that crossed its threshold (or left its band)." })
export class Alert {
  @Field(() => ID)
  id: string;

  @Field(() => AlertRule)
  rule: AlertRule;

  @Field(() => Float, { description: "The metric's value when it crossed." })
  value: number;

  @Field(() => Float, { description: "The threshold, or for ANOMALY the band's bound crossed." })
  threshold: number;

  @Field(() => AlertCondition)
  condition: AlertCondition;

  @Field()
  triggeredAt: Date;

  @Field(() => AlertStatus)
  status: AlertStatus;

  @Field(() => Date, { nullable: true })
  acknowledgedAt: Date | null;

  @Field(() => Date, { nullable: true })
  resolvedAt: Date | null;

  @Field(() => Date, { nullable: true, description: "ANOMALY: the anomalous bucket." })
  bucket: Date | null;

  acknowledgedById: string | null;
}
