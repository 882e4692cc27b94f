export { type ClassifiedError, classifyError } from "./classify.ts";
export { ERROR_KINDS, type ErrorKind, isServiceError, ServiceError } from "./service-error.ts";
