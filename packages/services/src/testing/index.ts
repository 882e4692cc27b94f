// Test support for this package and the end-to-end tests (not for production code).
export * from "./hub-fixture.ts";
export * from "./index-fixture.ts";
