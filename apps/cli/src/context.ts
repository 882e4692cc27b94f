import { type Config, loadConfig } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { openVectorStore, type VectorStore } from "@cxr/store";

let cached: Config | undefined;

/** The configuration, read and validated once per process (a bad value throws ConfigError). */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Prints either JSON (for machines, on stdout, nothing else there) or human text. */
export function output(asJson: boolean | undefined, data: unknown, human: () => string): void {
  if (asJson) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** Opens the database (migrating it on first use) for one command, and closes it whatever happens. */
export async function withDatabase<T>(run: (db: Database, cfg: Config) => Promise<T>): Promise<T> {
  const cfg = config();
  const db = await openDatabase(cfg);
  try {
    return await run(db, cfg);
  } finally {
    await db.close();
  }
}

/** The database and the configured vector store, for commands that need both. */
export async function withServices<T>(
  run: (db: Database, store: VectorStore, cfg: Config) => Promise<T>,
): Promise<T> {
  return withDatabase(async (db, cfg) => {
    const store = openVectorStore(cfg);
    try {
      return await run(db, store, cfg);
    } finally {
      await store.close();
    }
  });
}
