import { randomUUID } from "node:crypto";
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import { requireRole, requireUser, requireViewer } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { isUuid } from "#kit/data/ids";
import { badUserInput, notFound } from "#kit/errors";
import { EventQueue } from "#kit/subscriptions/event-queue";
import type { AnalyticsContext } from "../../context";
import { resolveMetrics } from "../metric/metric-catalog";
import { existingChannelIds } from "../notifications/channel-store";
import { Interval } from "../timeseries/interval";
import {
  deleteAlertRule,
  insertAlertRule,
  listAlertRules,
  listAlerts,
  moveAlert,
  ruleFromJson,
  silenceAlertRule,
  type AlertMessage,
} from "./alert-store";
import { Alert, AlertCondition, AlertRule, AlertRuleInput, AlertStatus } from "./alert.types";

/** Most alert rules one organization may have. */
export const MAX_ALERT_RULES = 100;

@Resolver()
export class AlertResolver {
  @Query(() => [AlertRule], { description: "Your organization's alert rules, oldest first." })
  alertRules(@Ctx() ctx: AnalyticsContext): Promise<AlertRule[]> {
    const viewer = requireViewer(ctx.viewer);
    return listAlertRules(ctx.dataSource, viewer.organizationId);
  }

  @Query(() => [Alert], { description: "Your organization's latest alerts, newest first." })
  alerts(
    @Arg("first", () => Int, { defaultValue: 20, description: "1 to 100." }) first: number,
    @Arg("status", () => [AlertStatus], {
      nullable: true,
      description: "Only alerts with one of these statuses.",
    })
    status: AlertStatus[] | null,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<Alert[]> {
    const viewer = requireViewer(ctx.viewer);
    if (!Number.isInteger(first) || first < 1 || first > 100)
      throw badUserInput("first must be between 1 and 100.", "first");
    return listAlerts(ctx.dataSource, viewer.organizationId, first, status?.length ? status : null);
  }

  @Mutation(() => Alert, {
    description:
      "Acknowledges a FIRING alert: it is not escalated. Acknowledging it again changes nothing; a RESOLVED one is BAD_USER_INPUT. ANALYST or ADMIN.",
  })
  acknowledgeAlert(@Arg("id", () => ID) id: string, @Ctx() ctx: AnalyticsContext): Promise<Alert> {
    return this.move(ctx, id, AlertStatus.ACKNOWLEDGED);
  }

  @Mutation(() => Alert, {
    description:
      "Resolves an alert (FIRING or ACKNOWLEDGED); resolving it again changes nothing. ANALYST or ADMIN.",
  })
  resolveAlert(@Arg("id", () => ID) id: string, @Ctx() ctx: AnalyticsContext): Promise<Alert> {
    return this.move(ctx, id, AlertStatus.RESOLVED);
  }

  private async move(
    ctx: AnalyticsContext,
    id: string,
    to: AlertStatus.ACKNOWLEDGED | AlertStatus.RESOLVED,
  ): Promise<Alert> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    const moved = isUuid(id)
      ? await moveAlert(
          ctx.dataSource,
          user.organizationId,
          id,
          to,
          user.userId,
          ctx.alerting.clock(),
        )
      : null;
    if (!moved) throw notFound("Alert", id);
    if (moved.refused)
      throw badUserInput(
        `The alert is ${moved.alert.status}; it cannot be ${to.toLowerCase()}.`,
        "id",
      );
    return moved.alert;
  }

  @Mutation(() => AlertRule, {
    description:
      "Silences a rule: its alerts are still recorded, but nothing is sent (no notification, retry or escalation) until `until`; a past time lifts the silence. ANALYST or ADMIN.",
  })
  async silenceAlertRule(
    @Arg("id", () => ID) id: string,
    @Arg("until") until: Date,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<AlertRule> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    if (!(until instanceof Date) || Number.isNaN(until.getTime()))
      throw badUserInput("until is not a valid date-time.", "until");
    const rule = isUuid(id)
      ? await silenceAlertRule(ctx.dataSource, user.organizationId, id, until)
      : null;
    if (!rule) throw notFound("AlertRule", id);
    return rule;
  }

