// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  TestLeaderboardBoardDocument,
  TestLeaderboardBoardsDocument,
  TestLeaderboardEntryDocument,
  TestLeaderboardRowsDocument,
  TestLeaderboardSubmissionsDocument,
  TestSubmitRunDocument,
  TestVerifyEntryDocument,
} from "@cxr/api-client/testing";
import { type Config, loadConfig } from "@cxr/config";
import { addModel, createToken, openServices, publishRun, runBench } from "@cxr/services";
import { seedDataset, type TempDatabase, tempDatabase, writeTinyBundle } from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiServices,
  createApiServer,
  openApiServices,
  type StartedApiServer,
  startApiServer,
} from "../src/index.ts";
import { failure, testClient } from "./client.ts";

/**
 * The leaderboard over HTTP: a server started here with two published local runs, a run submitted
 * by `cxr submit` from a second data folder, tampered and hostile submissions, verification by
 * re-run, and CSV/JSON exports of a filtered view re-opened with their asOf.
 */

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), "cxr-api-board-"));
const temps: TempDatabase[] = [];

async function dataFolder(name: string, models: { id: string; dimension: number }[]) {
  const temp = await tempDatabase("sqlite");
  temps.push(temp);
  const env = {
    CXR_DATA_DIR: path.join(work, name),
    DATABASE_URL: temp.config.database.url,
    CXR_EXECUTION_PROVIDERS: "cpu",
    CXR_CPU_THREADS: "1",
    CXR_BATCH_SIZE: "4",
  };
  const config: Config = loadConfig(env, work);
  const opened = openServices(config);
  const db = await opened.database();
  for (const m of models) {
    const bundle = path.join(work, `${name}-bundle-${m.id}`);
    await writeTinyBundle(bundle, { id: m.id, dimension: m.dimension });
    await addModel(db, config, bundle);
  }
  await seedDataset(db, { dir: path.join(work, `${name}-set`), name: "set", studies: 12, side: 24 });
  await db.prisma.split.updateMany({ data: { fingerprint: "v2:".padEnd(67, "b") } });
  const runIds: Record<string, string> = {};
  for (const m of models) {
    const bench = await runBench({
      db,
      config,
      models: [m.id],
      dataset: "set",
      split: "train",
      levels: [0, 0.5],
      seed: 1,
      grid: 4,
      bootstrapSamples: 20,
      cache: false,
    });
    runIds[m.id] = bench.runId;
  }
  return { env, config, db, runIds, close: () => opened.close() };
}

