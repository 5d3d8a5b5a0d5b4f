import { GRAPHQL_PATH } from "#kit/http/graphql-http-server";
import type { Readiness } from "#kit/server/graphql-service";

/** Each subgraph's state: "ok", or why it is not. */
export interface SubgraphsReadiness extends Readiness {
  dependencies: Record<string, string>;
  /** The dependencies that are not "ok". */
  failing: string[];
}

/**
 * Asks every subgraph's `/ready` (which checks its database) in parallel, each within `timeoutMs`.
 * The gateway is ready when all of them are; otherwise `failing` names those that are not and
 * `dependencies` says why (unreachable, timed out, or the subgraph's own reason).
 */
export async function checkReadiness(
  subgraphUrls: Record<string, string>,
  timeoutMs = 2_000,
): Promise<SubgraphsReadiness> {
  const entries = await Promise.all(
    Object.entries(subgraphUrls).map(async ([name, url]): Promise<[string, string]> => {
      const readyUrl = url.endsWith(GRAPHQL_PATH)
        ? `${url.slice(0, -GRAPHQL_PATH.length)}/ready`
        : `${url.replace(/\/+$/, "")}/ready`;
      try {
        const response = await fetch(readyUrl, { signal: AbortSignal.timeout(timeoutMs) });
        if (response.ok) return [name, "ok"];
        const body = (await response.json().catch(() => ({}))) as {
          failing?: string;
          reason?: string;
        };
        return [
          name,
          `not ready (HTTP ${response.status}${body.failing ? `: ${body.failing}` : ""}${body.reason ? ` - ${body.reason}` : ""})`,
        ];
      } catch (error) {
        return [
          name,
          (error as Error).name === "TimeoutError"
            ? `no answer within ${timeoutMs} ms`
            : "unreachable",
        ];
      }
    }),
  );
  const dependencies = Object.fromEntries(entries);
  const failing = entries.filter(([, state]) => state !== "ok").map(([name]) => name);
  return { ready: failing.length === 0, dependencies, failing };
}
