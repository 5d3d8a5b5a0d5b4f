import { UsageError } from "../../import/errors";
import {
  clientFor,
  ExitCode,
  failure,
  parse,
  table,
  COMMON_USAGE,
  type CliCommand,
} from "../cli-context";

const USAGE = `Usage: npm run cli -- alerts list [--status FIRING,ACKNOWLEDGED,RESOLVED] [--first n]
       npm run cli -- alerts ack <alertId>
       npm run cli -- alerts resolve <alertId>
       npm run cli -- alerts silence <ruleId> --until <ISO time | 30m | 2h | 1d>

list     the latest alerts (newest first), with their rule and deliveries
ack      acknowledges a FIRING alert (it is not escalated)
resolve  resolves an alert
silence  silences a rule: nothing is sent until then

${COMMON_USAGE}`;

const ALERT_FIELDS = `id status value threshold condition triggeredAt acknowledgedAt resolvedAt rule { id name metric } deliveries { ok }`;

interface AlertRow {
  id: string;
  status: string;
  value: number;
  threshold: number;
  condition: string;
  triggeredAt: string;
  rule: { id: string; name: string; metric: string };
  deliveries: { ok: boolean }[];
}

/** `30m`, `2h`, `1d` from now, or an ISO time. */
export function untilTime(text: string, now = Date.now()): Date {
  const relative = /^(\d+)([mhd])$/.exec(text);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "m" | "h" | "d"];
    return new Date(now + Number(relative[1]) * unit);
  }
  const time = new Date(text);
  if (Number.isNaN(time.getTime()))
    throw new UsageError("--until must be an ISO time or a duration such as 30m, 2h or 1d.");
  return time;
}

export const alerts: CliCommand = {
  name: "alerts",
  summary: "list, ack, resolve alerts; silence a rule",
  usage: USAGE,
  async run(args, io) {
    try {
      const { values, positionals } = parse(args, {
        status: { type: "string" },
        first: { type: "string" },
        until: { type: "string" },
      });
      if (values.help) {
        io.out(`${USAGE}\n`);
        return ExitCode.Ok;
      }
      const [action, id, ...rest] = positionals;
      if (rest.length) throw new UsageError(`Unexpected argument '${rest[0]}'.`);
      const client = () => clientFor(values, io.env);
      switch (action) {
        case "list": {
          if (id) throw new UsageError(`Unexpected argument '${id}'.`);
          const status = values.status ? String(values.status).toUpperCase().split(",") : null;
          const first = values.first === undefined ? 20 : Number(values.first);
          if (!Number.isInteger(first) || first < 1 || first > 100)
            throw new UsageError("--first must be from 1 to 100.");
          const data = await client().request<{ alerts: AlertRow[] }>(
            `query($first: Int!, $status: [AlertStatus!]) { alerts(first: $first, status: $status) { ${ALERT_FIELDS} } }`,
            { first, status },
          );
          if (values.json) io.out(`${JSON.stringify(data.alerts, null, 2)}\n`);
          else
            io.out(
              table(
                ["id", "status", "rule", "metric", "value", "triggered", "delivered"],
                data.alerts.map((alert) => [
                  alert.id,
                  alert.status,
                  alert.rule.name,
                  alert.rule.metric,
                  `${alert.value} (${alert.condition} ${alert.threshold})`,
                  alert.triggeredAt,
                  `${alert.deliveries.filter((d) => d.ok).length}/${alert.deliveries.length}`,
                ]),
              ),
            );
          return ExitCode.Ok;
        }
        case "ack":
        case "resolve": {
          if (!id) throw new UsageError(`alerts ${action} takes an alert id.`);
          const field = action === "ack" ? "acknowledgeAlert" : "resolveAlert";
          const data = await client().request<Record<string, AlertRow>>(
            `mutation($id: ID!) { ${field}(id: $id) { ${ALERT_FIELDS} } }`,
            { id },
          );
          const alert = data[field];
          if (values.json) io.out(`${JSON.stringify(alert, null, 2)}\n`);
          else io.out(`${alert.id} is ${alert.status}\n`);
          return ExitCode.Ok;
        }
        case "silence": {
          if (!id) throw new UsageError("alerts silence takes a rule id.");
          if (!values.until) throw new UsageError("alerts silence needs --until.");
          const until = untilTime(String(values.until));
          const data = await client().request<{
            silenceAlertRule: { id: string; name: string; silencedUntil: string };
          }>(
            `mutation($id: ID!, $until: DateTime!) { silenceAlertRule(id: $id, until: $until) { id name silencedUntil } }`,
            { id, until: until.toISOString() },
          );
          if (values.json) io.out(`${JSON.stringify(data.silenceAlertRule, null, 2)}\n`);
          else
            io.out(
              `${data.silenceAlertRule.name} is silenced until ${data.silenceAlertRule.silencedUntil}\n`,
            );
          return ExitCode.Ok;
        }
        default:
          throw new UsageError(
            action
              ? `Unknown alerts action '${action}'.`
              : "alerts needs an action: list, ack, resolve or silence.",
          );
      }
    } catch (error) {
      return failure(error, io, USAGE);
    }
  },
};
