import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

/**
 * The CLI and the API are faces: they reach the product through @cxr/services and @cxr/config only,
 * so every face gets every use case (docs/architecture.md). Biome's noRestrictedImports (biome.json,
 * override for apps/**) says the same at lint time. The CLI may also start the API (`cxr serve`);
 * the API's end-to-end tests drive it with the typed client generated from its schema (a face of its
 * own, above the API, never below services).
 */
const apps = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FACES: Record<string, string[]> = {
  cli: ["@cxr/api", "@cxr/config", "@cxr/services"],
  api: ["@cxr/api-client", "@cxr/config", "@cxr/services"],
};
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

it.each(Object.keys(FACES))("%s imports nothing below @cxr/services", (face) => {
  const root = path.join(apps, face);
  const found = ["src", "test"].flatMap((dir) =>
    sources(path.join(root, dir)).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(BELOW)].map((m) => `${path.relative(root, file)}: ${m[1]}`),
    ),
  );
  expect(found).toEqual([]);
});

it.each(Object.entries(FACES))("%s depends on %j only among the product's packages", (face, allowed) => {
  const pkg = JSON.parse(readFileSync(path.join(apps, face, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  expect(
    Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
      .filter((d) => d.startsWith("@cxr/"))
      .sort(),
  ).toEqual(allowed);
});
