export {
  type Logger,
  type OpenServicesOptions,
  openServices,
  type Services,
  silentLogger,
  withServices,
} from "./open.ts";
