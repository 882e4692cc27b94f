import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuild, startApi, startWeb, WEB } from "./servers";

/**
 * The web UI in Debian's Chromium (playwright-core) against the real API (in process, free port,
 * tiny real models, an indexed seeded dataset, a benchmark run) and the real production Next.js
 * server (`next build` when the sources changed, then `next start` on a free port). Screenshots of
 * each page go to apps/web/test-artifacts/ (ignored by git).
 */
const CHROMIUM = process.env.CXR_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.join(WEB, "test-artifacts");
/** Waits for what the page shows; generous because the machine running the suite may be loaded. */
const poll = <T>(read: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(read, { timeout: 30_000, interval: 100, ...options });
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

describe.skipIf(!haveChromium)("the web UI in Chromium", () => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-web-"));
  let api: Awaited<ReturnType<typeof startApi>>;
  let web: Awaited<ReturnType<typeof startWeb>>;
  let browser: Browser;
  let context: BrowserContext;
  let testImage = "";
  let testStudy = "";

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    api = await startApi(work);
    const first = api.seeded.images.find((im) => im.externalId.startsWith("s0004_0"))!;
    testImage = first.path;
    testStudy = "s0004";
    ensureBuild();
    web = await startWeb(api.url, api.tokens.read);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
      ],
    });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await web?.close();
    await api?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function axe(page: Page, name: string) {
    await page.addScriptTag({ content: AXE });
    const violations = (await page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page at run time
      const result = await (window as any).axe.run(document, { resultTypes: ["violations"] });
      return result.violations.map((v: { id: string; impact: string; nodes: { target: string[] }[] }) => ({
        id: v.id,
        impact: v.impact,
        targets: v.nodes.map((n) => n.target.join(" ")),
      }));
    })) as { id: string; impact: string; targets: string[] }[];
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad, `${name}: ${JSON.stringify(bad)}`).toEqual([]);
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  const columnText = (page: Page, model: string) => page.getByTestId(`column-${model}`).textContent();

  it("uploads by file chooser, compares two models, moves the slider to 0.3 and back, shows the true rank", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/`);
    await poll(() => page.locator("#model-tiny").isChecked()).toBe(true);
    const chooser = page.waitForEvent("filechooser");
    await page.locator("#query-file").click();
    await (await chooser).setFiles(testImage);
    await page.waitForURL(/q=upload%3A|q=upload:/);
    await page.getByTestId("column-tiny").waitFor();
    // the uploaded copy of an indexed image: its study is found, and each model ranks its report
    await page.getByTestId("true-rank").waitFor();
    expect(await page.getByTestId("true-rank").textContent()).toContain(testStudy);
    expect(await page.getByTestId("true-rank-tiny").textContent()).toMatch(/^\d+$/);

    // the box stays ticked at once, while the URL (the shareable view) catches up
    await page.locator("#model-tiny-b").check();
    await page.getByTestId("column-tiny-b").waitFor();
    await poll(() => new URL(page.url()).searchParams.get("models")).toBe("tiny,tiny-b");
    const before = await columnText(page, "tiny-b");

    // keyboard on the slider: three steps of 0.1
    await page.locator("#occlusion-level").focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
    await page.waitForURL(/level=0\.3/);
    await poll(() => page.getByTestId("hidden-cells").textContent()).toMatch(/^19 of 64 cells hidden/);
    expect(await page.locator(".query-preview .cell").count()).toBe(19);
    await poll(() => page.getByTestId("true-rank-tiny-b").textContent()).toMatch(/^\d+$/);
    await shot(page, "search-occluded");
    await axe(page, "search");

    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowLeft");
    await poll(() => new URL(page.url()).searchParams.get("level")).toBeNull();
    await poll(() => page.getByTestId("hidden-cells").textContent()).toMatch(/^0 of 64/);
    await poll(() => columnText(page, "tiny-b")).toBe(before);

    // a shared URL gives the same view
    const shared = page.url();
    const other = await context.newPage();
    await other.goto(shared);
    await other.getByTestId("column-tiny-b").waitFor();
    await poll(() => columnText(other, "tiny-b")).toBe(before);
    expect(await other.locator("#model-tiny-b").isChecked()).toBe(true);
    await other.close();
    await page.close();
  });

  it("uploads by drop", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/`);
    await poll(() => page.locator("#model-tiny").isChecked()).toBe(true);
    const b64 = readFileSync(testImage).toString("base64");
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], "chest.png", { type: "image/png" }));
      const zone = document.querySelector('[data-testid="dropzone"]')!;
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, b64);
    await page.waitForURL(/q=upload/);
    await page.getByTestId("column-tiny").waitFor();
    expect(await page.getByTestId("true-rank").textContent()).toContain(testStudy);
    await page.close();
  });

  it("refuses a file that is not an image, in a sentence", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/`);
    await page
      .locator("#query-file")
      .setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
    await expect
      .poll(() => page.getByRole("alert").first().textContent())
      .toMatch(/not an image we can read/);
    await page.close();
  });

  it("searches by text with the keyboard only; answers are images", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/`);
    await poll(() => page.locator("#model-tiny").isChecked()).toBe(true);
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(() => document.activeElement?.id === "query-text")) break;
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("query-text");
    await page.keyboard.type("pleural effusion");
    await page.keyboard.press("Enter");
    await page.waitForURL(/q=text/);
    await page.getByTestId("column-tiny").waitFor();
    expect(await page.getByTestId("column-tiny").locator("img").count()).toBeGreaterThan(0);
    await shot(page, "search-text");
    await page.close();
  });

  it("opens a run, shows its tables and curves, downloads its CSV", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/runs`);
    await shot(page, "runs");
    await axe(page, "runs");
    await page.locator("table a").first().click();
    await page.getByRole("heading", { name: "Protocol" }).waitFor();
    await page.locator(".uplot").first().waitFor();
    expect(await page.locator("table").count()).toBeGreaterThan(0);
    await shot(page, "run");
    await axe(page, "run");
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download results (CSV)" }).click();
    const file = await (await download).path();
    const csv = readFileSync(file, "utf8").trim().split("\n");
    expect(csv[0]).toBe(
      "run,model,model_fingerprint,direction,level,queries,candidates,metric,value,low,high",
    );
    // 2 models x 2 directions x 3 levels, at least one metric each
    expect(csv.length - 1).toBeGreaterThanOrEqual(12);
    const jsonDownload = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download run (JSON)" }).click();
    const run = JSON.parse(readFileSync(await (await jsonDownload).path(), "utf8"));
    expect(run.runId).toBe(csv[1]!.split(",")[0]);
    // the same results as the CSV: one record per (model, level, direction), with intervals
    expect(run.results.length).toBeGreaterThanOrEqual(12);
    expect(run.results[0].metrics[0]).toMatchObject({ value: expect.any(Number), low: expect.any(Number) });
    await page.close();
  });

  it("shows models and datasets with a paged study browser", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/models`);
    await page.getByRole("heading", { name: /tiny-b/ }).waitFor();
    expect(await page.getByText("Intended use and limits").count()).toBe(2);
    await shot(page, "models");
    await axe(page, "models");
    await page.goto(`${web.url}/datasets`);
    await page.getByRole("link", { name: "set", exact: true }).click();
    await page.getByText("15 studies").waitFor();
    await page.getByRole("link", { name: "Next page" }).click();
    await page.waitForURL(/after=/);
    await shot(page, "dataset");
    await axe(page, "dataset");
    // a thumbnail searches with that indexed image: its preview shows and its report is ranked
    await page.locator("table a img").first().click();
    await page.waitForURL(/q=image/);
    await page.getByTestId("true-rank").waitFor();
    const preview = page.getByTestId("query-preview").locator("img");
    await poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(96);
    await page.goto(`${web.url}/datasets`);
    await shot(page, "datasets");
    await page.close();
  });

  it("pastes an image anywhere on the search page", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/`);
    await poll(() => page.locator("#model-tiny").isChecked()).toBe(true);
    const b64 = readFileSync(testImage).toString("base64");
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
      window.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }),
      );
    }, b64);
    await page.waitForURL(/q=upload/);
    await page.getByTestId("true-rank").waitFor();
    expect(await page.getByTestId("true-rank").textContent()).toContain(testStudy);
    await page.close();
  });

  it("sorts the runs list by keyboard", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/runs`);
    await page.getByRole("button", { name: "Sort by status" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/sort=status/);
    expect(
      await page
        .locator("th", { has: page.getByRole("button", { name: "Sort by status" }) })
        .getAttribute("aria-sort"),
    ).toBe("descending");
    await page.close();
  });

  /** The API's own view, for comparing what the page shows. */
  async function apiRows(variables: Record<string, unknown>) {
    const res = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `query($sort: LeaderboardSort, $asOf: String) { leaderboardEntries(sort: $sort, asOf: $asOf) {
          edges { node { rankLabel tieGroup entry { model } } } } }`,
        variables,
      }),
    });
    const body = (await res.json()) as {
      data: {
        leaderboardEntries: {
          edges: { node: { rankLabel: string; tieGroup: number; entry: { model: string } } }[];
        };
      };
    };
    return body.data.leaderboardEntries.edges.map((e) => e.node);
  }

  const boardRows = (page: Page) =>
    page.getByTestId("board-row").evaluateAll((rows) =>
      rows.map((r) => ({
        rank: r.querySelector('[data-testid="rank"]')?.textContent ?? "",
        model: r.querySelector('[data-testid="entry-link"]')?.textContent ?? "",
      })),
    );

  it("ranks the published board with tie groups, sorts by keyboard, exports CSV, re-opens a pinned permalink, opens an entry", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/leaderboard`);
    await page.getByTestId("board").waitFor();
    // the fixture's run published: its two models are two entries of one board
    expect(await page.getByTestId("board-row").count()).toBe(2);
    const recall = page.locator("th", {
      has: page.getByRole("button", { name: "Sort by recall@1", exact: true }),
    });
    expect(await recall.getAttribute("aria-sort")).toBe("descending");

    // sort by MRR with the keyboard only: the header is a real button
    await page.getByRole("button", { name: "Sort by mrr", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/metric=mrr/);
    const mrr = page.locator("th", { has: page.getByRole("button", { name: "Sort by mrr", exact: true }) });
    await poll(() => mrr.getAttribute("aria-sort")).toBe("descending");
    expect(await recall.getAttribute("aria-sort")).toBeNull();
    // the ranks and tie groups shown are the API's ("1-2" for entries not significantly different)
    const shown = await boardRows(page);
    const expected = await apiRows({ sort: { metric: "mrr" } });
    expect(shown).toEqual(expected.map((r) => ({ rank: r.rankLabel, model: r.entry.model })));
    for (const r of shown) expect(r.rank).toMatch(/^[12](-2)?$/);
    if (expected[0]!.tieGroup === expected[1]!.tieGroup)
      expect(shown.map((r) => r.rank)).toEqual(["1-2", "1-2"]);
    await page.locator(".uplot").first().waitFor();
    await shot(page, "leaderboard");
    await axe(page, "leaderboard");

    // CSV of the filtered view, with its as-of time and permalink inside
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export CSV" }).click();
    const csv = readFileSync(await (await download).path(), "utf8");
    expect(csv).toMatch(/# asOf,/);
    expect(csv).toContain("# permalink,");
    expect(csv).toContain("tiny-b");

    // the permalink pins asOf=now; reopened, the same rows
    await page.getByTestId("permalink").click();
    await page.waitForURL(/asOf=/);
    await page.getByTestId("pinned").waitFor();
    const asOf = new URL(page.url()).searchParams.get("asOf")!;
    const other = await context.newPage();
    await other.goto(page.url());
    await other.getByTestId("board").waitFor();
    expect(await boardRows(other)).toEqual(shown);
    expect(await boardRows(other)).toEqual(
      (await apiRows({ sort: { metric: "mrr" }, asOf })).map((r) => ({
        rank: r.rankLabel,
        model: r.entry.model,
      })),
    );
    await other.close();

    // an entry: per-level values with intervals, provenance, the per-query drill-down
    await page.getByTestId("entry-link").first().click();
    await page.getByRole("heading", { name: "Per level, with intervals" }).waitFor();
    expect(await page.getByTestId("cells-IMAGE_TO_TEXT").locator("tbody tr").count()).toBe(3);
    expect(await page.getByTestId("drilldown").textContent()).toMatch(/level 0 → 0\.3/);
    expect(await page.locator(".prov-verified").count()).toBe(1);
    await shot(page, "leaderboard-entry");
    await axe(page, "leaderboard entry");
    await page.close();
  });

  it("submits a run record: a tampered one is refused naming the field, the real one accepted with its entry link", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/leaderboard/submit`);
    await page.locator("#api-token").fill(api.tokens.submit);
    const text = readFileSync(api.recordFile, "utf8");
    const file = JSON.parse(text);
    file.results[2].ci.mrr.high = file.results[2].ci.mrr.high * (1 + Number.EPSILON) || Number.MIN_VALUE;
    await page.locator("#record-file").setInputFiles({
      name: "run.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(file)),
    });
    await poll(() => page.locator("#record-text").inputValue()).toContain('"results"');
    await page.getByRole("button", { name: "Submit" }).click();
    await poll(() => page.getByTestId("submit-answer").textContent()).toMatch(
      /Refused \(CLAIM_MISMATCH\).*first field that differs is results\[2\]\.ci\.mrr\.high/,
    );
    await shot(page, "leaderboard-submit-refused");
    await axe(page, "submit");
    await page
      .locator("#record-file")
      .setInputFiles({ name: "run.json", mimeType: "application/json", buffer: Buffer.from(text) });
    await page.getByRole("button", { name: "Submit" }).click();
    await poll(() => page.getByTestId("submit-answer").textContent()).toMatch(/Accepted/);
    await shot(page, "leaderboard-submit-accepted");
    await page
      .getByRole("link", { name: /^Entry / })
      .first()
      .click();
    await page.getByRole("heading", { name: "Per level, with intervals" }).waitFor();
    expect(await page.locator(".prov-submitted").count()).toBe(1);
    await page.close();
  });

  it("starts an index job with a run token typed in the page and shows its progress to completion", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/jobs`);
    await poll(() => page.locator("#index-model option").count()).toBe(2);
    // without a token of scope run: refused in a sentence
    await page.getByRole("button", { name: "Start index" }).click();
    await poll(() => page.getByTestId("job-message").textContent()).toMatch(
      /token with the run scope is needed/,
    );
    await page.locator("#api-token").fill(api.tokens.run);
    await page.locator("#index-model").selectOption("tiny");
    await page.locator("#index-modality").selectOption("REPORTS");
    await page.locator("#index-reindex").check();
    await page.getByRole("button", { name: "Start index" }).click();
    await poll(() => page.getByTestId("job-message").textContent()).toMatch(/Index started: job \S+ is/);
    const row = page.getByTestId("jobs").locator("tbody tr").first();
    await poll(() => row.getByTestId("job-status").textContent(), { timeout: 120_000 }).toMatch(/^completed/);
    expect(await row.getByTestId("job-progress").textContent()).toMatch(/(\d+) \/ \1 /);
    await shot(page, "jobs");
    await axe(page, "jobs");
    await page.close();
  });

  it("keeps each page's first-load JavaScript under the budget in apps/web/README.md", () => {
    const result = spawnSync(process.execPath, [path.join(WEB, "scripts/first-load.mjs"), "--json"], {
      encoding: "utf8",
    });
    const rows = JSON.parse(result.stdout) as { route: string; kB: number; budget: number }[];
    expect(rows.map((r) => r.route)).toContain("/");
    for (const row of rows) expect(row.kB, row.route).toBeLessThanOrEqual(row.budget);
    expect(result.status).toBe(0);
  });
});
