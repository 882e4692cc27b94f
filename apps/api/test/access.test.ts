// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
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
import {
  type ApiServices,
  createLogger,
  openApiServices,
  type StartedApiServer,
  startApiServer,
} from "../src/index.ts";

/**
 * Access end to end: the real server on a free port, run as if bound to the network (tokens
 * needed), with a token per scope, a wrong and a revoked one; on SQLite and PostgreSQL.
 */

const pgUp = await postgresAvailable();

const SEARCH = `query($in: SearchInput!) { search(input: $in) { __typename } }`;

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("access on $dialect", ({ dialect, run }) => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-access-"));
  const logLines: string[] = [];
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

  async function gql(query: string, variables: Record<string, unknown>, token?: string) {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(token) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: any[] };
    return { status: res.status, body, code: body.errors?.[0]?.extensions?.code as string | undefined };
  }

  /** What each operation answers for one caller: "ok" or the error code. */
  async function outcomes(token?: string) {
    const code = async (p: Promise<{ code: string | undefined }>) => (await p).code ?? "ok";
    const http = async (res: Promise<Response>) => {
      const r = await res;
      return r.ok ? "ok" : `${r.status} ${(((await r.json()) as any).code as string) ?? ""}`;
    };
    return {
      models: await code(gql("{ models { modelId } }", {}, token)),
      runs: await code(gql("{ benchmarkRuns { totalCount } }", {}, token)),
      modelNode: await code(gql("query($id: ID!) { node(id: $id) { id } }", { id: modelNodeId }, token)),
      datasets: await code(gql("{ datasets { name } }", {}, token)),
      datasetNode: await code(gql("query($id: ID!) { node(id: $id) { id } }", { id: datasetNodeId }, token)),
      search: await code(gql(SEARCH, { in: { text: "effusion", models: ["tiny"], k: 2 } }, token)),
      upload: await http(
        fetch(`${url}/uploads`, {
          method: "POST",
          headers: { "content-type": "application/octet-stream", ...auth(token) },
          body: fixtureImage(1, 0, 16),
        }),
      ),
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
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    server = await startApiServer(services, {
      port: 0,
      logger: createLogger("info", sink),
      access: { network: true, allowOpen: true },
    });
    url = server.url;
    const ids = await gql(`{ models { id } datasets { id } }`, {});
    modelNodeId = ids.body.data.models[0].id;
    datasetNodeId = ids.body.data.datasets[0].id;
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
      upload: "401 UNAUTHENTICATED",
      image: "401 UNAUTHENTICATED",
    });
    expect(await outcomes(tokens.read)).toEqual(ALL_OK);
    expect(await outcomes(tokens.admin)).toEqual(ALL_OK);
    for (const scope of ["run", "submit"]) {
      expect(await outcomes(tokens[scope])).toEqual({
        ...publicOnly,
        datasets: "FORBIDDEN",
        datasetNode: "FORBIDDEN",
        search: "FORBIDDEN",
        upload: "403 FORBIDDEN",
        image: "403 FORBIDDEN",
      });
    }
  });

  it.runIf(run)("refuses a wrong, malformed or revoked token everywhere, and never logs one", async () => {
    const wrong = `cxr_${"A".repeat(43)}`;
    const refused = await gql("{ models { modelId } }", {}, wrong);
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
    const after = await gql(SEARCH, { in: { text: "effusion", models: ["tiny"], k: 2 } }, created.token);
    expect([after.status, after.code]).toEqual([401, "UNAUTHENTICATED"]);
    const upload = await fetch(`${url}/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${created.token}` },
      body: fixtureImage(2, 0, 16),
    });
    expect(upload.status).toBe(401);

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
