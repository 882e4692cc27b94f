export {
  type Config,
  ConfigError,
  type ExecutionProvider,
  loadConfig,
  parseHttpUrl,
} from "./config.ts";
export { firstLine } from "./text.ts";
