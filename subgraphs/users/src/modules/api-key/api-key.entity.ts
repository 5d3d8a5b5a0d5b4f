import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";
import { ApiKeyScope } from "#kit/auth/api-key-scope";

/** An application's credential. Only the SHA-256 of its secret is stored. */
@Entity({ name: "api_keys" })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  /** Part of the primary key `(organization_id, id)`. */
  @PrimaryColumn({ name: "organization_id", type: "uuid" })
  organizationId: string;

  @Column("text")
  name: string;

  /** The first characters of the secret, shown so people can tell their keys apart. */
  @Column("text")
  prefix: string;

  @Column({ name: "secret_hash", type: "bytea", select: false })
  secretHash: Buffer;

  @Column({ type: "enum", enum: ApiKeyScope, enumName: "api_key_scope", array: true })
  scopes: ApiKeyScope[];

  @Column({ name: "created_by_user_id", type: "uuid", nullable: true })
  createdByUserId: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @Column({ name: "last_used_at", type: "timestamptz", nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: "revoked_at", type: "timestamptz", nullable: true })
  revokedAt: Date | null;
}
