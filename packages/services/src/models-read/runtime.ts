import { stat } from "node:fs/promises";
import path from "node:path";
import type { Database } from "@cxr/db";
import { type ExecutionProvider, readManifest } from "@cxr/encoders";
import { type EncoderCache, modelTable, requireModel } from "../index-job/model.ts";

/**
 * What a model runs on here and whether it can be loaded: for the API's model type and /readyz.
 */

/** The execution providers the model's sessions run on (loading it into the cache if needed); null when it cannot load. */
export async function modelProviders(
  db: Pick<Database, "prisma">,
  encoders: EncoderCache,
  modelId: string,
): Promise<{ image: ExecutionProvider; text: ExecutionProvider } | null> {
  const model = await requireModel(modelTable(db), modelId);
  try {
    return (await encoders.get(model)).info.providers;
  } catch {
    return null;
  }
}

/**
 * Whether every registered model's bundle is in place: manifest.json readable and valid, and
 * every file it lists present and not empty. Cheap (no hashing, no session): for readiness probes.
 */
export async function bundlesPresent(
  db: Pick<Database, "prisma">,
): Promise<{ ok: boolean; models: number; missing: string[] }> {
  const rows = await db.prisma.model.findMany({
    select: { id: true, bundlePath: true },
    orderBy: { id: "asc" },
  });
  const missing: string[] = [];
  for (const row of rows) {
    try {
      const manifest = await readManifest(row.bundlePath);
      for (const file of Object.keys(manifest.files)) {
        const info = await stat(path.join(row.bundlePath, file));
        if (!info.isFile() || info.size === 0) throw new Error("empty");
      }
    } catch {
      missing.push(row.id);
    }
  }
  return { ok: missing.length === 0, models: rows.length, missing };
}
