// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  TestJobDocument,
  TestLeaderboardBoardDocument,
  TestLeaderboardBoardsDocument,
  TestLeaderboardEntryDocument,
  TestLeaderboardEntryRanksDocument,
  TestLeaderboardRowsDocument,
  type TestLeaderboardRowsQueryVariables,
  TestLeaderboardSubmissionsDocument,
  TestSubmitRunDocument,
  TestVerifyEntryDocument,
} from "@cxr/api-client/testing";
import { type Config, loadConfig } from "@cxr/config";
import { addModel, createToken, openServices, publishRun, runBench } from "@cxr/services";
import {
  independentRanking,
  seedDataset,
  type TempDatabase,
  tempDatabase,
  writeTinyBundle,
} from "@cxr/services/testing";
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
 * The leaderboard over HTTP, the judged flow on one server: two published local runs ranked with
 * tie groups equal to an independent computation from what the board serves; a run submitted by
 * `cxr submit` from a second data folder; every bad submission of the issue refused with nothing
 * written; verification by re-run as a job (verified, disputed after tampering, typed refusals);
 * boards never mixed across protocol keys or dataset fingerprints; CSV/JSON exports of a filtered
 * view re-opened with their asOf. GraphQL goes through the typed client (@cxr/api-client/testing);
 * a raw fetch only for the oversized bodies and the export routes.
 */

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), "cxr-api-board-"));
const temps: TempDatabase[] = [];

const FINGERPRINT = "v2:".padEnd(67, "b");

/**
 * A data folder (its own database and CXR_DATA_DIR) with tiny models, a small synthetic split and
 * benchmark runs: each run lists its models, its seed and the split's fingerprint when it runs.
 */
async function dataFolder(
  name: string,
  models: { id: string; dimension: number }[],
  runs: { models: string[]; seed?: number; fingerprint?: string }[],
) {
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
  const runIds: string[] = [];
  for (const r of runs) {
    await db.prisma.split.updateMany({ data: { fingerprint: r.fingerprint ?? FINGERPRINT } });
    const bench = await runBench({
      db,
      config,
      models: r.models,
      dataset: "set",
      split: "train",
      levels: [0, 0.5],
      seed: r.seed ?? 1,
      grid: 4,
      bootstrapSamples: 20,
      cache: false,
    });
    runIds.push(bench.runId);
  }
  await db.prisma.split.updateMany({ data: { fingerprint: FINGERPRINT } });
  return { env, config, db, runIds, close: () => opened.close() };
}

