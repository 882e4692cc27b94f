import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { BenchError } from "./errors.ts";

/**
 * One benchmark writer per run: a lock file `<dataDir>/locks/bench-<key>.lock`, created exclusively
 * (O_EXCL) before the run is looked up or created, holding the owner's pid, host and start time. A
 * second identical `cxr bench` finds it and stops with RUN_IN_PROGRESS (exit 2, as a second
 * `cxr index` of the same job does). A lock whose owner is gone (same host, pid no longer alive: a
 * killed process) is taken over, so kill -9 and resume still works. A lock left by a process on
 * another host sharing the data folder is only released by that process or by deleting the file.
 */

interface Holder {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readHolder(file: string): Promise<{ raw: string; holder: Holder | null } | null> {
  try {
    const raw = await readFile(file, "utf8");
    try {
      return { raw, holder: JSON.parse(raw) as Holder };
    } catch {
      return { raw, holder: null };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Takes the run lock for `key` (a hex digest of what identifies the run); returns its release. */
export async function acquireBenchLock(
  dataDir: string,
  key: string,
  what: string,
): Promise<{ file: string; release: () => Promise<void> }> {
  const dir = path.join(dataDir, "locks");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `bench-${key.slice(0, 32)}.lock`);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx");
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      const release = async () => {
        const now = await readHolder(file);
        // Only our own lock: never one a later owner took over.
        if (now?.holder?.pid === me.pid && now.holder.host === me.host && now.holder.since === me.since)
          await unlink(file).catch(() => {});
      };
      return { file, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const seen = await readHolder(file);
    if (seen === null) continue; // released meanwhile
    const h = seen.holder;
    const stale = h !== null && h.host === me.host && h.pid !== me.pid && !alive(h.pid);
    if (stale) {
      // Delete only what was read: a lock another process just took over stays.
      const again = await readHolder(file);
      if (again?.raw === seen.raw) await unlink(file).catch(() => {});
      continue;
    }
    throw new BenchError(
      "RUN_IN_PROGRESS",
      `${what} is being run by another process (${h ? `pid ${h.pid} on ${h.host} since ${h.since}` : "unknown owner"}): let it finish, then run the same command again to get its results${h && h.host !== me.host ? `; if that process is gone, delete ${file}` : ""}`,
    );
  }
  throw new BenchError("RUN_IN_PROGRESS", `${what}: could not take the run lock ${file}`);
}
