import { Field, ID, Int, ObjectType } from "type-graphql";
import { PageInfo } from "#kit/pagination/connection";
import { JSONScalar } from "#kit/schema/scalars";
import { CustomerStatus } from "./customer.entity";
import type { Customer } from "./customer.type";
import type { ExportRow } from "./customer-export";

/**
 * A page of customers as columns: one list per `Customer` field, all of the page's length, the
 * i-th entry of each belonging to the i-th customer. The same values as `customersExport` gives,
 * for a fraction of the cost: GraphQL completes one list per field instead of one object per
 * customer with a field each. Each column is built only when it is asked for.
 */
@ObjectType({
  description:
    "A page of customers as columns: one list per Customer field, the i-th entry of every list belonging to the same customer. For bulk exports and model training.",
  simpleResolvers: true,
})
export class CustomerColumns {
  constructor(
    private readonly rows: ExportRow[],
    pageInfo: PageInfo,
    private readonly count: () => Promise<number>,
  ) {
    this.pageInfo = pageInfo;
  }

  private column<K extends keyof Customer>(field: K): Customer[K][] {
    return this.rows.map((row) => row[field] as Customer[K]);
  }

  @Field(() => Int, { description: "Customers in this page: the length of every column." })
  get size(): number {
    return this.rows.length;
  }

  @Field(() => Int, { description: "How many customers you have in all, across every page." })
  get totalCount(): Promise<number> {
    return this.count();
  }

  @Field(() => [ID])
  get id(): string[] {
    return this.column("id");
  }

  @Field(() => [String], { nullable: "items" })
  get externalId(): (string | null)[] {
    return this.column("externalId");
  }

  @Field(() => [String])
  get name(): string[] {
    return this.column("name");
  }

  @Field(() => [String], { nullable: "items" })
  get email(): (string | null)[] {
    return this.column("email");
  }

  @Field(() => [Int], { nullable: "items" })
  get age(): (number | null)[] {
    return this.column("age");
  }

  @Field(() => [String], { nullable: "items" })
  get gender(): (string | null)[] {
    return this.column("gender");
  }

  @Field(() => [String], { nullable: "items" })
  get location(): (string | null)[] {
    return this.column("location");
  }

  @Field(() => [String], { nullable: "items" })
  get incomeRange(): (string | null)[] {
    return this.column("incomeRange");
  }

  @Field(() => [String], { nullable: "items" })
  get preferredCategory(): (string | null)[] {
    return this.column("preferredCategory");
  }

  @Field(() => [CustomerStatus])
  get status(): CustomerStatus[] {
    return this.column("status");
  }

  @Field(() => [Date], { nullable: "items" })
  get churnedAt(): (Date | null)[] {
    return this.column("churnedAt");
  }

  @Field(() => [Date])
  get registeredAt(): Date[] {
    return this.column("registeredAt");
  }

  @Field(() => [JSONScalar], { nullable: "items" })
  get attributes(): Record<string, unknown>[] {
    return this.column("attributes");
  }

  @Field(() => [Date])
  get createdAt(): Date[] {
    return this.column("createdAt");
  }

  @Field(() => [Date])
  get updatedAt(): Date[] {
    return this.column("updatedAt");
  }

  @Field(() => PageInfo)
  readonly pageInfo: PageInfo;
}
