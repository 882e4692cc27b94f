import { BenchmarkRunDocument } from "@cxr/api-client";
import { sentence, serverApi } from "../../../lib/api";

/**
 * The run as JSON: protocol, fingerprints, counts and every (model, level, direction) result with
 * its intervals, exactly as the API serves it, for tools that would rather not parse the CSV.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const { benchmarkRun } = await serverApi().request(BenchmarkRunDocument, { id: decodeURIComponent(id) });
    return new Response(`${JSON.stringify(benchmarkRun, null, 2)}\n`, {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="run-${benchmarkRun.runId}.json"`,
      },
    });
  } catch (error) {
    return new Response(`${sentence(error)}\n`, { status: 404, headers: { "content-type": "text/plain" } });
  }
}
export const dynamic = "force-dynamic";
