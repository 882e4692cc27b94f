/** Why the database could not be used; the CLI maps every code to exit status 2. */
export type DatabaseErrorCode =
  | "UNREACHABLE"
  | "NOT_WRITABLE"
  | "AUTH_FAILED"
  | "DATABASE_MISSING"
  | "MIGRATION_FAILED"
  | "MIGRATION_MODIFIED"
  | "MIGRATION_UNKNOWN"
  | "NOT_MIGRATED";

export class DatabaseError extends Error {
  override readonly name = "DatabaseError";
  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
