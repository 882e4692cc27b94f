import { createToken, listTokens, revokeToken, TOKEN_SCOPES } from "@cxr/services";
import type { Command } from "commander";
import { output, withServices } from "../context.ts";

/**
 * `cxr tokens create|list|revoke`: API access tokens (@cxr/services' tokens use cases). The secret
 * is printed once, by `create`, and never again: only its hash is kept.
 */
export function registerTokenCommands(program: Command): void {
  const tokens = program
    .command("tokens")
    .description(`API access tokens (Authorization: Bearer; scopes ${TOKEN_SCOPES.join(", ")})`);

  tokens
    .command("create")
    .description("create a token and print it once (only its hash is stored)")
    .requiredOption("--scopes <list>", `comma-separated: ${TOKEN_SCOPES.join(", ")} (admin implies all)`)
    .option("--name <name>", "a label to recognise it by in `cxr tokens list`")
    .option("--json", "print as JSON")
    .action(async (opts: { scopes: string; name?: string; json?: boolean }) => {
      const created = await withServices(async (services) =>
        createToken(await services.database(), {
          scopes: opts.scopes,
          ...(opts.name === undefined ? {} : { name: opts.name }),
        }),
      );
      output(opts.json, created, () =>
        [
          created.token,
          `token ${created.id}${created.name ? ` (${created.name})` : ""}, scopes ${created.scopes.join(",")}: shown once, copy it now`,
        ].join("\n"),
      );
    });

  tokens
    .command("list")
    .description("every token: id, name, scopes, created, last used, revoked (never the secret)")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const list = await withServices(async (services) => listTokens(await services.database()));
      output(opts.json, list, () =>
        list.length === 0
          ? "no tokens (on loopback the API is open; create one with `cxr tokens create --scopes read`)"
          : list
              .map(
                (t) =>
                  `${t.id}  ${(t.name ?? "-").padEnd(16)}  ${t.scopes.join(",").padEnd(20)}  created ${t.createdAt.toISOString()}  ${
                    t.revokedAt
                      ? `revoked ${t.revokedAt.toISOString()}`
                      : `last used ${t.lastUsedAt?.toISOString() ?? "never"}`
                  }`,
              )
              .join("\n"),
      );
    });

  tokens
    .command("revoke <id>")
    .description("revoke a token: the next request with it is refused")
    .option("--json", "print as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const revoked = await withServices(async (services) => revokeToken(await services.database(), id));
      output(opts.json, revoked, () => `token ${revoked.id} revoked at ${revoked.revokedAt?.toISOString()}`);
    });
}
