import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResumeKey, ResumeStore } from "./engine.ts";
import { sha256Hex } from "./hash.ts";
import type { ResultRecord } from "./records.ts";

/**
 * A ResumeStore in a folder, for callers without a database: one JSON file per finished
 * (model, level) cell, `<root>/<runKey>/<sha256(modelId, fingerprint, level)[0:24]>.json`, written via a
 * temporary file and a rename so a kill never leaves half a cell.
 */
export class FileResumeStore implements ResumeStore {
  constructor(readonly root: string) {}

  path(key: ResumeKey): string {
    const cell = sha256Hex(JSON.stringify([key.modelId, key.modelFingerprint, key.level])).slice(0, 24);
    return join(this.root, key.runKey, `${cell}.json`);
  }

  async load(key: ResumeKey): Promise<ResultRecord[] | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), "utf8")) as ResultRecord[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      // A cell cut short (e.g. a power loss after the rename, before the data reached the disk) is
      // recomputed rather than failing every resume of the run.
      if (err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  async save(key: ResumeKey, records: ResultRecord[]): Promise<void> {
    const file = this.path(key);
    await mkdir(join(this.root, key.runKey), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(records));
    await rename(tmp, file);
  }
}
