import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // The machines have 2 cores; files that touch the same PostgreSQL use their own databases.
    pool: "forks",
    maxWorkers: 2,
    // Budgets are guards against hangs, not speed checks: CI runs on a shared 2-core machine where a
    // test that takes 30 s idle took over 60 s under load. Speed is measured in bench/, never here.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
