import { expect, it } from "vitest";
import { firstLine } from "../src/index-job/model.ts";

/**
 * The one line of a failure that goes into job error texts and service messages. Prisma's messages
 * start with a newline and then echo the query's arguments (report text among them).
 */
it("keeps the first non-empty line of a message that starts with a newline (Prisma's)", () => {
  const prisma = new Error(
    '\nInvalid `prisma.report.create()` invocation in\n/src/ingest.ts:8:28\n\n→ 8   await prisma.report.create({\n        data: {\n          fullText: "small left effusion",\n',
  );
  expect(firstLine(prisma)).toBe("Invalid `prisma.report.create()` invocation in");
  expect(firstLine("  plain reason  \nmore")).toBe("plain reason");
  expect(firstLine(new Error(""))).toBe("");
  expect(firstLine(new Error("x".repeat(400)))).toHaveLength(300);
});
