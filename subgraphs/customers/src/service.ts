import type { DemoDataset } from "#dev/demo/demo-dataset";
import type { RunningService } from "#kit/server/graphql-service";
import { startSubgraph, type SubgraphOptions } from "#kit/server/start-subgraph";
import { createCustomersContext } from "./context";
import { createCustomersDataSource } from "./data-source";
import { seedCustomersDemoData } from "./demo-data";
import { buildCustomersSchema } from "./schema";

/** Starts the customers subgraph (customers and campaigns). */
export function startCustomersService(
  options: SubgraphOptions<DemoDataset> = {},
): Promise<RunningService> {
  return startSubgraph(
    {
      name: "customers",
      seedDemoData: seedCustomersDemoData,
      createDataSource: createCustomersDataSource,
      buildSchema: buildCustomersSchema,
      createContext: (dataSource, credential) =>
        createCustomersContext(dataSource, credential?.viewer ?? null),
    },
    options,
  );
}
