// Child process for the kill -9 test: ingests a manifest slowly (one study every 40 ms) and prints
// its progress, so that the parent can kill it mid-way.
import { openDatabase } from "@cxr/db";
import { manifest } from "../../src/adapters/manifest.ts";
import { ingest } from "../../src/ingest.ts";
import type { DatasetSource } from "../../src/types.ts";

const [file, root] = process.argv.slice(2);
const database = await openDatabase({ database: { kind: "sqlite", url: `file:${file}`, file: file! } });
const inner = manifest(root!);
const slow: DatasetSource = {
  ...inner,
  async *events() {
    for await (const event of inner.events()) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      yield event;
    }
  },
};
await ingest(database.prisma, slow, {
  name: "killed",
  concurrency: 1,
  onProgress: (p) => process.stdout.write(`progress ${p.processed}\n`),
});
process.stdout.write("finished\n");
await database.close();
