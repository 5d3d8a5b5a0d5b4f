import { composeServices } from "@apollo/composition";
import { printSubgraphSchema } from "@apollo/subgraph";
import { parse, type GraphQLSchema } from "graphql";
import { buildAnalyticsSchema } from "../../subgraphs/analytics/src/schema";
import { buildCustomersSchema } from "../../subgraphs/customers/src/schema";
import { buildUsersSchema } from "../../subgraphs/users/src/schema";
import { readRoverConfig } from "./rover-config";

/** Each subgraph's schema builder, by its name in `rover.yaml`. */
export const SUBGRAPH_SCHEMAS: Record<string, () => Promise<GraphQLSchema>> = {
  users: buildUsersSchema,
  customers: buildCustomersSchema,
  analytics: buildAnalyticsSchema,
};

/** The generated files: path -> content. */
export type ComposedFiles = Map<string, string>;

/** Thrown when composition fails; the message is the composer's, one error a line. */
export class CompositionError extends Error {
  constructor(messages: string[]) {
    super(`Composition failed:\n${messages.map((m) => `  - ${m}`).join("\n")}`);
    this.name = "CompositionError";
  }
}

/**
 * Prints each subgraph's SDL from its code and composes the supergraph from them with
 * `@apollo/composition`, with the routing URLs of `rover.yaml`. Writes nothing: returns the files
 * (`schema/<name>.graphql` and `schema/supergraph.graphql`) so callers can write or compare them.
 */
export async function composeSupergraph(
  roverConfigPath: string,
  supergraphPath: string,
  schemas: Record<string, () => Promise<GraphQLSchema>> = SUBGRAPH_SCHEMAS,
): Promise<ComposedFiles> {
  const config = await readRoverConfig(roverConfigPath);
  const files: ComposedFiles = new Map();
  const services = [];
  for (const subgraph of config.subgraphs) {
    const build = schemas[subgraph.name];
    if (!build)
      throw new TypeError(
        `rover.yaml names subgraph '${subgraph.name}', but only ${Object.keys(schemas).join(", ")} exist.`,
      );
    const sdl = `${printSubgraphSchema(await build()).trim()}\n`;
    files.set(subgraph.schemaFile, sdl);
    services.push({ name: subgraph.name, url: subgraph.routingUrl, typeDefs: parse(sdl) });
  }
  const result = composeServices(services);
  if (result.errors) throw new CompositionError(result.errors.map((error) => error.message));
  files.set(supergraphPath, `${result.supergraphSdl.trim()}\n`);
  return files;
}
