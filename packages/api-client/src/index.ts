export {
  type ApiClient,
  ApiError,
  type ApiErrorKind,
  type ClientOptions,
  createClient,
  type UploadResult,
} from "./client.ts";
export * from "./generated/graphql.ts";
