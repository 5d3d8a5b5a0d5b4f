import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, ID, Info, Int, Mutation, Query, Resolver } from "type-graphql";
import { ApiKeyScope } from "#kit/auth/api-key-scope";
import { requireViewer, requireWriter } from "#kit/auth/guards";
import { isUuid } from "#kit/data/ids";
import { badUserInput, notFound } from "#kit/errors";
import type { Page } from "#kit/pagination/connection";
import { pageSize } from "#kit/pagination/cursor";
import { keysetPage } from "#kit/pagination/keyset";
import type { CustomersContext } from "../../context";
import { CustomerEntity } from "./customer.entity";
import { CustomerFilter, CustomerInput, CustomerOrder, CustomerPatch } from "./customer.input";
import { Customer, CustomerConnection } from "./customer.type";
import { CustomerColumns } from "./customer-columns.type";
import {
  customersExportPage,
  endCursorOf,
  MAX_EXPORT_PAGE,
  readExportRows,
  requestedColumnFields,
  requestedCustomerFields,
} from "./customer-export";
import { applyCustomerFilter, customerKeyset } from "./customer-filter";
import { validateCustomer, type CustomerRow } from "./customer-validation";
import { upsertCustomers } from "./upsert-customers";
import { UpsertCustomersResult } from "./upsert-customers-result.type";
import { SqlState, sqlStateOf } from "#kit/database/sqlstate";

