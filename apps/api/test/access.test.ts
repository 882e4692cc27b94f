// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  TestBenchmarkRunsDocument,
  TestCancelJobDocument,
  TestDatasetsDocument,
  TestModelIdsDocument,
  TestModelsDocument,
  TestNodeDocument,
  TestSearchDocument,
  TestStartIndexDocument,
} from "@cxr/api-client/testing";
import { loadConfig } from "@cxr/config";
import { addModel, classifyError, createToken, indexDataset, revokeToken } from "@cxr/services";
import {
  fixtureImage,
  postgresAvailable,
  seedDataset,
  type TempDatabase,
  tempDatabase,
  writeTinyBundle,
} from "@cxr/services/testing";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { execute, parse } from "graphql/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardSchema } from "../src/access.ts";
import { type ApiServices, openApiServices, type StartedApiServer, startApiServer } from "../src/index.ts";
import { failure, outcome, testClient } from "./client.ts";
import { capturedLogger } from "./logs.ts";

/**
 * Access end to end: the real server on a free port, run as if bound to the network (tokens
 * needed), with a token per scope, a wrong and a revoked one, driven with the typed client (raw
 * fetch only for a malformed Authorization header and the image route); on SQLite and PostgreSQL.
 */

const pgUp = await postgresAvailable();

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("access on $dialect", ({ dialect, run }) => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-access-"));
  const logs = capturedLogger();
  const logLines = logs.lines;
  let temp: TempDatabase | undefined;
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  const tokens: Record<string, string> = {};
  let imageId = "";
  let datasetNodeId = "";
  let modelNodeId = "";

  const auth = (token: string | undefined): Record<string, string> =>
    token === undefined ? {} : { authorization: `Bearer ${token}` };

  const api = (token?: string) => testClient(url, token === undefined ? {} : { token });

  /** What each operation answers for one caller: "ok" or the error code (HTTP routes: status and code). */
  async function outcomes(token?: string) {
    const client = api(token);
    const http = async (res: Promise<Response>) => {
      const r = await res;
      return r.ok ? "ok" : `${r.status} ${(((await r.json()) as any).code as string) ?? ""}`;
    };
    const upload = async () => {
      try {
        await client.upload(fixtureImage(1, 0, 16));
        return "ok";
      } catch (error) {
        const e = error as { status: number; code: string };
        return `${e.status} ${e.code}`;
      }
    };
    return {
      models: await outcome(client.request(TestModelsDocument, {})),
      runs: await outcome(client.request(TestBenchmarkRunsDocument, {})),
      modelNode: await outcome(client.request(TestNodeDocument, { id: modelNodeId })),
      datasets: await outcome(client.request(TestDatasetsDocument, {})),
      datasetNode: await outcome(client.request(TestNodeDocument, { id: datasetNodeId })),
      search: await outcome(
        client.request(TestSearchDocument, { input: { text: "effusion", models: ["tiny"], k: 2 } }),
      ),
      // a job start the service refuses (unknown dataset) once the scope allows it: NOT_FOUND, nothing created
      startIndex: await outcome(
        client.request(TestStartIndexDocument, { input: { model: "tiny", dataset: "no-such-set" } }),
      ),
      cancelJob: await outcome(client.request(TestCancelJobDocument, { id: "no-such-job" })),
      upload: await upload(),
      image: await http(fetch(`${url}/images/${imageId}?variant=preview`, { headers: auth(token) })),
    };
  }

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
    await writeTinyBundle(path.join(work, "bundle"), { id: "tiny" });
    await addModel(db, config, path.join(work, "bundle"));
    await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 4, side: 24 });
    await indexDataset({ db, store, config, modelId: "tiny", datasetName: "set", modality: "images" });
    imageId = (await db.prisma.image.findFirstOrThrow()).id;
    server = await startApiServer(services, {
      port: 0,
      logger: logs.logger,
      access: { network: true, allowOpen: true },
    });
    url = server.url;
    const ids = await api().request(TestModelIdsDocument, {});
    modelNodeId = ids.models[0]!.id;
    datasetNodeId = ids.datasets[0]!.id;
  });

  afterAll(async () => {
    await server?.close();
    if (server === undefined) await services?.close();
    await temp?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const ALL_OK = {
    models: "ok",
    runs: "ok",
    modelNode: "ok",
    datasets: "ok",
    datasetNode: "ok",
    search: "ok",
    startIndex: "NOT_FOUND",
    cancelJob: "NOT_FOUND",
    upload: "ok",
    image: "ok",
  };

  it.runIf(run)("is open with no tokens (loopback, or --allow-open on the network)", async () => {
    expect(await outcomes()).toEqual(ALL_OK);
  });

  it.runIf(run)("refuses to start on the network with no tokens unless allowed open", async () => {
    let error: unknown;
    try {
      await startApiServer(services!, { host: "0.0.0.0", port: 0 });
    } catch (e) {
      error = e;
    }
    expect(classifyError(error)).toMatchObject({ kind: "conflict", code: "OPEN_ON_NETWORK" });
  });

  it.runIf(run)("gives each scope its operations and refuses the rest", async () => {
    const db = services!.db;
    for (const scope of ["read", "run", "submit", "admin"]) {
      tokens[scope] = (await createToken(db, { scopes: scope, name: scope })).token;
    }
    const publicOnly = { models: "ok", runs: "ok", modelNode: "ok" };
    // with a token in existence nothing protected is open any more, even with allowOpen
    expect(await outcomes()).toEqual({
      ...publicOnly,
      datasets: "UNAUTHENTICATED",
      datasetNode: "UNAUTHENTICATED",
      search: "UNAUTHENTICATED",
      startIndex: "UNAUTHENTICATED",
      cancelJob: "UNAUTHENTICATED",
      upload: "401 UNAUTHENTICATED",
      image: "401 UNAUTHENTICATED",
    });
    const jobsForbidden = { startIndex: "FORBIDDEN", cancelJob: "FORBIDDEN" };
    const readForbidden = {
      datasets: "FORBIDDEN",
      datasetNode: "FORBIDDEN",
      search: "FORBIDDEN",
      upload: "403 FORBIDDEN",
      image: "403 FORBIDDEN",
    };
    expect(await outcomes(tokens.read)).toEqual({ ...ALL_OK, ...jobsForbidden });
    expect(await outcomes(tokens.admin)).toEqual(ALL_OK);
    // run: jobs only (their refusal here is the service's NOT_FOUND, past the scope check)
    expect(await outcomes(tokens.run)).toEqual({ ...ALL_OK, ...readForbidden });
    expect(await outcomes(tokens.submit)).toEqual({ ...ALL_OK, ...readForbidden, ...jobsForbidden });
    expect(await services!.db.prisma.job.count()).toBe(0); // no refusal created a job
  });

  it.runIf(run)("refuses a wrong, malformed or revoked token everywhere, and never logs one", async () => {
    const wrong = `cxr_${"A".repeat(43)}`;
    const refused = await failure(api(wrong).request(TestModelsDocument, {}));
    expect([refused.status, refused.code]).toEqual([401, "UNAUTHENTICATED"]);
    const malformed = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Token abc" },
      body: JSON.stringify({ query: "{ models { modelId } }" }),
    });
    expect(malformed.status).toBe(401);

    const created = await createToken(services!.db, { scopes: "read" });
    expect((await outcomes(created.token)).search).toBe("ok");
    await revokeToken(services!.db, created.id);
    const after = await failure(
      api(created.token).request(TestSearchDocument, { input: { text: "effusion", models: ["tiny"], k: 2 } }),
    );
    expect([after.status, after.code]).toEqual([401, "UNAUTHENTICATED"]);
    const upload = await failure(api(created.token).upload(fixtureImage(2, 0, 16)));
    expect(upload.status).toBe(401);
    // public fields too: a revoked token is refused, not treated as none
    expect((await failure(api(created.token).request(TestModelsDocument, {}))).status).toBe(401);

    const logs = logLines.join("");
    for (const token of [...Object.values(tokens), created.token, wrong]) expect(logs).not.toContain(token);
  });
});

