import { randomUUID } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import type { Logger } from "#kit/logger";
import type { SecretBox } from "./secret-box";
import {
  sendEmail,
  sendSlack,
  sendWebhook,
  type NotificationMessage,
  type SendOutcome,
} from "./senders";
import { privateTargetsAllowed } from "./target-check";
import { NotificationChannelKind } from "./notification-channel.types";

/** Why a message is sent. */
export type NotificationReason = "FIRING" | "ESCALATION";

/** The time as the alerting code sees it (injected in tests). */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/**
 * Queues one message per channel in the caller's transaction (the outbox): they are sent by a
 * {@link NotificationDispatcher} of any replica, never in the request or evaluation path.
 */
export async function enqueueNotifications(
  db: EntityManager,
  organizationId: string,
  alertId: string,
  channelIds: string[],
  reason: NotificationReason,
  message: NotificationMessage,
  now: Date,
): Promise<number> {
  if (channelIds.length === 0) return 0;
  const rows: { id: string }[] = await db.query(
    `INSERT INTO alert_notifications (organization_id, id, alert_id, channel_id, reason, payload, next_attempt_at)
     SELECT $1, gen_random_uuid(), $2, c.id, $4, $5, $6
       FROM notification_channels c
      WHERE c.organization_id = $1 AND c.id = ANY ($3::uuid[]) AND c.deleted_at IS NULL
     RETURNING id`,
    [organizationId, alertId, channelIds, reason, JSON.stringify(message), now],
  );
  return rows.length;
}

export interface DispatcherOptions {
  clock?: Clock;
  /** How often due messages are looked for. @default 1000 */
  pollMs?: number;
  /**
   * The wait after a first failed attempt; it doubles after each next one (30 s, 1, 2, 4, 8, 16
   * and 32 min: 8 attempts over about an hour). @default ALERT_RETRY_BASE_SECONDS or 30 s
   */
  retryBaseMs?: number;
  /** Attempts before a message is given up. @default 8 */
  maxAttempts?: number;
  /** Messages sent at once by this replica. @default 4 */
  concurrency?: number;
  /** Runs before each round (the alerts module queues escalations there). */
  beforeRound?: (now: Date) => Promise<void>;
}

interface ClaimedMessage {
  organization_id: string;
  id: string;
  alert_id: string;
  channel_id: string;
  reason: NotificationReason;
  payload: NotificationMessage;
  attempts: number;
  kind: NotificationChannelKind;
  url: string | null;
  email: string | null;
  secret_ciphertext: string | null;
  silenced_until: Date | null;
}

/**
 * Cancels the messages of `alertIds` not delivered yet (the alerts were resolved). Resolves how
 * many were cancelled.
 */
export async function cancelNotifications(
  db: EntityManager | DataSource,
  organizationId: string,
  alertIds: string[],
): Promise<number> {
  const [rows] = await db.query(
    `UPDATE alert_notifications SET state = 'CANCELLED'
      WHERE organization_id = $1 AND alert_id = ANY ($2::uuid[]) AND state = 'PENDING' RETURNING id`,
    [organizationId, alertIds],
  );
  return rows.length;
}

/** The wait after `attempt` failed attempts. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return baseMs * 2 ** (attempt - 1);
}

/**
 * Sends queued messages, on every replica: each round claims due messages one at a time with
 * `FOR UPDATE SKIP LOCKED` and keeps the row locked while sending, recording the attempt and the
 * next one in the same transaction, so an attempt happens once whichever replica runs it, and a
 * replica that dies mid-send leaves the message to be tried again. Messages of a silenced rule
 * wait until the silence ends.
 */
