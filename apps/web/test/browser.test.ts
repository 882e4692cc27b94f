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
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 100 });
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
    web = await startWeb(api.url);
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

    await page.locator("#model-tiny-b").check();
    await page.getByTestId("column-tiny-b").waitFor();
    expect(new URL(page.url()).searchParams.get("models")).toBe("tiny,tiny-b");
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
