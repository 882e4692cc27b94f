import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EmbeddedVectorStore } from "../src/embedded.ts";
import { defineContract } from "./contract.ts";

const dir = mkdtempSync(path.join(tmpdir(), "cxr-store-contract-"));

defineContract("embedded", {
  open: async () => EmbeddedVectorStore.open(dir, { scanThreads: 1 }),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});