export class NotificationDispatcher {
  private readonly clock: Clock;
  private readonly retryBaseMs: number;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly log: Logger,
    private readonly options: DispatcherOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.retryBaseMs =
      options.retryBaseMs ?? Number(process.env.ALERT_RETRY_BASE_SECONDS || 30) * 1000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.concurrency = options.concurrency ?? 4;
  }

  /** Starts polling. */
  start(): void {
    const poll = () => {
      if (this.stopped) return;
      void this.runRound().finally(() => {
        if (!this.stopped) this.timer = setTimeout(poll, this.options.pollMs ?? 1000);
      });
    };
    poll();
  }

  /** Stops polling and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round?.catch(() => undefined);
  }

  /**
   * One round: the `beforeRound` hook, then every message due now; resolves the number of attempts
   * made. Rounds do not overlap within a replica.
   */
  runRound(): Promise<number> {
    this.round = (this.round ?? Promise.resolve(0))
      .catch(() => 0)
      .then(async () => {
        const now = this.clock();
        await this.options.beforeRound?.(now);
        const counts = await Promise.all(
          Array.from({ length: this.concurrency }, async () => {
            let sent = 0;
            while (!this.stopped && (await this.attemptOne(now))) sent++;
            return sent;
          }),
        );
        return counts.reduce((a, b) => a + b, 0);
      })
      .catch((error: Error) => {
        this.log.warn(`alert delivery round failed: ${error.message}`);
        return 0;
      });
    return this.round;
  }

  /**
   * Claims and attempts one due message; false when none is due (or all are being sent). The due
   * messages are listed without a lock, then locked one by one by their key with `SKIP LOCKED`,
   * which Citus runs on the message's shard (it has no multi-shard `FOR UPDATE`); the locked read
   * checks again that the message is still due, so one attempted meanwhile is not attempted again.
   */
  private async attemptOne(now: Date): Promise<boolean> {
    const due: { organization_id: string; id: string }[] = await this.dataSource.query(
      `SELECT organization_id, id FROM alert_notifications
        WHERE state = 'PENDING' AND next_attempt_at <= $1
        ORDER BY next_attempt_at, id
        LIMIT $2`,
      [now, 4 * this.concurrency],
    );
    for (const candidate of due) {
      if (this.stopped) return false;
      if (await this.attempt(candidate.organization_id, candidate.id, now)) return true;
    }
    return false;
  }

  /** Locks one message if it is still due and nobody holds it, and attempts it; false if not. */
  private attempt(organizationId: string, id: string, now: Date): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [message]: ClaimedMessage[] = await manager.query(
        `SELECT n.organization_id, n.id, n.alert_id, n.channel_id, n.reason, n.payload, n.attempts,
                c.kind, c.url, c.email, c.secret_ciphertext, r.silenced_until
           FROM alert_notifications n
           JOIN notification_channels c ON c.organization_id = $1 AND c.id = n.channel_id
           JOIN alerts a ON a.organization_id = $1 AND a.id = n.alert_id
           JOIN alert_rules r ON r.organization_id = $1 AND r.id = a.rule_id
          WHERE n.organization_id = $1 AND n.id = $2
            AND n.state = 'PENDING' AND n.next_attempt_at <= $3
          FOR UPDATE OF n SKIP LOCKED`,
        [organizationId, id, now],
      );
      if (!message) return false;
      if (message.silenced_until && new Date(message.silenced_until) > now) {
        await manager.query(
          `UPDATE alert_notifications SET next_attempt_at = $3 WHERE organization_id = $1 AND id = $2`,
          [message.organization_id, message.id, message.silenced_until],
        );
        return true;
      }
      const attempt = message.attempts + 1;
      const outcome = await this.send(message, now);
      const attemptedAt = this.clock();
      await manager.query(
        `INSERT INTO alert_deliveries (organization_id, notification_id, attempt, alert_id, channel_id, at, ok, http_status, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          message.organization_id,
          message.id,
          attempt,
          message.alert_id,
          message.channel_id,
          attemptedAt,
          outcome.ok,
          outcome.httpStatus,
          outcome.error?.slice(0, 1000) ?? null,
        ],
      );
      const state = outcome.ok ? "DELIVERED" : attempt >= this.maxAttempts ? "FAILED" : "PENDING";
      const next = new Date(now.getTime() + retryDelayMs(attempt, this.retryBaseMs));
      await manager.query(
        `UPDATE alert_notifications SET attempts = $3, state = $4, next_attempt_at = $5
          WHERE organization_id = $1 AND id = $2`,
        [message.organization_id, message.id, attempt, state, next],
      );
      if (!outcome.ok)
        this.log.warn(
          `alert delivery ${message.id} attempt ${attempt} to a ${message.kind} channel failed: ${outcome.error}${state === "FAILED" ? " (given up)" : ""}`,
        );
      return true;
    });
  }

  private send(message: ClaimedMessage, now: Date): Promise<SendOutcome> {
    const allowPrivate = privateTargetsAllowed();
    switch (message.kind) {
      case NotificationChannelKind.WEBHOOK:
        return sendWebhook(
          message.url!,
          this.secrets.decrypt(message.secret_ciphertext!),
          message.payload,
          now,
          allowPrivate,
        );
      case NotificationChannelKind.SLACK:
        return sendSlack(message.url!, message.payload, allowPrivate);
      case NotificationChannelKind.EMAIL:
        return sendEmail(message.email!, message.payload);
    }
  }
}

/** A fresh id for rows this module makes. */
export const newId = randomUUID;
