import { Column, CreateDateColumn, Entity, PrimaryColumn } from "typeorm";
import { Aggregation } from "./aggregation";

/**
 * An organization's own metric: an aggregation over one event type and optionally one numeric
 * property.
 */
@Entity({ name: "metric_definitions" })
export class MetricDefinitionEntity {
  @PrimaryColumn({ name: "organization_id", type: "uuid" })
  organizationId: string;

  @PrimaryColumn("text")
  name: string;

  @Column("text")
  description: string;

  @Column({ type: "enum", enum: Aggregation, enumName: "metric_aggregation" })
  aggregation: Aggregation;

  @Column({ name: "event_type", type: "text" })
  eventType: string;

  /** A numeric key of `properties` to aggregate instead of `value`. */
  @Column({ type: "text", nullable: true })
  property: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
