import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  buildSchema,
  type GraphQLObjectType,
  isObjectType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  parse,
} from "graphql/index.js";
import { expect, it } from "vitest";

/**
 * What the end-to-end tests exercise, read from their sources: every root field of the schema
 * (Query and Mutation) must be sent by a document of @cxr/api-client/testing that some test in this
 * folder uses; every member of a root field's result union (a typed failure such as ImageRejected or
 * SubmissionRefused) must be asserted by name; every GraphQL error code the API answers with
 * (src/errors.ts) must be asserted somewhere. Adding a query, a mutation or a failure without a
 * test fails here.
 */

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const schema = buildSchema(readFileSync(here("../schema.graphql"), "utf8"));
const documents = parse(
  readFileSync(here("../../../packages/api-client/src/testing/operations.graphql"), "utf8"),
);
const tests = readdirSync(here("."))
  .filter((f) => f.endsWith(".test.ts") && f !== "coverage.test.ts")
  .map((f) => ({ file: f, text: readFileSync(here(`./${f}`), "utf8") }));
const used = (name: string) => tests.some((t) => new RegExp(`\\b${name}\\b`).test(t.text));

const operations = documents.definitions.filter(
  (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
);
const rootFields = (op: OperationDefinitionNode) =>
  op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));

const roots = [schema.getQueryType(), schema.getMutationType()].filter(
  (t): t is GraphQLObjectType => t != null,
);

it("every query and mutation is sent by a test document that a test uses", () => {
  const exercised = new Set(
    operations
      .filter((op) => op.name !== undefined && used(`${op.name.value}Document`))
      .flatMap((op) =>
        rootFields(op).map((f) => `${op.operation === "mutation" ? "Mutation" : "Query"}.${f}`),
      ),
  );
  const all = roots.flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`));
  expect(all.length).toBeGreaterThan(20);
  expect(all.filter((f) => !exercised.has(f))).toEqual([]);
});

it("every test document is used by a test (no dead documents)", () => {
  const unused = operations.map((op) => `${op.name?.value}Document`).filter((name) => !used(name));
  expect(unused).toEqual([]);
});

it("every typed failure of a root field (its result union's members) is asserted by name", () => {
  const members = roots.flatMap((t) =>
    Object.values(t.getFields()).flatMap((f) => {
      const type = (f.type as { ofType?: unknown }).ofType ?? f.type;
      return isUnionType(type) ? type.getTypes().map((m) => m.name) : [];
    }),
  );
  expect(members).toContain("ImageRejected");
  expect(members.filter((m) => !used(`"${m}"`) && !tests.some((t) => t.text.includes(`"${m}"`)))).toEqual([]);
  expect(roots.every((t) => isObjectType(t))).toBe(true);
});

it("every GraphQL error code the API answers with is asserted by some test", () => {
  const source = readFileSync(here("../src/errors.ts"), "utf8");
  const union = /export type ApiErrorCode =([^;]+);/.exec(source)![1]!;
  const codes = [...union.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]!);
  expect(codes).toContain("NOT_FOUND");
  expect(codes.filter((c) => !tests.some((t) => t.text.includes(`"${c}"`)))).toEqual([]);
});
