import type { EntityManager } from "typeorm";
import { SqlState, sqlStateOf } from "#kit/database/sqlstate";
import { badUserInput } from "#kit/errors";
import { UserEntity } from "./user.entity";

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 10;
/** Longest password accepted (argon2 would take anything; this bounds the work per attempt). */
export const MAX_PASSWORD_LENGTH = 256;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The email as stored (trimmed, lower case); `BAD_USER_INPUT` when it is not an email address. */
export function normalizeEmail(email: string, field = "email"): string {
  const normalized = email.trim().toLowerCase();
  if (normalized.length > 254 || !EMAIL.test(normalized))
    throw badUserInput(`'${email}' is not a valid email address.`, field);
  return normalized;
}

/**
 * `BAD_USER_INPUT` for a password under {@link MIN_PASSWORD_LENGTH} characters or absurdly long.
 */
export function assertPassword(password: string, field = "password"): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw badUserInput(`A password needs at least ${MIN_PASSWORD_LENGTH} characters.`, field);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw badUserInput(`A password may have at most ${MAX_PASSWORD_LENGTH} characters.`, field);
}

/** The trimmed name; `BAD_USER_INPUT` when empty or over 200 characters. */
export function normalizeName(name: string, field = "name"): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200)
    throw badUserInput("A name must be 1 to 200 characters.", field);
  return trimmed;
}

/** `BAD_USER_INPUT` when a user already has this email (emails are unique across organizations). */
export async function assertEmailFree(manager: EntityManager, email: string): Promise<void> {
  const taken = await manager.getRepository(UserEntity).existsBy({ email });
  if (taken) throw badUserInput(`A user with the email ${email} already exists.`, "email");
}

/**
 * Runs a write that inserts a user; a concurrent insert of the same email becomes `BAD_USER_INPUT`,
 * not a 500.
 */
export async function withUniqueEmail<T>(email: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (
      sqlStateOf(error) === SqlState.UniqueViolation &&
      (error as { constraint?: string }).constraint === "users_email_key"
    ) {
      throw badUserInput(`A user with the email ${email} already exists.`, "email");
    }
    throw error;
  }
}
