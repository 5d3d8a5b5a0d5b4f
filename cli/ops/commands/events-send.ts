import { randomUUID } from "node:crypto";
import { UsageError } from "../../import/errors";
import { clientFor, ExitCode, failure, parse, COMMON_USAGE, type CliCommand } from "../cli-context";

const USAGE = `Usage: npm run cli -- events send --type <type> --count <n> [--rate <per second>] [options]

Sends n test events of the type, timestamped now, in batches of up to 500 (an API key needs the
EVENTS_WRITE scope), at most --rate events a second when given, with progress on stderr. Prints
how many were accepted; exits 1 when some were rejected.

Options:
  --type <type>                 the event type, e.g. page_view (required)
  --count <n>                   how many, 1 to 1000000 (required)
  --rate <r>                    events per second at most (default: as fast as possible)
  --value <v>                   each event's value
  --customer-id <id>            each event's customer

${COMMON_USAGE}`;

const TRACK = `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`;

export const eventsSend: CliCommand = {
  name: "events send",
  summary: "send test events (with progress)",
  usage: USAGE,
  async run(args, io) {
    try {
      const { values, positionals } = parse(args, {
        type: { type: "string" },
        count: { type: "string" },
        rate: { type: "string" },
        value: { type: "string" },
        "customer-id": { type: "string" },
      });
      if (values.help) {
        io.out(`${USAGE}\n`);
        return ExitCode.Ok;
      }
      if (positionals.length) throw new UsageError(`Unexpected argument '${positionals[0]}'.`);
      if (!values.type) throw new UsageError("--type is required.");
      const count = Number(values.count);
      if (!Number.isInteger(count) || count < 1 || count > 1_000_000)
        throw new UsageError("--count must be a whole number from 1 to 1000000.");
      const rate = values.rate === undefined ? null : Number(values.rate);
      if (rate !== null && !(rate > 0)) throw new UsageError("--rate must be a positive number.");
      const value = values.value === undefined ? undefined : Number(values.value);
      if (value !== undefined && !Number.isFinite(value))
        throw new UsageError("--value must be a number.");
      const client = clientFor(values, io.env);
      const batchSize = rate === null ? 500 : Math.max(1, Math.min(500, Math.floor(rate)));
      const started = Date.now();
      let sent = 0;
      let accepted = 0;
      let duplicates = 0;
      let rejected = 0;
      const runId = randomUUID().slice(0, 8);
      while (sent < count) {
        const size = Math.min(batchSize, count - sent);
        const events = Array.from({ length: size }, (_, i) => ({
          id: `cli-${runId}-${sent + i}`,
          type: values.type,
          timestamp: new Date().toISOString(),
          ...(value !== undefined ? { value } : {}),
          ...(values["customer-id"] ? { customerId: values["customer-id"] } : {}),
        }));
        const { trackEvents } = await client.request<{
          trackEvents: {
            accepted: number;
            duplicates: number;
            rejected: { index: number; reason: string }[];
          };
        }>(TRACK, { events });
        sent += size;
        accepted += trackEvents.accepted;
        duplicates += trackEvents.duplicates;
        rejected += trackEvents.rejected.length;
        for (const reject of trackEvents.rejected.slice(0, 3))
          io.err(`rejected: ${reject.reason}\n`);
        io.err(
          `${io.tty ? "\r" : ""}sent ${sent}/${count} (${Math.round((100 * sent) / count)}%)${io.tty ? "" : "\n"}`,
        );
        if (rate !== null && sent < count) {
          const due = started + (sent / rate) * 1000;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
        }
      }
      if (io.tty) io.err("\n");
      const seconds = (Date.now() - started) / 1000;
      const result = { sent, accepted, duplicates, rejected, seconds };
      if (values.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
      else
        io.out(
          `${accepted} accepted, ${duplicates} duplicates, ${rejected} rejected in ${seconds.toFixed(1)} s\n`,
        );
      return rejected ? ExitCode.Failure : ExitCode.Ok;
    } catch (error) {
      return failure(error, io, USAGE);
    }
  },
};
