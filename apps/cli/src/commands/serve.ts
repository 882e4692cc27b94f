import type { Command } from "commander";
import { config } from "../context.ts";
import { CliError } from "../errors.ts";

/**
 * `cxr serve`: starts the GraphQL API (apps/api) on 127.0.0.1:CXR_API_PORT (4000) unless told
 * otherwise, and shuts it down gracefully on SIGTERM: it stops accepting, finishes the requests in
 * flight, then closes the database and the vector store. Bound to any other address than loopback
 * with no access token created, it refuses to start (exit 2) unless given --allow-open.
 */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description(
      "start the GraphQL API (POST /graphql, POST /uploads, GET /images/:id, /healthz, /readyz, /metrics)",
    )
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port to listen on (default: CXR_API_PORT, 4000)")
    .option(
      "--allow-open",
      "on an address other than loopback, serve reports, images and search without tokens when none exist (otherwise it refuses to start)",
    )
    .action(async (opts: { host: string; port?: string; allowOpen?: boolean }) => {
      const cfg = config();
      let port = cfg.apiPort;
      if (opts.port !== undefined) {
        if (!/^\d+$/.test(opts.port) || Number(opts.port) < 1 || Number(opts.port) > 65535) {
          throw new CliError(`--port must be 1..65535, got "${opts.port}"`);
        }
        port = Number(opts.port);
      }
      // loaded here, not at the top: every other command would otherwise pay for Apollo and express
      const { openApiServices, startApiServer } = await import("@cxr/api");
      const services = await openApiServices(cfg);
      let server: Awaited<ReturnType<typeof startApiServer>>;
      try {
        server = await startApiServer(services, {
          host: opts.host,
          port,
          ...(opts.allowOpen ? { access: { allowOpen: true } } : {}),
        });
      } catch (error) {
        await services.close();
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") throw new CliError(`${opts.host}:${port} is already in use (--port)`);
        if (code === "EADDRNOTAVAIL")
          throw new CliError(`${opts.host} is not an address of this machine (--host)`);
        throw error;
      }
      process.stderr.write(`cxr: API listening on ${server.url}/graphql\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", () => {
          process.stderr.write("cxr: SIGTERM: finishing requests in flight, then stopping\n");
          server.close().then(resolve, resolve);
        });
      });
    });
}
