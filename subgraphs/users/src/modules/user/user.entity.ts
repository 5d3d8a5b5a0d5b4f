import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";
import { Role } from "#kit/auth/role";

@Entity({ name: "users" })
export class UserEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  /** Part of the primary key `(organization_id, id)`. */
  @PrimaryColumn({ name: "organization_id", type: "uuid" })
  organizationId: string;

  /** Stored lower-cased; unique across all organizations (it is the login name). */
  @Column("text")
  email: string;

  @Column("text")
  name: string;

  @Column({ type: "enum", enum: Role, enumName: "user_role" })
  role: Role;

  /** An argon2id PHC string; never leaves this service. */
  @Column({ name: "password_hash", type: "text", select: false })
  passwordHash: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
