import { BenchmarkRunDocument } from "@cxr/api-client";
import { sentence, serverApi } from "../../lib/api";
import type { Run } from "./results";

/**
 * A run's file download (the CSV and JSON routes beside this file): the run as the API serves it,
 * rendered by `render`, as an attachment named after the run; an unknown run or an API failure is
 * a 404 with the sentence the pages show.
 */
export async function downloadRun(
  id: string,
  format: { extension: string; contentType: string; render: (run: Run) => string },
): Promise<Response> {
  try {
    const { benchmarkRun } = await serverApi().request(BenchmarkRunDocument, { id: decodeURIComponent(id) });
    return new Response(format.render(benchmarkRun), {
      headers: {
        "content-type": format.contentType,
        "content-disposition": `attachment; filename="run-${benchmarkRun.runId}.${format.extension}"`,
      },
    });
  } catch (error) {
    return new Response(`${sentence(error)}\n`, { status: 404, headers: { "content-type": "text/plain" } });
  }
}
