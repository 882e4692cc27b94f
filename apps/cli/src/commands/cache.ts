import { listCorruptionCache, pruneCorruptionCache } from "@cxr/services";
import type { Command } from "commander";
import { config, output } from "../context.ts";
import { CliError } from "../errors.ts";

/** `cxr cache list|prune`: thin commands over @cxr/services' corruption-cache use cases. */

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

export function registerCacheCommands(program: Command): void {
  const cache = program
    .command("cache")
    .description(
      "the corruption cache of `cxr bench` (<CXR_DATA_DIR>/corruptions: rendered images as PNGs, per protocol key)",
    );

  cache
    .command("list")
    .description("what the cache holds per protocol key: files, size, last use")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const listing = await listCorruptionCache(config());
      output(opts.json, listing, () =>
        listing.protocols.length === 0
          ? `${listing.root}: empty`
          : [
              `${listing.root}: ${listing.files} images, ${mb(listing.bytes)}`,
              ...listing.protocols.map(
                (p) =>
                  `  ${p.protocolKey.slice(0, 16)}  ${p.files} images  ${mb(p.bytes)}  last used ${p.lastUsed ?? "–"}`,
              ),
            ].join("\n"),
      );
    });

  cache
    .command("prune")
    .description("remove cached images: all, one protocol key's, or the least recently used down to a size")
    .option("--protocol-key <key>", "only this protocol key's images (a prefix of 8+ characters will do)")
    .option("--keep-mb <n>", "keep at most this many MB, least recently used removed first (default 0: all)")
    .option("--json", "print as JSON")
    .action(async (opts: { protocolKey?: string; keepMb?: string; json?: boolean }) => {
      let maxBytes = 0;
      if (opts.keepMb !== undefined) {
        if (!/^\d+$/.test(opts.keepMb.trim()))
          throw new CliError(`--keep-mb expects a whole number, got "${opts.keepMb}"`);
        maxBytes = Number(opts.keepMb) * 1024 ** 2;
      }
      const result = await pruneCorruptionCache(config(), {
        maxBytes,
        ...(opts.protocolKey === undefined ? {} : { protocolKey: opts.protocolKey }),
      });
      output(
        opts.json,
        result,
        () =>
          `${result.root}: removed ${result.removedFiles} images (${mb(result.removedBytes)}); ${result.left.files} images (${mb(result.left.bytes)}) left`,
      );
    });
}
