import { downloadRun } from "../download";

/**
 * The run as JSON: protocol, fingerprints, counts and every (model, level, direction) result with
 * its intervals, exactly as the API serves it, for tools that would rather not parse the CSV.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return downloadRun(id, {
    extension: "json",
    contentType: "application/json; charset=utf-8",
    render: (run) => `${JSON.stringify(run, null, 2)}\n`,
  });
}
export const dynamic = "force-dynamic";
