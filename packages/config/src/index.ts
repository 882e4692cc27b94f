export { type Config, ConfigError, type ExecutionProvider, loadConfig } from "./config.ts";
