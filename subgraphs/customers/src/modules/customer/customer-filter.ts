import type { SelectQueryBuilder } from "typeorm";
import { badUserInput } from "#kit/errors";
import type { KeysetOptions } from "#kit/pagination/keyset";
import { SortDirection } from "#kit/schema/sort-direction";
import type { CustomerEntity } from "./customer.entity";
import { CustomerOrderField, type CustomerFilter, type CustomerOrder } from "./customer.input";

/** Adds a filter's conditions to a query over `customer`; every given condition must hold. */
export function applyCustomerFilter(
  query: SelectQueryBuilder<CustomerEntity>,
  filter: CustomerFilter | null | undefined,
): SelectQueryBuilder<CustomerEntity> {
  if (!filter) return query;
  if (filter.search?.trim()) {
    const pattern = `%${filter.search
      .trim()
      .toLowerCase()
      .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query.andWhere("lower(customer.name || ' ' || coalesce(customer.email, '')) LIKE :pattern", {
      pattern,
    });
  }
  if (filter.status) query.andWhere("customer.status = :status", { status: filter.status });
  if (filter.location?.trim())
    query.andWhere("lower(customer.location) = lower(:location)", {
      location: filter.location.trim(),
    });
  if (filter.registeredFrom)
    query.andWhere("customer.registered_at >= :registeredFrom", {
      registeredFrom: filter.registeredFrom,
    });
  if (filter.registeredTo)
    query.andWhere("customer.registered_at < :registeredTo", { registeredTo: filter.registeredTo });
  if (filter.registeredFrom && filter.registeredTo && filter.registeredFrom > filter.registeredTo) {
    throw badUserInput("registeredFrom must not be after registeredTo.", "filter.registeredFrom");
  }
  if (filter.attributes !== undefined && filter.attributes !== null) {
    if (typeof filter.attributes !== "object" || Array.isArray(filter.attributes))
      throw badUserInput("filter.attributes must be a JSON object.", "filter.attributes");
    query.andWhere("customer.attributes @> :attributes::jsonb", {
      attributes: JSON.stringify(filter.attributes),
    });
  }
  return query;
}

/**
 * The keyset (sort column and tie-breaker) for an order; creation time, oldest first, by default.
 */
export function customerKeyset(
  order: CustomerOrder | null | undefined,
): Pick<KeysetOptions<CustomerEntity>, "sort" | "id"> {
  const direction = order?.direction ?? SortDirection.ASC;
  const id = { column: "customer.id", valueOf: (row: CustomerEntity) => row.id };
  switch (order?.field ?? CustomerOrderField.CREATED_AT) {
    case CustomerOrderField.NAME:
      return { sort: { column: "customer.name", direction, cast: "text" }, id };
    case CustomerOrderField.REGISTERED_AT:
      return { sort: { column: "customer.registered_at", direction, cast: "timestamptz" }, id };
    case CustomerOrderField.CREATED_AT:
      return { sort: { column: "customer.created_at", direction, cast: "timestamptz" }, id };
  }
}
