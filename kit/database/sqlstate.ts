/**
 * The PostgreSQL error codes (SQLSTATE, `error.code` of `pg`) the services handle by name; see
 * https://www.postgresql.org/docs/current/errcodes-appendix.html. Anything else is unexpected.
 */
export enum SqlState {
  /** A unique index already holds the value (which one: `error.constraint`). */
  UniqueViolation = "23505",
  /** A foreign key points at no row. */
  ForeignKeyViolation = "23503",
  /** A datetime value is not valid (`22007`) or its field overflows (`22008`). */
  InvalidDatetimeFormat = "22007",
  DatetimeFieldOverflow = "22008",
  /** The transaction lost a deadlock; running it again may succeed. */
  DeadlockDetected = "40P01",
  /** A serializable transaction conflicted; running it again may succeed. */
  SerializationFailure = "40001",
  /** The server is shutting down or restarting (administrator, crash or operator shutdown). */
  AdminShutdown = "57P01",
  CrashShutdown = "57P02",
  CannotConnectNow = "57P03",
}

/** Class 08: the connection to the server failed or broke. */
export const CONNECTION_EXCEPTION_CLASS = "08";

/** The SQLSTATE of a `pg` error, or undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
