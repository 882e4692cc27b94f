import path from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  // The workspace root, so Next does not guess it from lockfiles above the repository.
  outputFileTracingRoot: path.join(import.meta.dirname, "../.."),
  turbopack: { root: path.join(import.meta.dirname, "../..") },
  poweredByHeader: false,
  reactStrictMode: true,
};
export default config;
