import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from "typeorm";

export enum CampaignChannel {
  EMAIL = "EMAIL",
  SMS = "SMS",
  PUSH = "PUSH",
  SOCIAL = "SOCIAL",
  SEARCH = "SEARCH",
  DISPLAY = "DISPLAY",
}

export enum CampaignStatus {
  DRAFT = "DRAFT",
  ACTIVE = "ACTIVE",
  PAUSED = "PAUSED",
  COMPLETED = "COMPLETED",
}

@Entity({ name: "campaigns" })
export class CampaignEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  /** Part of the primary key `(organization_id, id)`. */
  @PrimaryColumn({ name: "organization_id", type: "uuid" })
  organizationId: string;

  @Column("text")
  name: string;

  @Column({ type: "enum", enum: CampaignChannel, enumName: "campaign_channel" })
  channel: CampaignChannel;

  @Column({
    type: "enum",
    enum: CampaignStatus,
    enumName: "campaign_status",
    default: CampaignStatus.DRAFT,
  })
  status: CampaignStatus;

  @Column({ name: "target_segment", type: "text", nullable: true })
  targetSegment: string | null;

  /** Exact decimal (numeric(14,2)); kept as a string here so no binary float ever touches money. */
  @Column({ type: "numeric", precision: 14, scale: 2 })
  budget: string;

  @Column({ name: "start_date", type: "timestamptz" })
  startDate: Date;

  @Column({ name: "end_date", type: "timestamptz", nullable: true })
  endDate: Date | null;

  /** A user of the users subgraph, referenced by id only. */
  @Column({ name: "created_by_user_id", type: "uuid" })
  createdByUserId: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