  @Mutation(() => AlertRule, {
    description:
      "Adds an alert rule: fires (alertTriggered, and a message to each of its channels) when the metric over the trailing window crosses the threshold, or for ANOMALY when its latest bucket leaves the detector's band; again only after it recovered. ANALYST or ADMIN.",
  })
  async createAlertRule(
    @Arg("input", () => AlertRuleInput) input: AlertRuleInput,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<AlertRule> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    await resolveMetrics(ctx.dataSource, user.organizationId, [input.metric], "input.metric");
    const anomaly = input.condition === AlertCondition.ANOMALY;
    const threshold = anomaly ? 0 : input.threshold;
    if (threshold === null || threshold === undefined || !Number.isFinite(threshold))
      throw badUserInput(
        "threshold must be a finite number (ABOVE and BELOW need one).",
        "input.threshold",
      );
    const sensitivity = anomaly ? (input.sensitivity ?? 0.5) : null;
    if (sensitivity !== null && !(sensitivity >= 0 && sensitivity <= 1))
      throw badUserInput("sensitivity must be between 0 and 1.", "input.sensitivity");
    const interval = anomaly ? (input.interval ?? Interval.HOUR) : null;
    const escalate = input.escalateAfterMinutes ?? null;
    if (escalate !== null && (!Number.isInteger(escalate) || escalate < 1 || escalate > 10080))
      throw badUserInput(
        "escalateAfterMinutes must be between 1 and 10080 (a week).",
        "input.escalateAfterMinutes",
      );
    const channelIds = [...new Set(input.channelIds ?? [])];
    if (channelIds.length > 20)
      throw badUserInput("A rule sends to at most 20 channels.", "input.channelIds");
    const badId = channelIds.find((channelId) => !isUuid(channelId));
    if (badId) throw badUserInput(`'${badId}' is not a channel id.`, "input.channelIds");
    const known = await existingChannelIds(ctx.dataSource, user.organizationId, channelIds);
    const unknown = channelIds.find((channelId) => !known.has(channelId));
    if (unknown)
      throw badUserInput(
        `No notification channel ${unknown} in your organization.`,
        "input.channelIds",
      );
    if (
      !Number.isInteger(input.windowMinutes) ||
      input.windowMinutes < 1 ||
      input.windowMinutes > 1440
    ) {
      throw badUserInput(
        "windowMinutes must be between 1 and 1440 (a day).",
        "input.windowMinutes",
      );
    }
    const name = (
      input.name ??
      (anomaly
        ? `${input.metric} anomaly by ${interval!.toLowerCase()}`
        : `${input.metric} ${input.condition.toLowerCase()} ${threshold} over ${input.windowMinutes} min`)
    ).trim();
    if (name.length < 1 || name.length > 100)
      throw badUserInput("name must be 1 to 100 characters.", "input.name");
    if (
      input.filter?.properties != null &&
      (typeof input.filter.properties !== "object" || Array.isArray(input.filter.properties))
    ) {
      throw badUserInput(
        "filter.properties must be a JSON object of property values.",
        "input.filter.properties",
      );
    }
    // Rules are evaluated as each batch of events is stored; a cohort's membership is not.
    if (input.filter?.cohortId)
      throw badUserInput(
        "filter.cohortId is not supported by alert rules.",
        "input.filter.cohortId",
      );
    for (const key of ["customerId", "campaignId"] as const) {
      const id = input.filter?.[key];
      if (id && !isUuid(id))
        throw badUserInput(`filter.${key} '${id}' is not a UUID.`, `input.filter.${key}`);
    }
    const created = await ctx.dataSource.transaction(async (manager) => {
      // Serialised per organization, so the cap holds under concurrent calls.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('alert_rules:' || $1))`, [
        user.organizationId,
      ]);
      const [{ count }] = await manager.query(
        `SELECT count(*)::int AS count FROM alert_rules WHERE organization_id = $1`,
        [user.organizationId],
      );
      if (count >= MAX_ALERT_RULES)
        throw badUserInput(
          `An organization has at most ${MAX_ALERT_RULES} alert rules; delete one first.`,
          "input",
        );
      const rule = await insertAlertRule(
        manager,
        user.organizationId,
        {
          id: randomUUID(),
          name,
          metric: input.metric,
          condition: input.condition,
          threshold,
          windowMinutes: input.windowMinutes,
          filter: input.filter ?? null,
          channelIds,
          escalateAfterMinutes: escalate,
          interval,
          sensitivity,
        },
        user.userId,
      );
      return rule;
    });
    await ctx.realtime.publishAlertRulesChanged(user.organizationId);
    return created;
  }

  @Mutation(() => Boolean, {
    description: "Deletes an alert rule and its alerts. ANALYST or ADMIN.",
  })
  async deleteAlertRule(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<boolean> {
    const viewer = requireRole(ctx.viewer, Role.ANALYST);
    if (!isUuid(id) || !(await deleteAlertRule(ctx.dataSource, viewer.organizationId, id)))
      throw notFound("AlertRule", id);
    await ctx.realtime.publishAlertRulesChanged(viewer.organizationId);
    return true;
  }

  @Subscription(() => Alert, {
    description:
      "Each alert of your organization's rules as it fires (once per crossing; again only after the rule recovered).",
    subscribe: ({ context }) => subscribeToAlerts(context as AnalyticsContext),
  })
  alertTriggered(@Root() alert: AlertMessage): Alert {
    return {
      ...alert,
      triggeredAt: new Date(alert.triggeredAt),
      bucket: alert.bucket ? new Date(alert.bucket) : null,
      status: AlertStatus.FIRING,
      acknowledgedAt: null,
      acknowledgedById: null,
      resolvedAt: null,
      rule: ruleFromJson(alert.rule),
    };
  }
}

function subscribeToAlerts(ctx: AnalyticsContext): AsyncIterable<AlertMessage> {
  const viewer = requireViewer(ctx.viewer);
  let stop = () => {};
  const queue = new EventQueue<AlertMessage>({ capacity: 1000, onClose: () => stop() });
  stop = ctx.realtime.onAlert<AlertMessage>(viewer.organizationId, (alert) => queue.push(alert));
  return queue;
}
