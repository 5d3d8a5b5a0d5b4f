/** True for a JSON object (not null, not an array): what a GraphQL request body or `variables` is. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
