import { Writable } from "node:stream";
import type { Logger } from "pino";
import { createLogger } from "../src/index.ts";

/**
 * The server's logger with its JSON lines kept in `lines`, one entry per line, for the tests that
 * assert what was logged (a request id, one line of an error) and what never is (report text, a
 * token, a database client's quoted call).
 */
export function capturedLogger(level = "info"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(
        ...String(chunk)
          .split("\n")
          .filter((line) => line !== ""),
      );
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}
