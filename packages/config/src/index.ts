export { mapLimit } from "./concurrency.ts";
export {
  type Config,
  ConfigError,
  type ExecutionProvider,
  loadConfig,
  parseHttpUrl,
  type QdrantReadConsistency,
  type QdrantSettings,
  type QueueSettings,
} from "./config.ts";
export { sha256Bytes, sha256File, sha256Hex } from "./hash.ts";
export { firstLine } from "./text.ts";
