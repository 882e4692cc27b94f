import { BenchmarkRunsDocument } from "@cxr/api-client";
import Link from "next/link";
import { EmptyState, ErrorState } from "../components/States";
import { sentence, serverApi } from "../lib/api";

export const dynamic = "force-dynamic";

export default async function RunsPage({ searchParams }: { searchParams: Promise<{ after?: string }> }) {
  const { after } = await searchParams;
  let data: Awaited<ReturnType<typeof load>>;
  try {
    data = await load(after);
  } catch (error) {
    return (
      <>
        <h1>Benchmark runs</h1>
        <ErrorState>{sentence(error)}</ErrorState>
      </>
    );
  }
  const runs = data.benchmarkRuns;
  return (
    <>
      <h1>Benchmark runs</h1>
      <p className="muted">{runs.totalCount} runs, newest first.</p>
      {runs.edges.length === 0 ? (
        <EmptyState>No benchmark run yet: run cxr bench, then come back.</EmptyState>
      ) : (
        <table>
          <caption className="visually-hidden">Benchmark runs</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Models</th>
              <th scope="col">Dataset / split</th>
              <th scope="col">Corruption</th>
              <th scope="col">Levels</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {runs.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link href={`/runs/${encodeURIComponent(node.id)}`} className="mono">
                    {node.runId}
                  </Link>
                </td>
                <td>{node.status}</td>
                <td className="mono">{node.models.map((m) => m.id).join(", ")}</td>
                <td>
                  {node.dataset} / {node.split}
                </td>
                <td>{node.corruption}</td>
                <td>{node.levels.join(", ")}</td>
                <td>{new Date(node.startedAt).toISOString().replace("T", " ").slice(0, 16)} UTC</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {runs.pageInfo.hasNextPage && runs.pageInfo.endCursor && (
        <p className="pager">
          <Link href={`/runs?after=${encodeURIComponent(runs.pageInfo.endCursor)}`}>Older runs</Link>
        </p>
      )}
    </>
  );
}

const load = (after: string | undefined) =>
  serverApi().request(BenchmarkRunsDocument, { first: 20, ...(after ? { after } : {}) });
