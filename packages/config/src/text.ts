/**
 * The one line of a failure that may go into a message, a log line or a job's error text: the first
 * non-empty line, trimmed, at most 300 characters. Prisma's messages start with a newline and then
 * echo the query's arguments (report text among them), so nothing after that line may travel on.
 * Every package uses this one helper (it lives here because every package may depend on config).
 */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split("\n").find((line) => line.trim() !== "") ?? "").trim().slice(0, 300);
}
