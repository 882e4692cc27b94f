import { exportView } from "@cxr/services";
import type express from "express";
import type { Request, Response } from "express";
import type { ApiServices } from "../../context.ts";
import { toHttpError } from "../../errors.ts";
import { viewQueryOf } from "./resolvers.ts";

/**
 * GET /leaderboard/export.csv and /leaderboard/export.json: the filtered view of
 * `leaderboardEntries` as a file, public like every leaderboard read. Query parameters: board,
 * dataset, split, textField, corruption, provenance (comma-separated, e.g. VERIFIED,SUBMITTED),
 * license, inDomain (true/false), metric, level, direction (IMAGE_TO_TEXT/TEXT_TO_IMAGE), asOf.
 * The file carries its permalink: this URL with asOf pinned, which re-opens to the same rows.
 */
export function registerLeaderboardRoutes(app: express.Express, services: ApiServices): void {
  const handler = (format: "csv" | "json") => async (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const str = (name: string) =>
      typeof q[name] === "string" && q[name] !== "" ? (q[name] as string) : null;
    try {
      const level = str("level");
      const inDomain = str("inDomain");
      const query = viewQueryOf({
        filter: {
          board: str("board"),
          dataset: str("dataset"),
          split: str("split"),
          textField: str("textField"),
          corruption: str("corruption"),
          provenance: str("provenance")?.split(",").filter(Boolean) ?? null,
          license: str("license"),
          inDomain: inDomain === null ? null : inDomain === "true",
        },
        sort: {
          metric: str("metric"),
          level: level === null ? null : Number(level),
          direction: str("direction") ?? "IMAGE_TO_TEXT",
        },
        asOf: str("asOf"),
      });
      const permalink = (asOf: string) => {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(q)) if (typeof v === "string" && k !== "asOf") params.set(k, v);
        params.set("asOf", asOf);
        return `${req.protocol}://${req.get("host") ?? "localhost"}${req.baseUrl}${req.path}?${params}`;
      };
      const out = await exportView(services.db, query, permalink);
      res.setHeader(
        "content-type",
        format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      );
      res.setHeader("content-disposition", `attachment; filename="leaderboard.${format}"`);
      res.send(format === "csv" ? out.csv : out.json);
    } catch (error) {
      const { status, body } = toHttpError(error);
      res.status(status).json(body);
    }
  };
  app.get("/leaderboard/export.csv", handler("csv"));
  app.get("/leaderboard/export.json", handler("json"));
}
