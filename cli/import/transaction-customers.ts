import { ErrorCode } from "#kit/errors";
import type { CustomerInput } from "./column-mapping";
import { ImportError } from "./errors";
import { GatewayError, type GatewayClient } from "./gateway-client";
import { UPSERT_CUSTOMERS, type UpsertCustomersResult } from "./import-customers";
import { batchFailed, type RowRejection } from "./import-session";

/** The most ids `customersByExternalIds` takes, and so the most customers one batch holds. */
export const MAX_CUSTOMER_BATCH = 1_000;

const CUSTOMER_FIELDS =
  "id externalId name email age gender location incomeRange preferredCategory status churnedAt registeredAt attributes";

const LOOKUP = `query CustomersByExternalIds($externalIds: [String!]!) { customersByExternalIds(externalIds: $externalIds) { ${CUSTOMER_FIELDS} } }`;
const LOOKUP_IDS = `query CustomerIdsByExternalIds($externalIds: [String!]!) { customersByExternalIds(externalIds: $externalIds) { id externalId } }`;

/** A customer as `customersByExternalIds` returns it. */
interface StoredCustomer extends Omit<CustomerInput, "externalId"> {
  id: string;
  externalId: string;
}

/**
 * A customer of the file: its externalId, the line it first appears on, and what the file says of
 * it.
 */
export interface FileCustomer {
  externalId: string;
  line: number;
  /** From the name column, if the file has one. */
  name?: string;
  /** From the country column, if the file has one. */
  location?: string;
}

export interface CustomerCounts {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/**
 * The customers of a transactions import: sends each one once per import, a batch at a time, and
 * learns their ids for the events. For each batch it looks the externalIds up
 * (`customersByExternalIds`), creates the unknown customers (named "Customer <id>" unless the file
 * has a name column, located in their country) and updates known ones only where the file says
 * something else (location, or name from a name column), sending their other fields as stored so
 * that nothing else changes; then it looks up the ids of those it created.
 */
export class CustomerDirectory {
  readonly counts: CustomerCounts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  private readonly ids = new Map<string, string>();
  private readonly rejected = new Set<string>();
  private readonly seen = new Set<string>();
  private pending: FileCustomer[] = [];

  constructor(
    private readonly client: GatewayClient,
    private readonly batchSize = MAX_CUSTOMER_BATCH,
  ) {}

  /**
   * Queues the customer unless it was queued before; true when the batch is full and should be
   * flushed.
   */
  add(customer: FileCustomer): boolean {
    if (this.seen.has(customer.externalId)) return false;
    this.seen.add(customer.externalId);
    this.pending.push(customer);
    return this.pending.length >= this.batchSize;
  }

  /** How many customers wait to be sent. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * The customer's id once its batch is flushed; undefined when it was rejected (or is not flushed
   * yet).
   */
  idOf(externalId: string): string | undefined {
    return this.ids.get(externalId);
  }

  /** True when the server refused the customer. */
  isRejected(externalId: string): boolean {
    return this.rejected.has(externalId);
  }

  /**
   * Sends the queued customers and learns their ids. Resolves the customers the server refused,
   * at the line each first appears on. Throws an {@link ImportError} when the gateway refuses a
   * request.
   */
  async flush(): Promise<RowRejection[]> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return [];
    const what = `The customers first seen from line ${batch[0].line}`;

    const stored = await this.lookup<StoredCustomer>(LOOKUP, batch, what);
    const toSend: { customer: FileCustomer; input: CustomerInput; isNew: boolean }[] = [];
    batch.forEach((customer, index) => {
      const existing = stored[index];
      if (!existing) {
        const input: CustomerInput = {
          externalId: customer.externalId,
          name: customer.name ?? `Customer ${customer.externalId}`,
        };
        if (customer.location !== undefined) input.location = customer.location;
        toSend.push({ customer, input, isNew: true });
        return;
      }
      this.ids.set(customer.externalId, existing.id);
      const location = customer.location ?? existing.location;
      const name = customer.name ?? existing.name;
      if (location === existing.location && name === existing.name) {
        this.counts.unchanged++;
        return;
      }
      const { id: _id, ...fields } = existing;
      toSend.push({
        customer,
        input: { ...fields, name, location: location ?? undefined },
        isNew: false,
      });
    });
    if (toSend.length === 0) return [];

    let result: UpsertCustomersResult;
    try {
      result = (
        await this.client.request<{ upsertCustomers: UpsertCustomersResult }>(UPSERT_CUSTOMERS, {
          input: toSend.map((item) => item.input),
        })
      ).upsertCustomers;
    } catch (error) {
      throw batchFailed(what, error);
    }
    this.counts.created += result.created;
    this.counts.updated += result.updated;
    this.counts.unchanged += result.unchanged;
    this.counts.rejected += result.rejected.length;
    const rejections: RowRejection[] = [];
    for (const rejected of result.rejected) {
      const { customer } = toSend[rejected.index];
      this.reject(customer.externalId);
      rejections.push({
        line: customer.line,
        field: rejected.field,
        reason: `customer ${customer.externalId}: ${rejected.reason}`,
      });
    }

    const created = toSend
      .filter((item) => item.isNew && !this.rejected.has(item.customer.externalId))
      .map((item) => item.customer);
    const found = await this.lookup<{ id: string; externalId: string }>(LOOKUP_IDS, created, what);
    created.forEach((customer, index) => {
      const id = found[index]?.id;
      if (id) {
        this.ids.set(customer.externalId, id);
        return;
      }
      this.counts.rejected++;
      this.reject(customer.externalId);
      rejections.push({
        line: customer.line,
        field: null,
        reason: `customer ${customer.externalId}: not found after it was created.`,
      });
    });
    return rejections;
  }

  private reject(externalId: string): void {
    this.rejected.add(externalId);
    this.ids.delete(externalId);
  }

  private async lookup<T>(
    query: string,
    customers: FileCustomer[],
    what: string,
  ): Promise<(T | null)[]> {
    if (customers.length === 0) return [];
    try {
      const data = await this.client.request<{ customersByExternalIds: (T | null)[] }>(query, {
        externalIds: customers.map((customer) => customer.externalId),
      });
      return data.customersByExternalIds;
    } catch (error) {
      if (error instanceof GatewayError && error.code === ErrorCode.Forbidden) {
        throw new ImportError(
          `Looking up the customers failed: ${error.message}\n` +
            "A transactions import reads the customers' ids: a user needs the ANALYST or ADMIN role, an API key the CUSTOMERS_WRITE, EVENTS_WRITE and READ scopes.",
          { cause: error },
        );
      }
      throw batchFailed(`Looking up ${what.charAt(0).toLowerCase()}${what.slice(1)}`, error);
    }
  }
}
