import type { CustomersContext } from "../../context";
import type { CustomerEntity } from "./customer.entity";

/**
 * Resolves `Customer` references from other subgraphs in one query per request (DataLoader);
 * another organization's customer, or any reference from an anonymous caller, is `null`.
 */
export async function resolveCustomerReference(
  reference: { id: string },
  { loaders }: CustomersContext,
): Promise<CustomerEntity | null> {
  return loaders ? loaders.customerById.load(reference.id) : null;
}
