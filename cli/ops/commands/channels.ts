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

const USAGE = `Usage: npm run cli -- channels list [options]

Lists the organization's notification channels.

${COMMON_USAGE}`;

export const channels: CliCommand = {
  name: "channels",
  summary: "list notification channels",
  usage: USAGE,
  async run(args, io) {
    try {
      const { values, positionals } = parse(args, {});
      if (values.help) {
        io.out(`${USAGE}\n`);
        return ExitCode.Ok;
      }
      if (positionals[0] !== "list" || positionals.length > 1)
        throw new UsageError(
          positionals[0]
            ? `Unknown channels action '${positionals.join(" ")}'.`
            : "channels needs an action: list.",
        );
      const data = await clientFor(values, io.env).request<{
        notificationChannels: { id: string; kind: string; name: string; createdAt: string }[];
      }>(`{ notificationChannels { id kind name createdAt } }`, {});
      if (values.json) io.out(`${JSON.stringify(data.notificationChannels, null, 2)}\n`);
      else
        io.out(
          table(
            ["id", "kind", "name", "created"],
            data.notificationChannels.map((c) => [c.id, c.kind, c.name, c.createdAt]),
          ),
        );
      return ExitCode.Ok;
    } catch (error) {
      return failure(error, io, USAGE);
    }
  },
};
