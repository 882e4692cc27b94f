export { ConfigError, loadConfig, type Config, type ExecutionProvider } from "./config.ts";
