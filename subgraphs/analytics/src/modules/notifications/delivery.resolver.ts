import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { AnalyticsContext } from "../../context";
import { AlertDelivery, NotificationChannel } from "./notification-channel.types";

@Resolver(() => AlertDelivery)
export class AlertDeliveryResolver {
  @FieldResolver(() => NotificationChannel)
  async channel(
    @Root() delivery: AlertDelivery,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<NotificationChannel> {
    const channel = await ctx.loaders!.notificationChannel.load(delivery.channelId);
    if (!channel) throw new TypeError(`Delivery to channel ${delivery.channelId}, which is gone.`);
    return channel;
  }
}
