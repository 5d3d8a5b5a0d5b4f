import { CustomerStatus } from "./customer.entity";
import type { CustomerInput } from "./customer.input";

/** A customer's fields after validation, as they are stored. */
export interface CustomerRow {
  externalId: string | null;
  name: string;
  email: string | null;
  age: number | null;
  gender: string | null;
  location: string | null;
  incomeRange: string | null;
  preferredCategory: string | null;
  status: CustomerStatus;
  churnedAt: Date | null;
  registeredAt: Date;
  attributes: Record<string, unknown>;
}

/** Why a customer was refused: the input field and a sentence a person can act on. */
export interface FieldProblem {
  field: string;
  reason: string;
}

export type Validated = { ok: true; row: CustomerRow } | { ok: false; problem: FieldProblem };

/** Largest `attributes` object accepted, as JSON text. */
export const MAX_ATTRIBUTES_BYTES = 16 * 1024;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Validates and normalizes a customer (trims text, lower-cases the email, defaults status to
 * ACTIVE, registeredAt to `now`, a CHURNED customer's churnedAt to `now`). With `existing` (an
 * upsert of a stored row), fields the input leaves out keep their stored value; null clears.
 */
export function validateCustomer(
  given: CustomerInput,
  now: Date,
  existing?: CustomerRow,
): Validated {
  const input: CustomerInput = existing
    ? ({
        ...existing,
        ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
      } as CustomerInput)
    : given;
  // Re-activating a stored customer clears churnedAt unless the input sets one.
  if (existing && given.status === CustomerStatus.ACTIVE && given.churnedAt === undefined)
    input.churnedAt = null;
  try {
    const name = text(input.name, "name", 200);
    if (!name) throw problem("name", "A customer needs a name.");
    const email = text(input.email, "email", 254)?.toLowerCase() ?? null;
    if (email && !EMAIL.test(email))
      throw problem("email", `'${input.email}' is not a valid email address.`);
    const age = input.age ?? null;
    if (age !== null && (!Number.isInteger(age) || age < 0 || age > 150))
      throw problem("age", `Age must be a whole number from 0 to 150, got ${age}.`);
    const status = input.status ?? existing?.status ?? CustomerStatus.ACTIVE;
    const registeredAt = date(input.registeredAt, "registeredAt") ?? existing?.registeredAt ?? now;
    let churnedAt = date(input.churnedAt, "churnedAt");
    if (status === CustomerStatus.ACTIVE && churnedAt)
      throw problem(
        "churnedAt",
        "An ACTIVE customer has no churnedAt; set status CHURNED or leave churnedAt out.",
      );
    if (status === CustomerStatus.CHURNED)
      churnedAt ??= existing?.status === CustomerStatus.CHURNED ? existing.churnedAt : now;
    if (churnedAt && churnedAt < registeredAt)
      throw problem("churnedAt", "churnedAt cannot be before registeredAt.");
    const attributes = input.attributes ?? existing?.attributes ?? {};
    if (typeof attributes !== "object" || Array.isArray(attributes))
      throw problem("attributes", "attributes must be a JSON object.");
    if (Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES)
      throw problem(
        "attributes",
        `attributes may hold at most ${MAX_ATTRIBUTES_BYTES} bytes of JSON.`,
      );
    return {
      ok: true,
      row: {
        externalId: text(input.externalId, "externalId", 200) ?? null,
        name,
        email,
        age,
        gender: text(input.gender, "gender", 100) ?? null,
        location: text(input.location, "location", 200) ?? null,
        incomeRange: text(input.incomeRange, "incomeRange", 100) ?? null,
        preferredCategory: text(input.preferredCategory, "preferredCategory", 100) ?? null,
        status,
        churnedAt: churnedAt ?? null,
        registeredAt,
        attributes,
      },
    };
  } catch (error) {
    if (error instanceof ProblemError) return { ok: false, problem: error.problem };
    throw error;
  }
}

/**
 * The stored fields of a row as one comparable string (object keys sorted), to tell whether an
 * upsert changes anything.
 */
export function customerFingerprint(row: CustomerRow): string {
  return JSON.stringify([
    row.externalId,
    row.name,
    row.email,
    row.age,
    row.gender,
    row.location,
    row.incomeRange,
    row.preferredCategory,
    row.status,
    row.churnedAt?.toISOString() ?? null,
    row.registeredAt.toISOString(),
    sortKeys(row.attributes),
  ]);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

class ProblemError extends Error {
  constructor(readonly problem: FieldProblem) {
    super(problem.reason);
  }
}

function problem(field: string, reason: string): ProblemError {
  return new ProblemError({ field, reason });
}

function text(
  value: string | null | undefined,
  field: string,
  max: number,
): string | null | undefined {
  if (value === undefined || value === null) return value;
  const trimmed = value.trim();
  if (trimmed.length > max) throw problem(field, `${field} may have at most ${max} characters.`);
  return trimmed === "" ? null : trimmed;
}

function date(value: Date | null | undefined, field: string): Date | null | undefined {
  if (value === undefined || value === null) return value;
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw problem(field, `${field} is not a valid date-time.`);
  return value;
}