describe("the leaderboard over HTTP", () => {
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  let remote: Awaited<ReturnType<typeof dataFolder>>;

  // Once a token exists the server wants one for everything but public reads (apps/api/src/access.ts).
  let bearer: string | undefined;
  const api = () => testClient(url, bearer === undefined ? {} : { token: bearer });

  beforeAll(async () => {
    const local = await dataFolder("server", [
      { id: "tiny", dimension: 8 },
      { id: "tiny-c", dimension: 3 },
    ]);
    for (const id of Object.values(local.runIds)) await publishRun(local.db, id);
    await local.close();
    remote = await dataFolder("remote", [{ id: "tiny-c", dimension: 3 }]);
    await remote.close();
    services = await openApiServices(local.config);
    server = await startApiServer(services, { port: 0 });
    url = server.url;
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    for (const t of temps) await t.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const ROWS = TestLeaderboardRowsDocument;

  it("shows the published board without a token, ranked with intervals", async () => {
    const { leaderboardBoards } = await api().request(TestLeaderboardBoardsDocument, {});
    expect(leaderboardBoards).toHaveLength(1);
    const board = leaderboardBoards[0]!;
    expect(board).toMatchObject({ dataset: "set", split: "train", levels: [0, 0.5], entryCount: 2 });
    const one = await api().request(TestLeaderboardBoardDocument, { key: board.key });
    expect(one.leaderboardBoard).toEqual({ key: board.key, entryCount: 2 });
    expect((await failure(api().request(TestLeaderboardBoardDocument, { key: "0".repeat(16) }))).code).toBe(
      "NOT_FOUND",
    );
    const rows = await api().request(ROWS, { sort: { metric: "mrr" } });
    const nodes = rows.leaderboardEntries.edges.map((e) => e.node);
    expect(nodes.map((n) => n.entry.provenance)).toEqual(["VERIFIED", "VERIFIED"]);
    for (const n of nodes) expect(n.rankLabel).toMatch(/^[12](-2)?$/);
  });

  it("accepts a run submitted by `cxr submit` from a second data folder, once; refuses a tampered one naming the field", async () => {
    const db = services!.db;
    const [submitter, reader] = [
      await createToken(db, { scopes: "submit", name: "lab" }),
      await createToken(db, { scopes: "read" }),
    ];
    const submitRun = async (recordFile: string) =>
      (await api().request(TestSubmitRunDocument, { input: { recordFile } })).submitRun;
    // no token, then a read-only one: refused before anything is read or written
    expect((await failure(submitRun("{}"))).code).toBe("UNAUTHENTICATED");
    bearer = reader.token;
    expect((await failure(submitRun("{}"))).code).toBe("FORBIDDEN");
    expect(await db.prisma.submission.count()).toBe(0);
    bearer = submitter.token;
    const submit = () =>
      run(
        process.execPath,
        [
          "--import",
          "tsx",
          path.join(repoRoot, "apps/cli/src/main.ts"),
          "submit",
          remote.runIds["tiny-c"]!,
          "--server",
          url,
          "--token",
          submitter.token,
          "--license",
          "tiny-c=MIT",
          "--json",
        ],
        { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...remote.env } },
      );
    const first = JSON.parse((await submit()).stdout);
    expect(first).toMatchObject({ __typename: "SubmissionAccepted", duplicate: false });
    const second = JSON.parse((await submit()).stdout);
    expect(second).toMatchObject({ duplicate: true, submissionId: first.submissionId });

    const text = readFileSync(
      path.join(work, "remote", "runs", remote.runIds["tiny-c"]!, "run.json"),
      "utf8",
    );
    const file = JSON.parse(text);
    file.results[2].ci.mrr.high = file.results[2].ci.mrr.high * (1 + Number.EPSILON) || Number.MIN_VALUE;
    const SUBMIT = TestSubmitRunDocument.toString();
    expect(await submitRun(JSON.stringify(file))).toMatchObject({
      __typename: "SubmissionRefused",
      reason: "CLAIM_MISMATCH",
      field: "results[2].ci.mrr.high",
    });
    expect(await submitRun(text.replaceAll('"tiny-c"', '"@SUM(A1)"'))).toMatchObject({
      reason: "UNSAFE_TEXT",
    });
    expect(await submitRun("{")).toMatchObject({ reason: "MALFORMED_JSON" });
    // the same file through the typed client: a duplicate of what `cxr submit` sent
    expect(await submitRun(text)).toMatchObject({ __typename: "SubmissionAccepted", duplicate: true });
    // over the submission limit (a server with 50 kB bodies and 100 kB submissions; 100 MB is refused by the service test)
    const small = await createApiServer(services!, {
      limits: { bodyBytes: 50_000, submissionBytes: 100_000 },
    });
    await new Promise<void>((resolve) => small.httpServer.listen(0, "127.0.0.1", resolve));
    try {
      const port = (small.httpServer.address() as AddressInfo).port;
      const post = (body: unknown) =>
        fetch(`http://127.0.0.1:${port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${submitter.token}` },
          body: JSON.stringify(body),
        });
      const huge = await post({ query: SUBMIT, variables: { input: { recordFile: " ".repeat(150_000) } } });
      expect(huge.status).toBe(413);
      const under = await post({ query: SUBMIT, variables: { input: { recordFile: " ".repeat(99_000) } } });
      expect(((await under.json()) as any).data.submitRun.reason).toBe("MALFORMED_JSON");
      // a body over the ordinary limit is read only for a document whose one operation is submitRun
      const other = await post({
        query: "{ leaderboardBoards { key } }",
        variables: { x: "a".repeat(60_000) },
      });
      expect(other.status).toBe(413);
    } finally {
      await new Promise<void>((resolve) => small.httpServer.close(() => resolve()));
    }
    const subs = await api().request(TestLeaderboardSubmissionsDocument, {});
    expect(subs.leaderboardSubmissions.totalCount).toBe(1);

    // the same tiny-c bundle in both folders: the submission supersedes the server's own entry
    const rows = await api().request(ROWS, { filter: { provenance: ["SUBMITTED"] } });
    const submitted = rows.leaderboardEntries.edges.map((e) => e.node.entry);
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({ model: "tiny-c", license: "MIT" });

    // verification by re-run on this server (scope admin): the same bundle and split, the same ranks
    // the submitter may not verify (scope admin)
    expect((await failure(api().request(TestVerifyEntryDocument, { id: submitted[0]!.id }))).code).toBe(
      "FORBIDDEN",
    );
    bearer = (await createToken(services!.db, { scopes: "admin" })).token;
    const verified = await api().request(TestVerifyEntryDocument, { id: submitted[0]!.id });
    expect(verified.verifyEntry).toMatchObject({
      provenance: "VERIFIED",
      check: { outcome: "VERIFIED", differences: [] },
    });

    const detail = (await api().request(TestLeaderboardEntryDocument, { id: submitted[0]!.id }))
      .leaderboardEntry;
    expect(detail.cells).toHaveLength(4);
    expect(detail.drillDown).toHaveLength(2);
    expect(detail.ranks.length).toBeGreaterThan(0);
    expect((await failure(api().request(TestLeaderboardEntryDocument, { id: "nope" }))).code).toBe(
      "NOT_FOUND",
    );
  }, 120_000);

  it("exports CSV and JSON of a filtered view with permalink and asOf, and the permalink re-opens to the same rows", async () => {
    const json = await fetch(`${url}/leaderboard/export.json?metric=mrr&provenance=VERIFIED`);
    expect(json.status).toBe(200);
    const file = (await json.json()) as any;
    expect(file.permalink).toContain(`asOf=${encodeURIComponent(file.asOf)}`);
    expect(file.rows.length).toBeGreaterThan(0);
    const again = (await (await fetch(file.permalink)).json()) as any;
    expect(again.rows).toEqual(file.rows);
    const view = await api().request(ROWS, {
      filter: { provenance: ["VERIFIED"] },
      sort: { metric: "mrr" },
      asOf: file.asOf,
    });
    expect(view.leaderboardEntries.edges.map((e) => e.node.entry.entryId)).toEqual(
      file.rows.map((r: any[]) => r[file.columns.indexOf("entryId")]),
    );
    const csv = await (await fetch(file.permalink.replace("export.json", "export.csv"))).text();
    expect(csv.split("\n")[1]).toBe(`# asOf,${file.asOf}`);
    expect(csv).toContain("# permalink,");
    const bad = await fetch(`${url}/leaderboard/export.csv?asOf=yesterday`);
    expect(bad.status).toBe(400);
  });
});
