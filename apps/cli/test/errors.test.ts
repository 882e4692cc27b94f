import { expect, it } from "vitest";
import { describeFailure, failureText } from "../src/errors.ts";

it("shows an unexpected failure as one line, without the arguments a Prisma message echoes", () => {
  const prisma = new Error(
    '\nInvalid `prisma.report.create()` invocation in\n/src/ingest.ts:8:28\n\n→ 8   await prisma.report.create({\n        data: {\n          fullText: "small left pleural effusion",\n',
  );
  const failure = describeFailure(prisma);
  expect(failure).toEqual({
    code: 1,
    message: "Invalid `prisma.report.create()` invocation in",
    expected: false,
  });
  expect(describeFailure(new Error("")).message).toBe("unexpected error");
  expect(describeFailure("boom").message).toBe("boom");
});

it("prints no report text from a Prisma message, with or without --verbose", () => {
  const prisma = new Error(
    '\nInvalid `prisma.report.create()` invocation in\n/src/ingest.ts:8:28\n\n→ 8   await prisma.report.create({\n        data: {\n          fullText: "small left pleural effusion",\n',
  );
  for (const verbose of [false, true]) {
    const { code, text } = failureText(prisma, verbose);
    expect(code).toBe(1);
    expect(text).toContain("cxr: Invalid `prisma.report.create()` invocation in\n");
    expect(text).not.toContain("effusion");
  }
  expect(failureText(prisma, true).text).toMatch(/\n\s+at /);
});
