import { randomBytes, randomUUID } from "node:crypto";
import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { requireRole, requireUser, requireViewer } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { isUuid } from "#kit/data/ids";
import { badUserInput, notFound } from "#kit/errors";
import type { AnalyticsContext } from "../../context";
import {
  countChannels,
  deleteChannel,
  insertChannel,
  listChannels,
  MAX_CHANNELS,
} from "./channel-store";
import {
  CreatedNotificationChannel,
  NotificationChannel,
  NotificationChannelInput,
  NotificationChannelKind,
} from "./notification-channel.types";
import { checkTarget, TargetRefused } from "./target-check";

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;

@Resolver()
export class NotificationChannelResolver {
  @Query(() => [NotificationChannel], {
    description: "Your organization's notification channels, oldest first.",
  })
  notificationChannels(@Ctx() ctx: AnalyticsContext): Promise<NotificationChannel[]> {
    const viewer = requireViewer(ctx.viewer);
    return listChannels(ctx.dataSource, viewer.organizationId);
  }

  @Mutation(() => CreatedNotificationChannel, {
    description:
      "Adds a channel alert rules can send to. A WEBHOOK's signing secret is returned this once. ADMIN.",
  })
  async createNotificationChannel(
    @Arg("input", () => NotificationChannelInput) input: NotificationChannelInput,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<CreatedNotificationChannel> {
    const user = requireUser(ctx.viewer, Role.ADMIN);
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100)
      throw badUserInput("name must be 1 to 100 characters.", "input.name");
    let url: string | null = null;
    let email: string | null = null;
    if (input.kind === NotificationChannelKind.EMAIL) {
      email = input.email?.trim() ?? "";
      if (!EMAIL.test(email))
        throw badUserInput("An EMAIL channel needs an e-mail address.", "input.email");
    } else {
      if (!input.url) throw badUserInput(`A ${input.kind} channel needs a url.`, "input.url");
      if (input.url.length > 2000)
        throw badUserInput("url must be at most 2000 characters.", "input.url");
      try {
        url = (await checkTarget(input.url)).toString();
      } catch (error) {
        if (error instanceof TargetRefused) throw badUserInput(`url ${error.message}`, "input.url");
        throw error;
      }
    }
    const signingSecret =
      input.kind === NotificationChannelKind.WEBHOOK
        ? `whsec_${randomBytes(32).toString("base64url")}`
        : null;
    const channel = await ctx.dataSource.transaction(async (manager) => {
      await manager.query(
        `SELECT pg_advisory_xact_lock(hashtext('notification_channels:' || $1))`,
        [user.organizationId],
      );
      if ((await countChannels(manager, user.organizationId)) >= MAX_CHANNELS)
        throw badUserInput(
          `An organization has at most ${MAX_CHANNELS} notification channels; delete one first.`,
          "input",
        );
      return insertChannel(
        manager,
        user.organizationId,
        {
          id: randomUUID(),
          kind: input.kind,
          name,
          url,
          email,
          secretCiphertext: signingSecret ? ctx.alerting.secrets.encrypt(signingSecret) : null,
        },
        user.userId,
      );
    });
    return { channel, signingSecret };
  }

  @Mutation(() => Boolean, {
    description:
      "Deletes a channel: rules stop sending to it; its past deliveries stay visible. ADMIN.",
  })
  async deleteNotificationChannel(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<boolean> {
    const viewer = requireRole(ctx.viewer, Role.ADMIN);
    if (
      !isUuid(id) ||
      !(await deleteChannel(ctx.dataSource, viewer.organizationId, id, new Date()))
    )
      throw notFound("NotificationChannel", id);
    return true;
  }
}
