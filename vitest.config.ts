import { defineConfig } from "vitest/config";

// Three tiers (docs/testing.md):
// - unit: packages/*/test/**/*.test.ts, in memory or on temporary files: no database server, no
//   Prisma database, no child process, no Python. `pnpm test:unit` runs it in seconds.
// - integration: packages/*/test/**/*.integration.test.ts: real SQLite and PostgreSQL, real ONNX
//   Runtime sessions, child processes killed mid-write, Debian's PyTorch for parity.
// - e2e: test/** and apps/*/test/**: the `cxr` command, the API server, the web UI, end to end.
const shared = {
  // The machines have 2 cores; files that touch the same PostgreSQL use their own databases.
  pool: "forks" as const,
  maxWorkers: 2,
  // Budgets are guards against hangs, not speed checks: CI runs on a shared 2-core machine where a
  // test that takes 30 s idle took over 60 s under load. Speed is measured in bench/, never here.
  testTimeout: 300_000,
  hookTimeout: 300_000,
};

export default defineConfig({
  test: {
    ...shared,
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: ["packages/*/test/**/*.integration.test.ts"],
        },
      },
      {
        test: { ...shared, name: "integration", include: ["packages/*/test/**/*.integration.test.ts"] },
      },
      {
        test: { ...shared, name: "e2e", include: ["test/**/*.test.ts", "apps/*/test/**/*.test.ts"] },
      },
    ],
  },
});
