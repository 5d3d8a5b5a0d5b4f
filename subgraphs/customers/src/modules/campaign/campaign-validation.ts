import { badUserInput } from "#kit/errors";
import type { CampaignChannel } from "./campaign.entity";

/** A campaign's editable fields after validation; `budget` is an exact decimal string. */
export interface CampaignFields {
  name: string;
  channel: CampaignChannel;
  budget: string;
  startDate: Date;
  endDate: Date | null;
  targetSegment: string | null;
}

/** Largest budget numeric(14, 2) holds. */
const MAX_BUDGET = 999_999_999_999.99;

/** Validates a campaign's fields; throws `BAD_USER_INPUT` naming the field. */
export function validateCampaign(fields: {
  name: string;
  channel: CampaignChannel;
  budget: number | string;
  startDate: Date;
  endDate: Date | null;
  targetSegment: string | null;
}): CampaignFields {
  const name = fields.name.trim();
  if (name.length < 1 || name.length > 200)
    throw badUserInput("A campaign name must be 1 to 200 characters.", "input.name");
  if (fields.endDate && fields.endDate < fields.startDate)
    throw badUserInput("endDate cannot be before startDate.", "input.endDate");
  const targetSegment = fields.targetSegment?.trim() || null;
  if (targetSegment && targetSegment.length > 200)
    throw badUserInput("targetSegment may have at most 200 characters.", "input.targetSegment");
  return {
    name,
    channel: fields.channel,
    budget: money(fields.budget),
    startDate: fields.startDate,
    endDate: fields.endDate,
    targetSegment,
  };
}

/**
 * A budget as the exact decimal string stored in numeric(14, 2). The Float arrives as the shortest
 * decimal that round-trips, so "0.1" stays "0.10", never 0.1000000000000000055...
 */
export function money(value: number | string): string {
  if (typeof value === "string") return value;
  if (!Number.isFinite(value) || value < 0)
    throw badUserInput(`budget must be zero or more, got ${value}.`, "input.budget");
  if (value > MAX_BUDGET)
    throw badUserInput(`budget may be at most ${MAX_BUDGET}.`, "input.budget");
  const text = String(value);
  if (/e/i.test(text) || (text.split(".")[1]?.length ?? 0) > 2)
    throw badUserInput(`budget may have at most two decimals, got ${text}.`, "input.budget");
  return value.toFixed(2);
}
