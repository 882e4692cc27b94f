import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

/**
 * The CLI is a face: it reaches the product through @cxr/services and @cxr/config only, so the API
 * and later faces get every use case it has (docs/architecture.md). Biome's noRestrictedImports
 * (biome.json, override for apps/**) says the same at lint time.
 */
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BELOW = /from\s+"(@cxr\/(?:db|store|encoders|datasets|eval)(?:\/[^"]*)?|[^"]*\/packages\/[^"]*)"/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [path.join(dir, e.name)]
        : [],
  );
}

it("imports nothing below @cxr/services", () => {
  const found = sources(path.join(cli, "src")).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(BELOW)].map((m) => `${path.relative(cli, file)}: ${m[1]}`),
  );
  expect(found).toEqual([]);
});

it("depends on @cxr/services and @cxr/config only among the product's packages", () => {
  const pkg = JSON.parse(readFileSync(path.join(cli, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  expect(
    Object.keys(pkg.dependencies)
      .filter((d) => d.startsWith("@cxr/"))
      .sort(),
  ).toEqual(["@cxr/config", "@cxr/services"]);
});