describe("the leaderboard over HTTP", () => {
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  let remote: Awaited<ReturnType<typeof dataFolder>>;
  let serverEnv: Record<string, string>;

  // Once a token exists the server wants one for everything but public reads (apps/api/src/access.ts).
  let bearer: string | undefined;
  const api = () => testClient(url, bearer === undefined ? {} : { token: bearer });

  beforeAll(async () => {
    const local = await dataFolder(
      "server",
      [
        { id: "tiny", dimension: 8 },
        { id: "tiny-c", dimension: 3 },
      ],
      [{ models: ["tiny"] }, { models: ["tiny-c"] }],
    );
    for (const id of local.runIds) await publishRun(local.db, id);
    serverEnv = local.env;
    await local.close();
    // The second folder: tiny-c (the server's weights), "tiny" with other weights than the
    // server's, tiny-r which the server does not hold; runs of another seed and of other data.
    remote = await dataFolder(
      "remote",
      [
        { id: "tiny-c", dimension: 3 },
        { id: "tiny", dimension: 4 },
        { id: "tiny-r", dimension: 5 },
      ],
      [
        { models: ["tiny-c"] },
        { models: ["tiny", "tiny-r"] },
        { models: ["tiny-r"], seed: 2 },
        { models: ["tiny-r"], fingerprint: "v2:".padEnd(67, "c") },
      ],
    );
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
  const rowsOf = async (variables: TestLeaderboardRowsQueryVariables = {}) =>
    (await api().request(ROWS, variables)).leaderboardEntries.edges.map((e) => e.node);
  const submitRun = async (recordFile: string) =>
    (await api().request(TestSubmitRunDocument, { input: { recordFile } })).submitRun;
  const verifyEntry = async (id: string) =>
    (await api().request(TestVerifyEntryDocument, { id })).verifyEntry;
  /** The job a verifyEntry answer started (the test fails on a refusal). */
  const jobOf = (answer: Awaited<ReturnType<typeof verifyEntry>>) => {
    expect(answer.__typename).toBe("Job");
    if (answer.__typename !== "Job") throw new Error(`verification refused: ${answer.reason}`);
    return answer;
  };

  /** What the database holds, for "nothing written". */
  const counts = async () => {
    const p = services!.db.prisma;
    return {
      submissions: await p.submission.count(),
      entries: await p.leaderboardEntry.count(),
      boards: await p.leaderboardBoard.count(),
      jobs: await p.job.count(),
      runs: await p.benchmarkRun.count(),
    };
  };

  /** Polls a job until it is no longer queued or running (generous budget: a loaded machine). */
  const settled = async (id: string) => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const { job } = await api().request(TestJobDocument, { id });
      if (!["QUEUED", "RUNNING"].includes(job.status) || Date.now() > deadline) return job;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  it("shows the published board without a token; rank intervals and tie groups for any sort equal an independent computation from what the board serves", async () => {
    const { leaderboardBoards } = await api().request(TestLeaderboardBoardsDocument, {});
    expect(leaderboardBoards).toHaveLength(1);
    const board = leaderboardBoards[0]!;
    expect(board).toMatchObject({ dataset: "set", split: "train", levels: [0, 0.5], entryCount: 2 });
    const one = await api().request(TestLeaderboardBoardDocument, {
      key: board.key,
      direction: "IMAGE_TO_TEXT",
    });
    expect(one.leaderboardBoard).toMatchObject({ key: board.key, entryCount: 2 });
    const unknown = api().request(TestLeaderboardBoardDocument, {
      key: "0".repeat(16),
      direction: "IMAGE_TO_TEXT",
    });
    expect((await failure(unknown)).code).toBe("NOT_FOUND");
    for (const [metric, level, direction] of [
      ["recall@1", 0, "IMAGE_TO_TEXT"],
      ["mrr", 0.5, "IMAGE_TO_TEXT"],
      ["recall@5", 0, "TEXT_TO_IMAGE"],
      ["medianRank", 0.5, "TEXT_TO_IMAGE"],
      ["meanRank", 0, "IMAGE_TO_TEXT"],
      ["auc:mrr", null, "IMAGE_TO_TEXT"],
    ] as const) {
      const nodes = await rowsOf({ sort: { metric, level, direction } });
      expect(nodes.map((n) => n.entry.provenance)).toEqual(["VERIFIED", "VERIFIED"]);
      for (const n of nodes) expect(n.rankLabel).toMatch(/^[12](-2)?$/);
      // everything the oracle needs comes from the API: the board's query list and each entry's ranks
      const served = await api().request(TestLeaderboardBoardDocument, { key: board.key, direction });
      const entries = [];
      for (const n of nodes) {
        const e = await api().request(TestLeaderboardEntryRanksDocument, { id: n.entry.id, direction });
        const { entryId, clean, half } = e.leaderboardEntry;
        entries.push({ id: entryId, ranks: level === 0.5 ? half : clean, ranksByLevel: [clean, half] });
      }
      const dir = direction === "IMAGE_TO_TEXT" ? "image->text" : "text->image";
      const expected = independentRanking(
        entries,
        served.leaderboardBoard.queries.map((q) => q.study),
        {
          metric,
          seed: board.seed,
          label: `${board.key}:${dir}:${level ?? "all"}:${metric}`,
          samples: board.bootstrapSamples,
          confidence: board.confidence,
          levels: board.levels,
        },
      );
      expect(
        nodes.map((n) => [n.entry.entryId, n.rankLabel, n.tieGroup]),
        `${metric} at ${level}, ${direction}`,
      ).toEqual(expected.map((e) => [e.id, e.label, e.tieGroup]));
    }
  });

  let submitter: { token: string };
  let recordText: string;

  it("accepts a run submitted by `cxr submit` from a second data folder, once; refuses every bad submission of the issue, naming the field, writing nothing", async () => {
    const db = services!.db;
    submitter = await createToken(db, { scopes: "submit", name: "lab" });
    const reader = await createToken(db, { scopes: "read" });
    const SUBMIT = TestSubmitRunDocument.toString();
    const before = await counts();
    // no token, then a read-only one: refused before anything is read or written
    expect((await failure(submitRun("{}"))).code).toBe("UNAUTHENTICATED");
    bearer = reader.token;
    expect((await failure(submitRun("{}"))).code).toBe("FORBIDDEN");
    expect(await counts()).toEqual(before);

    bearer = submitter.token;
    recordText = readFileSync(path.join(work, "remote", "runs", remote.runIds[0]!, "run.json"), "utf8");
    const file = JSON.parse(recordText);
    const edit = (f: (x: any) => void) => {
      const copy = structuredClone(file);
      f(copy);
      return JSON.stringify(copy);
    };
    const ulp = (v: number) => (v === 0 ? Number.MIN_VALUE : v * (1 + Number.EPSILON));
    const bad: [string, string, string, string | null][] = [
      ["malformed JSON", "{", "MALFORMED_JSON", null],
      ["wrong format version", edit((x) => (x.format = "cxr-bench-file/2")), "WRONG_FORMAT", "format"],
      [
        "protocol key not the hash",
        edit((x) => (x.run.protocolKey = "0".repeat(64))),
        "PROTOCOL_MISMATCH",
        "run.protocolKey",
      ],
      [
        "a metric edited by one ulp",
        edit((x) => (x.results[0].metrics["recall@5"] = ulp(x.results[0].metrics["recall@5"]))),
        "CLAIM_MISMATCH",
        "results[0].metrics.recall@5",
      ],
      [
        "an interval bound edited by one ulp",
        edit((x) => (x.results[2].ci.mrr.high = ulp(x.results[2].ci.mrr.high))),
        "CLAIM_MISMATCH",
        "results[2].ci.mrr.high",
      ],
      [
        "ranks of the wrong length",
        edit((x) => x.results[1].ranks.pop()),
        "INVALID_RANKS",
        "results[1].ranks",
      ],
      [
        "a rank out of range",
        edit((x) => (x.results[0].ranks[2] = 10_000)),
        "INVALID_RANKS",
        "results[0].ranks[2]",
      ],
      [
        "a query list other than the server's split",
        edit((x) => {
          const q = x.run.queries["image->text"];
          [q[0], q[1]] = [q[1], q[0]];
        }),
        "QUERY_LIST_MISMATCH",
        "run.queries.image->text[0]",
      ],
      [
        "a model name with HTML",
        recordText.replaceAll('"tiny-c"', '"<img src=x onerror=alert(1)>"'),
        "UNSAFE_TEXT",
        "run.models[0].id",
      ],
      [
        "a model name with a CSV formula",
        recordText.replaceAll('"tiny-c"', '"=HYPERLINK(1)"'),
        "UNSAFE_TEXT",
        "run.models[0].id",
      ],
      [
        "a model name with a spreadsheet function",
        recordText.replaceAll('"tiny-c"', '"@SUM(A1)"'),
        "UNSAFE_TEXT",
        "run.models[0].id",
      ],
    ];
    for (const [what, recordFile, reason, field] of bad) {
      expect(await submitRun(recordFile), what).toMatchObject({
        __typename: "SubmissionRefused",
        reason,
        field,
      });
    }
    // 100 MB: refused by size before it is parsed (HTTP 413, the default 32 MiB submission limit; the
    // server may answer while the client still sends, and the client may see the connection close)
    const huge = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${submitter.token}` },
      body: JSON.stringify({
        query: SUBMIT,
        variables: { input: { recordFile: " ".repeat(100 * 1024 * 1024) } },
      }),
    }).then(
      (res) => res.status,
      () => "connection closed",
    );
    expect([413, "connection closed"]).toContain(huge);
    expect(await counts()).toEqual(before);

    // over the submission limit of a server with 50 kB bodies and 100 kB submissions
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
      const over = await post({ query: SUBMIT, variables: { input: { recordFile: " ".repeat(150_000) } } });
      expect(over.status).toBe(413);
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
    expect(await counts()).toEqual(before);

    const submit = () =>
      run(
        process.execPath,
        [
          "--import",
          "tsx",
          path.join(repoRoot, "apps/cli/src/main.ts"),
          "submit",
          remote.runIds[0]!,
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
    // the same file through the typed client: a duplicate of what `cxr submit` sent
    expect(await submitRun(recordText)).toMatchObject({
      __typename: "SubmissionAccepted",
      duplicate: true,
      submissionId: first.submissionId,
    });
    const subs = await api().request(TestLeaderboardSubmissionsDocument, {});
    expect(subs.leaderboardSubmissions.totalCount).toBe(1);

    // the same tiny-c bundle in both folders: the submission supersedes the server's own entry
    const submitted = (await rowsOf({ filter: { provenance: ["SUBMITTED"] } })).map((n) => n.entry);
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({ model: "tiny-c", license: "MIT" });
  }, 240_000);

  it("verifies an entry by re-running its benchmark as a job: verified when the ranks agree, disputed with the differing queries when the stored ranks were tampered, typed refusals writing nothing", async () => {
    const db = services!.db;
    const rows = await rowsOf();
    const byModel = (model: string, provenance: string) =>
      rows.find((n) => n.entry.model === model && n.entry.provenance === provenance)!.entry;
    const submitted = byModel("tiny-c", "SUBMITTED");
    const local = byModel("tiny", "VERIFIED");

    // scope admin: a submit token may not start one
    expect((await failure(verifyEntry(submitted.id))).code).toBe("FORBIDDEN");
    bearer = (await createToken(db, { scopes: "admin" })).token;

    // the job is returned at once; the entry turns verified when it completes. The server's own
    // tiny-c entry (superseded by the submission) re-runs the same benchmark: started together,
    // the two wait for each other and both complete.
    const superseded = await db.prisma.leaderboardEntry.findFirstOrThrow({
      where: { modelName: "tiny-c", supersededAt: { not: null } },
    });
    const [started, startedOld] = (
      await Promise.all([verifyEntry(submitted.id), verifyEntry(superseded.id)])
    ).map(jobOf);
    expect(started).toMatchObject({ __typename: "Job", kind: "VERIFY" });
    expect(["QUEUED", "RUNNING", "COMPLETED"]).toContain(started!.status);
    // the same entry again while its job is open: the same job
    const twice = jobOf(await verifyEntry(submitted.id));
    const done = await settled(started!.id);
    if (twice.status !== "COMPLETED") expect(twice.id).toBe(started!.id);
    expect(done).toMatchObject({ kind: "VERIFY", status: "COMPLETED", error: null });
    expect(JSON.parse(done.result!)).toMatchObject({ outcome: "verified", differingCells: 0 });
    const doneOld = await settled(startedOld!.id);
    expect(doneOld).toMatchObject({ status: "COMPLETED", error: null });
    expect(JSON.parse(doneOld.result!)).toMatchObject({ outcome: "verified" });
    const verified = (await api().request(TestLeaderboardEntryDocument, { id: submitted.id }))
      .leaderboardEntry;
    expect(verified).toMatchObject({
      provenance: "VERIFIED",
      check: { outcome: "VERIFIED", differences: [] },
    });
    // the entry's detail: its cells (2 directions x 2 levels), the drill-down, its ranks
    expect(verified.cells).toHaveLength(4);
    expect(verified.drillDown).toHaveLength(2);
    expect(verified.ranks.length).toBeGreaterThan(0);
    expect((await failure(api().request(TestLeaderboardEntryDocument, { id: "nope" }))).code).toBe(
      "NOT_FOUND",
    );

    // tamper with the stored evidence of the server's own "tiny" entry: two ranks at level 0
    const row = await db.prisma.leaderboardEntry.findUniqueOrThrow({ where: { id: local.entryId } });
    const record = JSON.parse(row.recordJson);
    const cell = record.results.find((r: any) => r.direction === "image->text" && r.level === 0);
    for (const q of [0, 3]) cell.ranks[q] = cell.ranks[q] === 1 ? 2 : 1;
    await db.prisma.leaderboardEntry.update({
      where: { id: local.entryId },
      data: { recordJson: JSON.stringify(record) },
    });
    const queries = (
      await api().request(TestLeaderboardBoardDocument, {
        key: rows[0]!.board.key,
        direction: "IMAGE_TO_TEXT",
      })
    ).leaderboardBoard.queries.map((q) => q.id);
    const again = jobOf(await verifyEntry(local.id));
    const disputedJob = await settled(again.id);
    expect(disputedJob).toMatchObject({ status: "COMPLETED" });
    expect(JSON.parse(disputedJob.result!)).toMatchObject({ outcome: "disputed", differingCells: 1 });
    const disputed = (await api().request(TestLeaderboardEntryDocument, { id: local.id })).leaderboardEntry;
    expect(disputed.provenance).toBe("DISPUTED");
    expect(disputed.check?.outcome).toBe("DISPUTED");
    expect(disputed.check?.differences).toHaveLength(1);
    expect(disputed.check?.differences[0]).toMatchObject({
      direction: "IMAGE_TO_TEXT",
      level: 0,
      queries: [queries[0], queries[3]],
    });
    expect(disputed.check?.differences[0]?.deltas.some((d) => d.value !== 0)).toBe(true);

    // `cxr leaderboard verify` on the server's data folder: the same job in the foreground, exit 1
    // when disputed (the stored ranks are still the tampered ones)
    const cli = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repoRoot, "apps/cli/src/main.ts"),
        "leaderboard",
        "verify",
        local.entryId,
        "--json",
      ],
      { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...serverEnv } },
    ).then(
      () => {
        throw new Error("cxr leaderboard verify exited 0 on a disputed entry");
      },
      (error: { code?: number; stdout: string }) => error,
    );
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      outcome: "disputed",
      differingCells: 1,
      check: { differences: [{ direction: "image->text", level: 0, queries: [queries[0], queries[3]] }] },
    });

    // typed refusals: another model's weights under the server's name; a model the server lacks
    bearer = submitter.token;
    const pair = await submitRun(
      readFileSync(path.join(work, "remote", "runs", remote.runIds[1]!, "run.json"), "utf8"),
    );
    expect(pair.__typename).toBe("SubmissionAccepted");
    if (pair.__typename !== "SubmissionAccepted") throw new Error(`refused: ${pair.reason}`);
    bearer = (await createToken(db, { scopes: "admin" })).token;
    const before = await counts();
    const refusals: Record<string, unknown> = {};
    for (const entryId of pair.entryIds) {
      const e = await db.prisma.leaderboardEntry.findUniqueOrThrow({ where: { id: entryId } });
      refusals[e.modelName] = await verifyEntry(entryId);
    }
    expect(refusals).toMatchObject({
      tiny: { __typename: "VerificationRefused", reason: "FINGERPRINT_MISMATCH", field: "modelFingerprint" },
      "tiny-r": { __typename: "VerificationRefused", reason: "NO_BUNDLE", field: "modelFingerprint" },
    });
    expect(await counts()).toEqual(before);
    for (const entryId of pair.entryIds)
      expect(
        (await db.prisma.leaderboardEntry.findUniqueOrThrow({ where: { id: entryId } })).provenance,
      ).toBe("submitted");
  }, 420_000);

  it("never ranks entries of different protocol keys or dataset fingerprints together", async () => {
    bearer = submitter.token;
    for (const runIndex of [2, 3]) {
      const answer = await submitRun(
        readFileSync(path.join(work, "remote", "runs", remote.runIds[runIndex]!, "run.json"), "utf8"),
      );
      expect(answer.__typename).toBe("SubmissionAccepted");
    }
    const nodes = await rowsOf({ sort: { metric: "mrr" } });
    const boards = new Map<string, typeof nodes>();
    for (const n of nodes) boards.set(n.board.key, [...(boards.get(n.board.key) ?? []), n]);
    expect(boards.size).toBe(3);
    const protocolAndData = new Set<string>();
    for (const [, members] of boards) {
      const keys = new Set(members.map((n) => `${n.board.protocolKey}/${n.board.datasetFingerprint}`));
      expect(keys.size).toBe(1);
      protocolAndData.add([...keys][0]!);
      // ranks count only the board's own entries
      const ranked = members.filter((n) => n.rankLabel !== null);
      expect(Math.max(...ranked.map((n) => n.rankHigh!))).toBeLessThanOrEqual(ranked.length);
      expect(new Set(ranked.map((n) => n.rankLow)).has(1)).toBe(true);
    }
    expect(protocolAndData.size).toBe(3);
    const single = [...boards.values()].filter((m) => m.length === 1);
    expect(single).toHaveLength(2);
    for (const [n] of single) expect(n!.rankLabel).toBe("1");
  }, 60_000);

  it("exports CSV and JSON of a filtered view with permalink and asOf, the permalink re-opens to the same rows, and formula cells are neutralised", async () => {
    const json = await fetch(`${url}/leaderboard/export.json?metric=mrr&provenance=VERIFIED,DISPUTED`);
    expect(json.status).toBe(200);
    const file = (await json.json()) as any;
    expect(file.permalink).toContain(`asOf=${encodeURIComponent(file.asOf)}`);
    expect(file.rows.length).toBe(2);
    const again = (await (await fetch(file.permalink)).json()) as any;
    expect(again.rows).toEqual(file.rows);
    const view = await rowsOf({
      filter: { provenance: ["VERIFIED", "DISPUTED"] },
      sort: { metric: "mrr" },
      asOf: file.asOf,
    });
    expect(view.map((n) => n.entry.entryId)).toEqual(
      file.rows.map((r: any[]) => r[file.columns.indexOf("entryId")]),
    );
    const csvUrl = file.permalink.replace("export.json", "export.csv");
    const csv = await (await fetch(csvUrl)).text();
    expect(csv.split("\n")[1]).toBe(`# asOf,${file.asOf}`);
    expect(csv).toContain("# permalink,");
    expect(await (await fetch(csvUrl)).text()).toBe(csv);
    // a name that reached the database before the submission checks (defence in depth): the CSV
    // cell is neutralised, the JSON keeps the value
    const entryId = file.rows[0][file.columns.indexOf("entryId")];
    const prisma = services!.db.prisma;
    const original = (await prisma.leaderboardEntry.findUniqueOrThrow({ where: { id: entryId } })).modelName;
    await prisma.leaderboardEntry.update({ where: { id: entryId }, data: { modelName: "=HYPERLINK(1)" } });
    try {
      const hostile = await (await fetch(csvUrl)).text();
      expect(hostile).toContain("'=HYPERLINK(1)");
      expect(hostile).not.toMatch(/(^|,)=HYPERLINK/m);
    } finally {
      await prisma.leaderboardEntry.update({ where: { id: entryId }, data: { modelName: original } });
    }
    const bad = await fetch(`${url}/leaderboard/export.csv?asOf=yesterday`);
    expect(bad.status).toBe(400);
  });
});
