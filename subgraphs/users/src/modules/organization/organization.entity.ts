import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

/** A tenant: every other row in the system belongs to exactly one organization. */
@Entity({ name: "organizations" })
export class OrganizationEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("text")
  name: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
