import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TestDatasetsDocument, TestSearchDocument } from "@cxr/api-client/testing";
import { loadConfig } from "@cxr/config";
import { addModel, indexDataset } from "@cxr/services";
import {
  postgresAvailable,
  seedDataset,
  type TempDatabase,
  tempDatabase,
  writeTinyBundle,
} from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServices, openApiServices, type StartedApiServer, startApiServer } from "../src/index.ts";
import { failure, type TestClient, testClient } from "./client.ts";
import { capturedLogger } from "./logs.ts";

/**
 * End to end: what a client sees, and what the server logs, when something the API stands on fails
 * under it. An image file deleted after ingest, a model whose ONNX file went bad after it was
 * added, and a database changed behind the server's back each get their typed answer
 * (UNAVAILABLE, ModelUnavailable, INTERNAL_SERVER_ERROR), never a path, a query or a stack; the log
 * line of an unexpected failure carries the request id and one line of the error, not the
 * database client's multi-line message (which quotes the query's arguments).
 */

const pgUp = await postgresAvailable();

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("the API on $dialect when what it stands on fails", ({ dialect, run }) => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-api-failures-"));
  const logs = capturedLogger();
  const logLines = logs.lines;
  let temp: TempDatabase | undefined;
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  let api: TestClient;

  beforeAll(async () => {
    if (!run) return;
    temp = await tempDatabase(dialect);
    const config = loadConfig(
      {
        CXR_DATA_DIR: path.join(work, "data"),
        CXR_EXECUTION_PROVIDERS: "cpu",
        CXR_CPU_THREADS: "1",
        DATABASE_URL: temp.config.database.url,
      },
      work,
    );
    services = await openApiServices(config);
    const { db, store } = services;
    for (const id of ["tiny", "tiny-broken"]) {
      const bundle = path.join(work, `bundle-${id}`);
      await writeTinyBundle(bundle, { id });
      await addModel(db, config, bundle);
    }
    await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 6, side: 24 });
    for (const modelId of ["tiny", "tiny-broken"]) {
      await indexDataset({ db, store, config, modelId, datasetName: "set", modality: "both" });
    }
    server = await startApiServer(services, { port: 0, logger: logs.logger });
    url = server.url;
    api = testClient(url, { forbidden: [work] });
  });

  afterAll(async () => {
    await server?.close();
    if (server === undefined) await services?.close();
    await temp?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it.runIf(run)("answers UNAVAILABLE (503) for an image whose file was deleted after ingest", async () => {
    const image = await services!.db.prisma.image.findFirstOrThrow({ orderBy: { id: "asc" } });
    await unlink(image.path);
    for (const variant of ["original", "preview"]) {
      const res = await fetch(`${url}/images/${image.id}?variant=${variant}`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toContain(work);
      expect(JSON.parse(text)).toMatchObject({ code: "UNAVAILABLE", reason: "IMAGE_UNREADABLE" });
    }
    // the other images are still served
    const other = await services!.db.prisma.image.findFirstOrThrow({ where: { id: { not: image.id } } });
    expect((await fetch(`${url}/images/${other.id}?variant=preview`)).status).toBe(200);
  });

  it.runIf(run)("tells a search that a model's ONNX file went bad after it was added, as data", async () => {
    const model = await services!.db.prisma.model.findUniqueOrThrow({ where: { id: "tiny-broken" } });
    // the server has not loaded this model yet: its first search reads the damaged file
    writeFileSync(path.join(model.bundlePath, "text.onnx"), "not an onnx graph");
    const { search } = await api.request(TestSearchDocument, {
      input: { text: "small left pleural effusion", models: ["tiny-broken"], target: "IMAGES" },
    });
    expect(search).toMatchObject({ __typename: "ModelUnavailable", model: "tiny-broken" });
    if (search.__typename !== "ModelUnavailable") throw new Error(search.__typename);
    expect(search.message).not.toContain(work);
    // a healthy model beside it still answers
    const healthy = await api.request(TestSearchDocument, {
      input: { text: "small left pleural effusion", models: ["tiny"], target: "IMAGES" },
    });
    expect(healthy.search.__typename).toBe("SearchOk");
  });

  it.runIf(run)(
    "hides an unexpected database failure behind INTERNAL_SERVER_ERROR and logs one line of it",
    async () => {
      const prisma = services!.db.prisma;
      // a table renamed behind the server's back: every read of it fails in the database client
      await prisma.$executeRawUnsafe('ALTER TABLE "Dataset" RENAME TO "DatasetMoved"');
      try {
        const requestId = "failures-internal-1";
        const client = testClient(url, {
          forbidden: [work, "DatasetMoved", "does not exist"],
          headers: { "x-request-id": requestId },
        });
        const error = await failure(client.request(TestDatasetsDocument, {}));
        expect(error.code).toBe("INTERNAL_SERVER_ERROR");
        expect(error.message).toBe("internal error (see the server log for this request id)");
        expect(client.answers.at(-1)!.headers.get("x-request-id")).toBe(requestId);
        const logged = logLines
          .map(
            (line) =>
              JSON.parse(line) as {
                requestId?: string;
                msg?: string;
                err?: { message?: string; stack?: string };
              },
          )
          .filter((line) => line.requestId === requestId && line.msg === "unexpected error");
        expect(logged).toHaveLength(1);
        const err = logged[0]!.err!;
        // the database client's message runs over many lines and quotes the failing call (its code
        // frame, with the arguments): only the first line is logged, and the stack only as frames
        expect(err.message).toMatch(/\S/);
        expect(err.message).not.toContain("\n");
        expect(err.stack).toMatch(/^\s+at /);
        for (const line of err.stack!.split("\n")) expect(line).toMatch(/^\s+at /);
        const whole = logLines.filter((line) => line.includes(requestId)).join("\n");
        // what failed is named (the database client's error), its code frame is not
        expect(err.message).not.toBe("internal error (see the server log for this request id)");
        expect(whole).toContain("PrismaClient");
        expect(whole).not.toContain("\u2192"); // the frame's arrow at the failing line
        expect(whole).not.toContain("const rows");
      } finally {
        await prisma.$executeRawUnsafe('ALTER TABLE "DatasetMoved" RENAME TO "Dataset"');
      }
      // and the server goes on answering
      const { datasets } = await api.request(TestDatasetsDocument, {});
      expect(datasets.map((d) => d.name)).toEqual(["set"]);
    },
  );
});
