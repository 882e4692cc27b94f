export {
  type Config,
  ConfigError,
  type ExecutionProvider,
  loadConfig,
  parseHttpUrl,
  type QdrantReadConsistency,
  type QdrantSettings,
} from "./config.ts";
export { firstLine } from "./text.ts";
