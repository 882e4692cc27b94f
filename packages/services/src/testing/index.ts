// Test support for this package and the end-to-end tests (not for production code).

// The lower packages' test kits, so that a face's tests (apps/**) need no import below services.
export { postgresAvailable, type TempDatabase, tempDatabase } from "@cxr/db/testing";
export { writeTinyBundle } from "@cxr/encoders/testing";
// The benchmark's cell order, so a face's test can check served occlusion cells independently.
export { cellPermutation } from "@cxr/eval";
export * from "./hub-fixture.ts";
// The leaderboard's ranks with uncertainty, computed the long way (an oracle for ranking.ts).
export * from "./independent-ranking.ts";
export * from "./index-fixture.ts";
