import { BenchmarkRunDocument } from "@cxr/api-client";
import Link from "next/link";
import { EmptyState, ErrorState } from "../../components/States";
import { fmt, sentence, serverApi, short } from "../../lib/api";
import { RunCurves } from "./RunCurves";
import { sortedResults } from "./results";

export const dynamic = "force-dynamic";

export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  let run: Awaited<ReturnType<typeof load>>["benchmarkRun"];
  try {
    run = (await load(decodeURIComponent(id))).benchmarkRun;
  } catch (error) {
    return (
      <>
        <h1>Benchmark run</h1>
        <ErrorState>{sentence(error)}</ErrorState>
        <Link href="/runs">All runs</Link>
      </>
    );
  }
  const results = sortedResults(run);
  const metricNames = [...new Set(results.flatMap((r) => r.metrics.map((m) => m.name)))];
  const groups = [...new Set(results.map((r) => `${r.model}\u0000${r.direction}`))];
  return (
    <>
      <h1>
        Run <span className="mono">{run.runId}</span>
      </h1>
      <p>
        <a className="button" href={`/runs/${encodeURIComponent(run.id)}/csv`} download>
          Download results (CSV)
        </a>{" "}
        <a className="button" href={`/runs/${encodeURIComponent(run.id)}/json`} download>
          Download run (JSON)
        </a>{" "}
        <Link href="/runs">All runs</Link>
      </p>
      {run.error && <ErrorState>This run failed: {run.error}</ErrorState>}
      <div className="grid-cards">
        <section className="card" aria-labelledby="protocol">
          <h2 id="protocol">Protocol</h2>
          <dl className="kv">
            <dt>status</dt>
            <dd>{run.status}</dd>
            <dt>protocol</dt>
            <dd>
              v{run.protocolVersion} · key <span className="mono">{short(run.protocolKey)}</span>
            </dd>
            <dt>dataset</dt>
            <dd>
              {run.dataset} / {run.split}
            </dd>
            <dt>text field</dt>
            <dd>{run.textField}</dd>
            <dt>corruption</dt>
            <dd>{run.corruption}</dd>
            <dt>levels</dt>
            <dd>{run.levels.join(", ")}</dd>
            <dt>seed</dt>
            <dd>{run.seed}</dd>
            <dt>software</dt>
            <dd>{run.softwareVersion}</dd>
            <dt>hardware</dt>
            <dd>
              {run.hardware ?? "–"} {run.executionProvider ? `(${run.executionProvider})` : ""}
            </dd>
            <dt>started</dt>
            <dd>{run.startedAt}</dd>
            <dt>finished</dt>
            <dd>{run.finishedAt ?? "–"}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="fingerprints">
          <h2 id="fingerprints">Fingerprints</h2>
          <dl className="kv">
            <dt>dataset</dt>
            <dd className="mono">{run.datasetFingerprint}</dd>
            {run.models.map((m) => (
              <div key={m.id} style={{ display: "contents" }}>
                <dt className="mono">{m.id}</dt>
                <dd className="mono">{m.fingerprint}</dd>
              </div>
            ))}
          </dl>
        </section>
        <section className="card" aria-labelledby="counts">
          <h2 id="counts">Counts</h2>
          <dl className="kv">
            <dt>results</dt>
            <dd>
              {run.resultCount} of {run.expectedResults}
            </dd>
            {run.counts.map((c) => (
              <div key={c.name} style={{ display: "contents" }}>
                <dt>{c.name}</dt>
                <dd>{c.value}</dd>
              </div>
            ))}
          </dl>
        </section>
      </div>
      <h2>Curves</h2>
      {results.length === 0 ? (
        <EmptyState>No results stored yet.</EmptyState>
      ) : (
        <RunCurves results={results} levels={run.levels} />
      )}
      <h2>Per level, with {`intervals`}</h2>
      {groups.map((g) => {
        const [model, direction] = g.split("\u0000") as [string, string];
        const rows = results.filter((r) => r.model === model && r.direction === direction);
        return (
          <section key={g}>
            <h3>
              <span className="mono">{model}</span>, {direction.toLowerCase().replaceAll("_", " ")}
            </h3>
            <table>
              <caption className="visually-hidden">
                {model} {direction}: metrics per level with confidence intervals
              </caption>
              <thead>
                <tr>
                  <th scope="col">level</th>
                  <th scope="col">queries</th>
                  <th scope="col">candidates</th>
                  {metricNames.map((m) => (
                    <th key={m} scope="col">
                      {m} [interval]
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.level}>
                    <td>{r.level}</td>
                    <td>{r.queries}</td>
                    <td>{r.candidates}</td>
                    {metricNames.map((name) => {
                      const m = r.metrics.find((x) => x.name === name);
                      return (
                        <td key={name}>
                          {m ? (
                            <>
                              {fmt(m.value)}{" "}
                              <span className="muted">
                                {m.low != null ? `[${fmt(m.low)}, ${fmt(m.high)}]` : ""}
                              </span>
                            </>
                          ) : (
                            "–"
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
    </>
  );
}

const load = (id: string) => serverApi().request(BenchmarkRunDocument, { id });
