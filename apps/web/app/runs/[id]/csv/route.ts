import { BenchmarkRunDocument } from "@cxr/api-client";
import { sentence, serverApi } from "../../../lib/api";
import { resultsCsv } from "../results";

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const { benchmarkRun } = await serverApi().request(BenchmarkRunDocument, { id: decodeURIComponent(id) });
    return new Response(resultsCsv(benchmarkRun), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="run-${benchmarkRun.runId}.csv"`,
      },
    });
  } catch (error) {
    return new Response(`${sentence(error)}\n`, { status: 404, headers: { "content-type": "text/plain" } });
  }
}
export const dynamic = "force-dynamic";
