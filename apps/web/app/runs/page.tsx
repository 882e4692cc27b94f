import { BenchmarkRunsDocument } from "@cxr/api-client";
import Link from "next/link";
import { EmptyState, ErrorState } from "../components/States";
import { sentence, serverApi } from "../lib/api";

export const dynamic = "force-dynamic";

/** Sortable columns of this page of runs: `sort=<key>:<asc|desc>` in the URL (a real button each). */
const COLUMNS = [
  { key: "run", label: "Run" },
  { key: "status", label: "Status" },
  { key: "models", label: "Models" },
  { key: "dataset", label: "Dataset / split" },
  { key: "corruption", label: "Corruption" },
  { key: "levels", label: "Levels" },
  { key: "started", label: "Started" },
] as const;
type Key = (typeof COLUMNS)[number]["key"];
type RunNode = Awaited<ReturnType<typeof load>>["benchmarkRuns"]["edges"][number]["node"];
const SORT_VALUE: Record<Key, (r: RunNode) => string | number> = {
  run: (r) => r.runId,
  status: (r) => r.status,
  models: (r) => r.models.map((m) => m.id).join(","),
  dataset: (r) => `${r.dataset}/${r.split}`,
  corruption: (r) => r.corruption,
  levels: (r) => r.levels.length,
  started: (r) => Date.parse(r.startedAt),
};

export default async function RunsPage({
  searchParams,
}: {
  searchParams: Promise<{ after?: string; sort?: string }>;
}) {
  const { after, sort: sortRaw } = await searchParams;
  const [sortKey, sortOrder] = (sortRaw ?? "started:desc").split(":") as [string, string | undefined];
  const key: Key = COLUMNS.some((c) => c.key === sortKey) ? (sortKey as Key) : "started";
  const order = sortOrder === "asc" ? "asc" : "desc";
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
  const value = SORT_VALUE[key];
  const nodes = runs.edges
    .map((e) => e.node)
    .sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return order === "asc" ? c : -c;
    });
  return (
    <>
      <h1>Benchmark runs</h1>
      <p className="muted">
        {runs.totalCount} runs; this page sorted by {COLUMNS.find((c) => c.key === key)?.label.toLowerCase()}{" "}
        ({order === "asc" ? "ascending" : "descending"}).
      </p>
      <form id="runs-sort" method="get" action="/runs" hidden>
        {after && <input type="hidden" name="after" value={after} />}
      </form>
      {runs.edges.length === 0 ? (
        <EmptyState>No benchmark run yet: run cxr bench, then come back.</EmptyState>
      ) : (
        <table>
          <caption className="visually-hidden">Benchmark runs</caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={c.key === key ? (order === "asc" ? "ascending" : "descending") : undefined}
                >
                  <button
                    type="submit"
                    form="runs-sort"
                    name="sort"
                    value={`${c.key}:${c.key === key && order === "desc" ? "asc" : "desc"}`}
                    className="sort"
                    aria-label={`Sort by ${c.label.toLowerCase()}`}
                  >
                    {c.label}
                    {c.key === key ? (order === "asc" ? " ▲" : " ▼") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => (
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
          <Link
            href={`/runs?${new URLSearchParams({ after: runs.pageInfo.endCursor, ...(sortRaw ? { sort: sortRaw } : {}) })}`}
          >
            Older runs
          </Link>
        </p>
      )}
    </>
  );
}

const load = (after: string | undefined) =>
  serverApi().request(BenchmarkRunsDocument, { first: 20, ...(after ? { after } : {}) });
