import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

/** A tenant: every other row in the system belongs to exactly one organization. */
@Entity({ name: "organizations" })
export class OrganizationEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("text")
  name: string;

  /** ISO 4217 code money is reported in; "USD" by default. */
  @Column("char", { length: 3, default: "USD" })
  currency: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
