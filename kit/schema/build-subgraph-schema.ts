import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { parse, type GraphQLSchema } from "graphql";
import { buildSchema, createResolversMap, type BuildSchemaOptions } from "type-graphql";
import { scalarsMap } from "./scalars";

/** The Federation version every subgraph links; 2.4+ is needed to plan subscriptions. */
export const FEDERATION_LINK = "https://specs.apollo.dev/federation/v2.7";
/** The federation directives subgraphs may use, imported explicitly. */
export const FEDERATION_IMPORTS = ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"];

/**
 * Builds a Federation 2 subgraph schema from type-graphql resolvers: type-graphql generates the
 * schema (with `@Directive("@key(...)")` on entities), its SDL is prefixed with the `@link` to the
 * federation spec, and `@apollo/subgraph` adds `_service` and `_entities`. `referenceResolvers`
 * holds each entity's `__resolveReference`.
 */
export async function buildFederatedSchema(
  options: Omit<BuildSchemaOptions, "skipCheck" | "scalarsMap">,
  referenceResolvers: GraphQLResolverMap<unknown> = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({ ...options, scalarsMap, skipCheck: true, validate: false });
  const link = `extend schema @link(url: "${FEDERATION_LINK}", import: [${FEDERATION_IMPORTS.map((d) => `"${d}"`).join(", ")}])`;
  const typeDefs = parse(`${link}\n\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, fields] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...(fields as object) } as never;
  }
  return buildSubgraphSchema({ typeDefs, resolvers });
}
