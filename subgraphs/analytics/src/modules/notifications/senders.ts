import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import nodemailer from "nodemailer";
import { checkedLookup, checkTarget, isBlockedAddress, TargetRefused } from "./target-check";

/** What one attempt to reach a channel gave. */
export interface SendOutcome {
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
}

/** The message of one notification, as every channel kind renders it. */
export interface NotificationMessage {
  /** The JSON body webhooks receive. */
  payload: Record<string, unknown>;
  /** A one-line summary (Slack's text, the e-mail's subject). */
  summary: string;
  /** Lines of detail (Slack's blocks, the e-mail's body). */
  details: string[];
}

/** How long one HTTP attempt may take. @default 10_000 */
export const SEND_TIMEOUT_MS = 10_000;

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, as a receiver recomputes it. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * POSTs JSON, checking the target again (scheme, and every address it resolves to when connecting)
 * unless private targets are allowed. 2xx is a success; anything else, a redirect included, is not.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  allowPrivate: boolean,
): Promise<SendOutcome> {
  let target: URL;
  try {
    target = await checkTarget(url, { allowPrivate: true });
    const literal = target.hostname.replace(/^\[(.*)\]$/, "$1");
    if (!allowPrivate && isIP(literal) && isBlockedAddress(literal))
      throw new TargetRefused(`reaches a private, loopback or link-local address (${literal}).`);
  } catch (error) {
    return { ok: false, httpStatus: null, error: `The URL ${(error as Error).message}` };
  }
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      target,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "federated-analytics-alerts",
          ...headers,
        },
        lookup: checkedLookup(allowPrivate) as never,
        timeout: SEND_TIMEOUT_MS,
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        resolve({ ok, httpStatus: status, error: ok ? null : `HTTP ${status}` });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer in ${SEND_TIMEOUT_MS} ms`)));
    request.on("error", (error) =>
      resolve({
        ok: false,
        httpStatus: null,
        error: error instanceof TargetRefused ? `The URL ${error.message}` : error.message,
      }),
    );
    request.end(body);
  });
}

/** A signed webhook POST: `X-Timestamp` (Unix seconds) and `X-Signature`. */
export function sendWebhook(
  url: string,
  secret: string,
  message: NotificationMessage,
  now: Date,
  allowPrivate: boolean,
): Promise<SendOutcome> {
  const body = JSON.stringify(message.payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return postJson(
    url,
    body,
    { "x-timestamp": timestamp, "x-signature": webhookSignature(secret, timestamp, body) },
    allowPrivate,
  );
}

/** The Slack incoming-webhook body: `text` (the fallback) and blocks. */
export function slackBody(message: NotificationMessage): Record<string, unknown> {
  return {
    text: message.summary,
    blocks: [
      { type: "header", text: { type: "plain_text", text: message.summary.slice(0, 150) } },
      {
        type: "section",
        text: { type: "mrkdwn", text: message.details.map((line) => `• ${line}`).join("\n") },
      },
    ],
  };
}

export function sendSlack(
  url: string,
  message: NotificationMessage,
  allowPrivate: boolean,
): Promise<SendOutcome> {
  return postJson(url, JSON.stringify(slackBody(message)), {}, allowPrivate);
}

/**
 * Sends an e-mail through `SMTP_URL` (smtp:// or smtps://, credentials in the URL) from
 * `ALERT_EMAIL_FROM`; fails without sending when SMTP_URL is not set.
 */
export async function sendEmail(
  to: string,
  message: NotificationMessage,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SendOutcome> {
  if (!env.SMTP_URL)
    return { ok: false, httpStatus: null, error: "SMTP_URL is not set: e-mail cannot be sent." };
  try {
    const transport = nodemailer.createTransport(env.SMTP_URL);
    await transport.sendMail({
      from: env.ALERT_EMAIL_FROM || "alerts@federated-analytics.invalid",
      to,
      subject: message.summary,
      text: `${message.details.join("\n")}\n`,
      headers: { "X-Alert-Id": String(message.payload.alertId ?? "") },
    });
    transport.close();
    return { ok: true, httpStatus: null, error: null };
  } catch (error) {
    return { ok: false, httpStatus: null, error: (error as Error).message };
  }
}
