import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * One tracked event. Customers and campaigns are referenced by id only (they live in the customers
 * subgraph).
 */
@Entity({ name: "events" })
export class EventEntity {
  @PrimaryColumn({ name: "organization_id", type: "uuid" })
  organizationId: string;

  @PrimaryColumn("text")
  id: string;

  @Column("text")
  type: string;

  @Column({ name: "customer_id", type: "uuid", nullable: true })
  customerId: string | null;

  @Column({ name: "campaign_id", type: "uuid", nullable: true })
  campaignId: string | null;

  @Column({ type: "timestamptz" })
  timestamp: Date;

  @Column({ type: "double precision", nullable: true })
  value: number | null;

  @Column({ type: "jsonb", nullable: true })
  properties: Record<string, unknown> | null;

  @Column({ name: "received_at", type: "timestamptz", default: () => "now()" })
  receivedAt: Date;
}