describe("mutations and new root fields", () => {
  it("need their scope (run for jobs), and admin when no one opened them", async () => {
    const schema = guardSchema(
      makeExecutableSchema({
        typeDefs: `type Query { leaderboardBoards: Int, somethingNew: Int }
                   type Mutation { startIndex: Int, dropEverything: Int }`,
        resolvers: {
          Query: { leaderboardBoards: () => 1, somethingNew: () => 1 },
          Mutation: { startIndex: () => 1, dropEverything: () => 1 },
        },
      }),
    );
    const run = async (source: string, scopes: string[]) => {
      const result = await execute({
        schema,
        document: parse(source),
        contextValue: { principal: { kind: "token", tokenId: "t", scopes } },
      });
      return result.errors?.[0]?.extensions?.code ?? "ok";
    };
    expect(await run("{ leaderboardBoards }", [])).toBe("ok");
    expect(await run("{ somethingNew }", ["run"])).toBe("FORBIDDEN");
    expect(await run("{ somethingNew }", ["read"])).toBe("ok");
    expect(await run("mutation { startIndex }", ["read"])).toBe("FORBIDDEN");
    expect(await run("mutation { startIndex }", ["run"])).toBe("ok");
    expect(await run("mutation { dropEverything }", ["run", "read", "submit"])).toBe("FORBIDDEN");
    expect(await run("mutation { dropEverything }", ["admin"])).toBe("ok");
  });
});
