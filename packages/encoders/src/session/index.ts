/** ONNX Runtime's tensor class, for callers that drive a created session directly (bench/encode). */
export { Tensor as OrtTensor } from "onnxruntime-node";
export {
  type CreatedSession,
  createSession,
  EXECUTION_PROVIDERS,
  type ExecutionProvider,
  onnxRuntime,
  type ProviderAttempt,
  planProviders,
  providerErrorReason,
  SessionCreateError,
  type SessionFactoryOptions,
  type SessionLogger,
  type SessionRuntime,
  sessionOptionsFor,
  stderrLogger,
} from "./factory.ts";
export { type ProviderProbe, probeExecutionProviders } from "./probe.ts";
