import { UsageError } from "../../import/errors";
import { clientFor, ExitCode, failure, parse, COMMON_USAGE, type CliCommand } from "../cli-context";

const USAGE = `Usage: npm run cli -- query '<graphql>' [--variables '<json>'] [options]

Sends one GraphQL operation through the gateway and prints its data as JSON. Exits 1 when the
answer has errors (printed on stderr).

${COMMON_USAGE}`;

export const query: CliCommand = {
  name: "query",
  summary: "send a GraphQL operation and print its data",
  usage: USAGE,
  async run(args, io) {
    try {
      const { values, positionals } = parse(args, { variables: { type: "string" } });
      if (values.help) {
        io.out(`${USAGE}\n`);
        return ExitCode.Ok;
      }
      if (positionals.length !== 1) throw new UsageError("query takes one GraphQL document.");
      let variables: Record<string, unknown> = {};
      if (values.variables !== undefined) {
        try {
          variables = JSON.parse(values.variables as string);
        } catch {
          throw new UsageError("--variables must be a JSON object.");
        }
        if (typeof variables !== "object" || variables === null || Array.isArray(variables))
          throw new UsageError("--variables must be a JSON object.");
      }
      const data = await clientFor(values, io.env).request(positionals[0], variables);
      io.out(`${JSON.stringify(data, null, 2)}\n`);
      return ExitCode.Ok;
    } catch (error) {
      return failure(error, io, USAGE);
    }
  },
};
