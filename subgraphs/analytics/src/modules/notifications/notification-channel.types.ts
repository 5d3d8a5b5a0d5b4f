import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";

export enum NotificationChannelKind {
  WEBHOOK = "WEBHOOK",
  SLACK = "SLACK",
  EMAIL = "EMAIL",
}
registerEnumType(NotificationChannelKind, {
  name: "NotificationChannelKind",
  description:
    "WEBHOOK: a signed JSON POST; SLACK: an incoming-webhook URL (text and blocks); EMAIL: through the server's SMTP_URL.",
});

@InputType()
export class NotificationChannelInput {
  @Field(() => NotificationChannelKind)
  kind: NotificationChannelKind;

  @Field({ description: "1 to 100 characters." })
  name: string;

  @Field(() => String, {
    nullable: true,
    description:
      "WEBHOOK and SLACK: an http or https URL whose host resolves to public addresses only.",
  })
  url?: string | null;

  @Field(() => String, { nullable: true, description: "EMAIL: the address alerts go to." })
  email?: string | null;
}

@ObjectType({ description: "Where alerts are sent." })
export class NotificationChannel {
  @Field(() => ID)
  id: string;

  @Field(() => NotificationChannelKind)
  kind: NotificationChannelKind;

  @Field()
  name: string;

  @Field()
  createdAt: Date;

  /** The target (URL or address), for the sender only: never exposed. */
  url: string | null;
  email: string | null;
  secretCiphertext: string | null;
  deletedAt: Date | null;
}

@ObjectType()
export class CreatedNotificationChannel {
  @Field(() => NotificationChannel)
  channel: NotificationChannel;

  @Field(() => String, {
    nullable: true,
    description:
      "WEBHOOK: the signing secret, shown this once. Verify X-Signature = sha256=<hex HMAC-SHA256 of X-Timestamp + '.' + body>.",
  })
  signingSecret: string | null;
}

@ObjectType({ description: "One attempt to send an alert to a channel." })
export class AlertDelivery {
  @Field(() => NotificationChannel)
  channel: NotificationChannel;

  @Field(() => Int, { description: "1 for the first attempt of a message, 2 for its retry, ..." })
  attempt: number;

  @Field()
  at: Date;

  @Field()
  ok: boolean;

  @Field(() => Int, {
    nullable: true,
    description: "The receiver's HTTP status (webhooks, Slack).",
  })
  httpStatus: number | null;

  @Field(() => String, { nullable: true })
  error: string | null;

  @Field({ description: "FIRING: the alert itself; ESCALATION: sent again, not acknowledged." })
  reason: string;

  channelId: string;
  alertId: string;
}
