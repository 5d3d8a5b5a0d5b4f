import { Field, InputType, Int, registerEnumType } from "type-graphql";
import { SortDirection } from "#kit/schema/sort-direction";
import { JSONScalar } from "#kit/schema/scalars";
import { CustomerStatus } from "./customer.entity";

@InputType({ description: "A customer to create, or to upsert by externalId." })
export class CustomerInput {
  @Field(() => String, {
    nullable: true,
    description: "Your system's id; unique in your organization; required by upsertCustomers.",
  })
  externalId?: string | null;

  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => Int, { nullable: true, description: "0 to 150." })
  age?: number | null;

  @Field(() => String, { nullable: true })
  gender?: string | null;

  @Field(() => String, { nullable: true })
  location?: string | null;

  @Field(() => String, { nullable: true })
  incomeRange?: string | null;

  @Field(() => String, { nullable: true })
  preferredCategory?: string | null;

  @Field(() => CustomerStatus, { nullable: true, description: "ACTIVE when omitted." })
  status?: CustomerStatus | null;

  @Field(() => Date, {
    nullable: true,
    description: "When a CHURNED customer left; now when omitted. Must be null for ACTIVE.",
  })
  churnedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: "Now when omitted." })
  registeredAt?: Date | null;

  @Field(() => JSONScalar, {
    nullable: true,
    description: "A JSON object of extra attributes (at most 16 KB).",
  })
  attributes?: Record<string, unknown> | null;
}

@InputType({
  description:
    "Fields to change; omitted fields keep their value, null clears a nullable one. `attributes` replaces the whole object.",
})
export class CustomerPatch {
  @Field(() => String, { nullable: true })
  externalId?: string | null;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => Int, { nullable: true })
  age?: number | null;

  @Field(() => String, { nullable: true })
  gender?: string | null;

  @Field(() => String, { nullable: true })
  location?: string | null;

  @Field(() => String, { nullable: true })
  incomeRange?: string | null;

  @Field(() => String, { nullable: true })
  preferredCategory?: string | null;

  @Field(() => CustomerStatus, { nullable: true })
  status?: CustomerStatus | null;

  @Field(() => Date, { nullable: true })
  churnedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  registeredAt?: Date | null;

  @Field(() => JSONScalar, { nullable: true })
  attributes?: Record<string, unknown> | null;
}

@InputType({ description: "Every given condition must hold." })
export class CustomerFilter {
  @Field(() => String, {
    nullable: true,
    description: "Case-insensitive substring of the name or email.",
  })
  search?: string | null;

  @Field(() => CustomerStatus, { nullable: true })
  status?: CustomerStatus | null;

  @Field(() => String, { nullable: true, description: "Exact location, case-insensitive." })
  location?: string | null;

  @Field(() => Date, { nullable: true, description: "Registered at or after." })
  registeredFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: "Registered before." })
  registeredTo?: Date | null;

  @Field(() => JSONScalar, {
    nullable: true,
    description:
      'A JSON object; each key must equal the customer\'s attribute, e.g. {"plan": "pro"}.',
  })
  attributes?: Record<string, unknown> | null;
}

export enum CustomerOrderField {
  NAME = "NAME",
  REGISTERED_AT = "REGISTERED_AT",
  CREATED_AT = "CREATED_AT",
}

registerEnumType(CustomerOrderField, { name: "CustomerOrderField" });

@InputType({
  description: "The order of a customer list; ties are broken by id, so pages never overlap.",
})
export class CustomerOrder {
  @Field(() => CustomerOrderField)
  field: CustomerOrderField;

  @Field(() => SortDirection, { defaultValue: SortDirection.ASC })
  direction: SortDirection;
}
