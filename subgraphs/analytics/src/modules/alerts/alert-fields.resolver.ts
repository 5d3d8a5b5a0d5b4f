import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { AnalyticsContext } from "../../context";
import { AlertDelivery, NotificationChannel } from "../notifications/notification-channel.types";
import { Alert, AlertRule } from "./alert.types";
import { User } from "./user.type";

@Resolver(() => Alert)
export class AlertFieldsResolver {
  @FieldResolver(() => User, {
    nullable: true,
    description: "Who acknowledged the alert (a user of the users subgraph).",
  })
  acknowledgedBy(@Root() alert: Alert): User | null {
    return alert.acknowledgedById ? { id: alert.acknowledgedById } : null;
  }

  @FieldResolver(() => [AlertDelivery], {
    description:
      "Every attempt to send the alert to a channel, oldest first (retries and escalations included).",
  })
  async deliveries(@Root() alert: Alert, @Ctx() ctx: AnalyticsContext): Promise<AlertDelivery[]> {
    return (await ctx.loaders!.alertDeliveries.load(alert.id)) as AlertDelivery[];
  }
}

@Resolver(() => AlertRule)
export class AlertRuleFieldsResolver {
  @FieldResolver(() => [NotificationChannel], {
    description: "The channels the rule's alerts are sent to.",
  })
  async channels(
    @Root() rule: AlertRule,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<NotificationChannel[]> {
    const channels = await ctx.loaders!.notificationChannel.loadMany(rule.channelIds ?? []);
    return channels.filter(
      (channel): channel is NotificationChannel =>
        channel !== null && !(channel instanceof Error) && channel.deletedAt === null,
    );
  }
}
