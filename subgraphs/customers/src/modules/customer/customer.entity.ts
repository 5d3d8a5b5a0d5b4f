import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from "typeorm";

export enum CustomerStatus {
  ACTIVE = "ACTIVE",
  CHURNED = "CHURNED",
}

/** A customer of an organization, with typed fields and free-form `attributes`. */
@Entity({ name: "customers" })
export class CustomerEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  /** Part of the primary key `(organization_id, id)`. */
  @PrimaryColumn({ name: "organization_id", type: "uuid" })
  organizationId: string;

  /** The id in the organization's own systems; unique within the organization. */
  @Column({ name: "external_id", type: "text", nullable: true })
  externalId: string | null;

  @Column("text")
  name: string;

  @Column({ type: "text", nullable: true })
  email: string | null;

  @Column({ type: "integer", nullable: true })
  age: number | null;

  @Column({ type: "text", nullable: true })
  gender: string | null;

  @Column({ type: "text", nullable: true })
  location: string | null;

  @Column({ name: "income_range", type: "text", nullable: true })
  incomeRange: string | null;

  @Column({ name: "preferred_category", type: "text", nullable: true })
  preferredCategory: string | null;

  @Column({
    type: "enum",
    enum: CustomerStatus,
    enumName: "customer_status",
    default: CustomerStatus.ACTIVE,
  })
  status: CustomerStatus;

  @Column({ name: "churned_at", type: "timestamptz", nullable: true })
  churnedAt: Date | null;

  @Column({ name: "registered_at", type: "timestamptz" })
  registeredAt: Date;

  @Column({ type: "jsonb", default: () => "'{}'::jsonb" })
  attributes: Record<string, unknown>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
