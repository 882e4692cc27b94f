import { expect, it } from "vitest";
import { describeFailure } from "../src/errors.ts";

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
