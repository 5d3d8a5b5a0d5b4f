import { Directive, Field, ID, ObjectType } from "type-graphql";

@Directive('@key(fields: "id")')
@ObjectType({ description: "A tenant. Everything a user sees belongs to their organization." })
export class Organization {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field({
    description:
      'The ISO 4217 code (e.g. "EUR") money is reported in, as by the dashboard\'s KPIs: "USD" until an ADMIN sets another with setOrganizationCurrency. Event values carry no currency of their own.',
  })
  currency: string;
}
