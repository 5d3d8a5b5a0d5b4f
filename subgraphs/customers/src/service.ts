import type { RunningService } from "#kit/server/serve-subgraph";
import { startSubgraphService, type SubgraphServiceOptions } from "#kit/server/start-subgraph";
import { createCustomersContext } from "./context";
import { createCustomersDataSource } from "./data-source";
import { seedCustomersDemoData } from "./demo-data";
import { buildCustomersSchema } from "./schema";

/** Starts the customers subgraph (customers and campaigns). */
export function startCustomersService(
  options: SubgraphServiceOptions = {},
): Promise<RunningService> {
  return startSubgraphService(
    {
      name: "customers",
      seedDemoData: seedCustomersDemoData,
      createDataSource: createCustomersDataSource,
      buildSchema: buildCustomersSchema,
      createContext: createCustomersContext,
    },
    options,
  );
}
