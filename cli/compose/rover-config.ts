import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";

/** One subgraph entry of `rover.yaml`. */
export interface RoverSubgraph {
  name: string;
  routingUrl: string;
  /** The SDL file, resolved against the config's folder. */
  schemaFile: string;
}

/**
 * Reads a Rover supergraph config (`federation_version`, `subgraphs.<name>.routing_url`,
 * `schema.file`).
 */
export async function readRoverConfig(
  configPath: string,
): Promise<{ federationVersion: string; subgraphs: RoverSubgraph[] }> {
  const config = parse(await readFile(configPath, "utf8")) as {
    federation_version?: string;
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
  };
  if (!config?.subgraphs)
    throw new TypeError(
      `${configPath}: expected a 'subgraphs' map in Rover's supergraph config format.`,
    );
  const dir = path.dirname(configPath);
  const subgraphs = Object.entries(config.subgraphs).map(([name, entry]) => {
    if (!entry?.routing_url || !entry.schema?.file) {
      throw new TypeError(
        `${configPath}: subgraph '${name}' needs 'routing_url' and 'schema.file'.`,
      );
    }
    return {
      name,
      routingUrl: entry.routing_url,
      schemaFile: path.resolve(dir, entry.schema.file),
    };
  });
  return { federationVersion: String(config.federation_version ?? ""), subgraphs };
}