/** Most ids one knownCustomerIds call checks. */
const MAX_KNOWN_CUSTOMER_IDS = 1_000;

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, {
    nullable: true,
    description: "A customer of your organization; null when there is none with this id.",
  })
  async customer(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: CustomersContext,
  ): Promise<CustomerEntity | null> {
    requireViewer(ctx.viewer);
    return ctx.loaders!.customerById.load(id);
  }

  @Query(() => [ID], {
    description: `Which of the given ids (at most ${MAX_KNOWN_CUSTOMER_IDS}) are customers of your organization, in the order given; nothing else about them. For services that check a reference, such as analytics' identify. Any role, and API keys with EVENTS_WRITE.`,
  })
  async knownCustomerIds(
    @Arg("ids", () => [ID]) ids: string[],
    @Ctx() ctx: CustomersContext,
  ): Promise<string[]> {
    const viewer = requireViewer(ctx.viewer);
    if (ids.length > MAX_KNOWN_CUSTOMER_IDS)
      throw badUserInput(`knownCustomerIds takes at most ${MAX_KNOWN_CUSTOMER_IDS} ids.`, "ids");
    const candidates = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (candidates.length === 0) return [];
    const rows: { id: string }[] = await ctx.dataSource.query(
      `SELECT id FROM customers WHERE organization_id = $1 AND id = ANY($2::uuid[])`,
      [viewer.organizationId, candidates],
    );
    const known = new Set(rows.map((row) => row.id));
    return ids.filter((id) => isUuid(id) && known.has(id.toLowerCase()));
  }

  @Query(() => CustomerConnection, {
    description:
      "Your organization's customers, filtered and ordered, a page at a time (keyset pagination).",
  })
  async customers(
    @Ctx() ctx: CustomersContext,
    @Arg("filter", () => CustomerFilter, { nullable: true }) filter?: CustomerFilter,
    @Arg("orderBy", () => CustomerOrder, {
      nullable: true,
      description: "CREATED_AT ascending when omitted.",
    })
    orderBy?: CustomerOrder,
    @Arg("first", () => Int, { nullable: true, description: "Page size, 1 to 100. @default 20" })
    first?: number,
    @Arg("after", () => String, {
      nullable: true,
      description: "The endCursor of the previous page, with the same filter and order.",
    })
    after?: string,
  ): Promise<Page<CustomerEntity>> {
    const viewer = requireViewer(ctx.viewer);
    const query = ctx.dataSource
      .getRepository(CustomerEntity)
      .createQueryBuilder("customer")
      .where("customer.organization_id = :organizationId", {
        organizationId: viewer.organizationId,
      });
    applyCustomerFilter(query, filter);
    return keysetPage(query, { first: pageSize(first), after, ...customerKeyset(orderBy) });
  }

  @Query(() => CustomerConnection, {
    description:
      "All your customers in pages of up to 5,000, oldest first: for exports and model training rather than screens.",
  })
  async customersExport(
    @Ctx() ctx: CustomersContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { nullable: true, description: "1 to 5,000. @default 1000" })
    first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<Page<Customer>> {
    const viewer = requireViewer(ctx.viewer);
    return customersExportPage(ctx.dataSource, viewer.organizationId, {
      first: pageSize(first, MAX_EXPORT_PAGE, 1_000),
      after,
      fields: requestedCustomerFields(info),
    });
  }

  @Query(() => CustomerColumns, {
    description:
      "All your customers in pages of up to 5,000 as columns, oldest first, with the cursors of customersExport: the same data for a fraction of the cost, for bulk exports and model training.",
  })
  async customerColumns(
    @Ctx() ctx: CustomersContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { nullable: true, description: "1 to 5,000. @default 1000" })
    first?: number,
    @Arg("after", () => String, {
      nullable: true,
      description: "The endCursor of the previous page (or of a customersExport page).",
    })
    after?: string,
  ): Promise<CustomerColumns> {
    const viewer = requireViewer(ctx.viewer);
    const { rows, hasNextPage, count } = await readExportRows(
      ctx.dataSource,
      viewer.organizationId,
      {
        first: pageSize(first, MAX_EXPORT_PAGE, 1_000),
        after,
        fields: requestedColumnFields(info),
      },
    );
    return new CustomerColumns(rows, { hasNextPage, endCursor: endCursorOf(rows) }, count);
  }

  @Query(() => [Customer], {
    nullable: "items",
    description:
      "Customers by your externalIds (at most 1,000), in the order given; null for an unknown one. One SQL query.",
  })
  async customersByExternalIds(
    @Arg("externalIds", () => [String]) externalIds: string[],
    @Ctx() ctx: CustomersContext,
  ): Promise<(CustomerEntity | null)[]> {
    const viewer = requireViewer(ctx.viewer);
    if (externalIds.length > 1_000)
      throw badUserInput(
        `customersByExternalIds takes at most 1000 ids, got ${externalIds.length}.`,
        "externalIds",
      );
    if (externalIds.length === 0) return [];
    const rows = await ctx.dataSource
      .getRepository(CustomerEntity)
      .createQueryBuilder("customer")
      .where(
        "customer.organization_id = :organizationId AND customer.external_id = ANY(:externalIds)",
        { organizationId: viewer.organizationId, externalIds },
      )
      .getMany();
    const byExternalId = new Map(rows.map((row) => [row.externalId, row]));
    return externalIds.map((id) => byExternalId.get(id) ?? null);
  }

  @Mutation(() => Customer, { description: "Creates a customer. ANALYST or ADMIN." })
  async createCustomer(
    @Arg("input", () => CustomerInput) input: CustomerInput,
    @Ctx() ctx: CustomersContext,
  ): Promise<CustomerEntity> {
    const viewer = requireWriter(ctx.viewer);
    const row = validOrThrow(validateCustomer(input, new Date()));
    return uniqueExternalId(row.externalId, () =>
      ctx.dataSource
        .getRepository(CustomerEntity)
        .save(
          ctx.dataSource
            .getRepository(CustomerEntity)
            .create({ ...row, organizationId: viewer.organizationId }),
        ),
    );
  }

  @Mutation(() => Customer, {
    description: "Changes a customer's fields; omitted fields keep their value. ANALYST or ADMIN.",
  })
  async updateCustomer(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => CustomerPatch) patch: CustomerPatch,
    @Ctx() ctx: CustomersContext,
  ): Promise<CustomerEntity> {
    const viewer = requireWriter(ctx.viewer);
    return ctx.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(CustomerEntity);
      const existing = isUuid(id)
        ? await repository.findOne({
            where: { id, organizationId: viewer.organizationId },
            lock: { mode: "pessimistic_write" },
          })
        : null;
      if (!existing) throw notFound("Customer", id);
      const merged: CustomerInput = {
        ...existing,
        ...definedFields(patch),
        name: patch.name ?? existing.name,
      };
      // Re-activating a customer clears churnedAt unless the patch sets one.
      if (patch.status === "ACTIVE" && patch.churnedAt === undefined) merged.churnedAt = null;
      const row = validOrThrow(validateCustomer(merged, new Date()));
      return uniqueExternalId(row.externalId, () => repository.save({ ...existing, ...row }));
    });
  }

  @Mutation(() => Boolean, {
    description: "Deletes a customer; NOT_FOUND when there is none with this id. ANALYST or ADMIN.",
  })
  async deleteCustomer(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: CustomersContext,
  ): Promise<boolean> {
    const viewer = requireWriter(ctx.viewer);
    const result = isUuid(id)
      ? await ctx.dataSource
          .getRepository(CustomerEntity)
          .delete({ id, organizationId: viewer.organizationId })
      : { affected: 0 };
    if (!result.affected) throw notFound("Customer", id);
    return true;
  }

  @Mutation(() => UpsertCustomersResult, {
    description:
      "Creates or updates up to 5,000 customers keyed by externalId, in one transaction. Idempotent: the same batch twice changes nothing. Invalid rows are reported by index; the rest are stored. ANALYST, ADMIN, or an API key with CUSTOMERS_WRITE.",
  })
  async upsertCustomers(
    @Arg("input", () => [CustomerInput]) input: CustomerInput[],
    @Ctx() ctx: CustomersContext,
  ): Promise<UpsertCustomersResult> {
    const viewer = requireWriter(ctx.viewer, ApiKeyScope.CUSTOMERS_WRITE);
    return upsertCustomers(ctx.dataSource, viewer.organizationId, input);
  }
}

function validOrThrow(validated: ReturnType<typeof validateCustomer>): CustomerRow {
  if (!validated.ok)
    throw badUserInput(validated.problem.reason, `input.${validated.problem.field}`);
  return validated.row;
}

/** The patch's fields that were given (null included), without the undefined ones. */
function definedFields(patch: CustomerPatch): Partial<CustomerInput> {
  return Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== undefined),
  ) as Partial<CustomerInput>;
}

/** Runs a write; a taken externalId becomes `BAD_USER_INPUT` naming the field. */
async function uniqueExternalId<T>(externalId: string | null, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const { constraint } = error as { constraint?: string };
    if (
      sqlStateOf(error) === SqlState.UniqueViolation &&
      constraint === "customers_external_id_key"
    ) {
      throw badUserInput(
        `Another customer already has the externalId '${externalId}'.`,
        "input.externalId",
      );
    }
    throw error;
  }
}
