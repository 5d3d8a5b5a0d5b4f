import { Field, Float, ObjectType } from "type-graphql";

@ObjectType({
  description: "A headline number with its value for the previous period of the same length.",
})
export class Kpi {
  @Field(() => Float)
  value: number;

  @Field(() => Float, { nullable: true })
  previous: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "(value - previous) / previous; null when previous is 0.",
  })
  change: number | null;
}

@ObjectType({ description: "Headline KPIs of a period, each against the period before it." })
export class AnalyticsSummary {
  @Field(() => Kpi, { description: "Sum of purchase values." })
  revenue: Kpi;

  @Field(() => Kpi, { description: "Number of purchases." })
  orders: Kpi;

  @Field(() => Kpi, { description: "Distinct customers with any event." })
  activeCustomers: Kpi;

  @Field(() => Kpi, { description: "Number of signups." })
  newCustomers: Kpi;

  @Field(() => Kpi, { description: "revenue / orders." })
  averageOrderValue: Kpi;

  @Field(() => Kpi, { description: "Distinct purchasers / distinct active customers." })
  conversionRate: Kpi;
}
