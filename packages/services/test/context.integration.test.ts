import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { afterAll, expect, it } from "vitest";
import { health, listDatasets, openServices } from "../src/index.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshConfig() {
  const dir = mkdtempSync(path.join(tmpdir(), "cxr-services-"));
  dirs.push(dir);
  return loadConfig({ CXR_DATA_DIR: dir }, dir);
}

it("opens nothing until asked, shares one database and one store, and closes once", async () => {
  const config = freshConfig();
  const services = openServices(config);
  // health needs no database file and does not create the embedded store
  const report = await health(services);
  expect(report.vectorStore).toMatchObject({ kind: "embedded", reachable: null });
  expect(existsSync(path.join(config.dataDir, "vectors"))).toBe(false);

  const [a, b] = await Promise.all([services.database(), services.database()]);
  expect(a).toBe(b);
  expect(await listDatasets(services)).toEqual([]);
  expect(services.store()).toBe(services.store());

  await services.close();
  await services.close(); // a second close does nothing
  expect(() => services.database()).toThrow(/closed/);
});
