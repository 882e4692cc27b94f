import { downloadRun } from "../download";
import { resultsCsv } from "../results";

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return downloadRun(id, { extension: "csv", contentType: "text/csv; charset=utf-8", render: resultsCsv });
}
export const dynamic = "force-dynamic";
