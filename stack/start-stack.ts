import { portFromEnv } from "#kit/config";
import { assertPortFree, freePort } from "#kit/http/ports";
import { startInProcessStack } from "./in-process";
import { startProcessStack } from "./processes";
import { SERVICE_START_ORDER } from "./services";
import type { RunningStack, StackOptions, StackPorts } from "./stack-options";

export type { RunningStack, StackOptions, StackPorts } from "./stack-options";

/**
 * Starts the whole supergraph, the one way `npm start`, the tests and the benchmark do: in this
 * process, or as a process per part (see {@link StackOptions.mode}). Every fixed port is checked
 * before anything starts, so a taken port fails fast with its number.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const ports = options.ports ?? {
    gateway: portFromEnv("gateway"),
    users: portFromEnv("users"),
    customers: portFromEnv("customers"),
    analytics: portFromEnv("analytics"),
  };
  for (const name of SERVICE_START_ORDER) {
    await assertPortFree(ports[name], name === "gateway" ? name : `${name} subgraph`);
  }
  if (options.mode === "processes") return startProcessStack(options, await chosen(ports));
  return startInProcessStack(options, ports);
}

/** The ports with each 0 replaced by a distinct free port (processes must know each other's). */
async function chosen(ports: StackPorts): Promise<StackPorts> {
  const taken = new Set(Object.values(ports).filter((port) => port !== 0));
  const result = { ...ports };
  for (const name of SERVICE_START_ORDER) {
    while (result[name] === 0) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        result[name] = port;
      }
    }
  }
  return result;
}
