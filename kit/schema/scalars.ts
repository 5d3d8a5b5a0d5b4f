import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";

/** `DateTime`: an ISO 8601 date-time string; TypeScript `Date` fields map to it. */
export const DateTimeScalar = GraphQLDateTime;
/** `JSON`: any JSON value. */
export const JSONScalar = GraphQLJSON;

/** The scalar mapping every subgraph passes to type-graphql, so `Date` is `DateTime` everywhere. */
export const scalarsMap = [{ type: Date, scalar: DateTimeScalar }];
