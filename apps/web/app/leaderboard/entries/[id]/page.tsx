import { LeaderboardEntryDocument, type LeaderboardEntryQuery } from "@cxr/api-client";
import Link from "next/link";
import { EmptyState, ErrorState } from "../../../components/States";
import { fmt, sentence, serverApi } from "../../../lib/api";
import { Flags, ProvenanceBadge } from "../../Badges";
import { boardMetrics, directionWords, metricDigits } from "../../view";

export const dynamic = "force-dynamic";

type Entry = LeaderboardEntryQuery["leaderboardEntry"];

export default async function EntryPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ asOf?: string; k?: string }>;
}) {
  const { id } = await params;
  const { asOf, k: kRaw } = await searchParams;
  const k = Math.max(1, Math.min(100, Number.parseInt(kRaw ?? "1", 10) || 1));
  let entry: Entry;
  try {
    entry = (
      await serverApi().request(LeaderboardEntryDocument, {
        id: decodeURIComponent(id),
        k,
        ...(asOf ? { asOf } : {}),
      })
    ).leaderboardEntry;
  } catch (error) {
    return (
      <>
        <h1>Leaderboard entry</h1>
        <ErrorState>{sentence(error)}</ErrorState>
        <Link href="/leaderboard">The leaderboard</Link>
      </>
    );
  }
  const board = entry.board;
  const metrics = boardMetrics(board.recallAt).filter((m) =>
    entry.cells.some((c) => c.metrics.some((x) => x.name === m)),
  );
  const directions = [...new Set(entry.cells.map((c) => c.direction))].sort();
  return (
    <>
      <h1>
        <span className="mono">{entry.model}</span> on board <span className="mono">{board.key}</span>
      </h1>
      <p className="links">
        <ProvenanceBadge provenance={entry.provenance} />
        <Flags inDomain={entry.inDomain} license={entry.license} access={board.datasetAccess} />
        {entry.supersededAt && (
          <span className="pinned">Superseded on {entry.supersededAt} by a newer run of this model.</span>
        )}
        <Link href={`/leaderboard?board=${board.key}${asOf ? `&asOf=${encodeURIComponent(asOf)}` : ""}`}>
          Back to the board
        </Link>
        {entry.runId && <Link href={`/runs/${encodeURIComponent(entry.runId)}`}>Its run</Link>}
      </p>
      {entry.citation && <p>Reported in: {entry.citation}</p>}
      <div className="grid-cards">
        <section className="card" aria-labelledby="protocol">
          <h2 id="protocol">Protocol</h2>
          <dl className="kv">
            <dt>board</dt>
            <dd style={{ wordBreak: "normal" }}>{board.description}</dd>
            <dt>dataset</dt>
            <dd>
              {board.dataset} / {board.split} ({board.datasetAccess})
            </dd>
            <dt>text field</dt>
            <dd>{board.textField}</dd>
            <dt>corruption</dt>
            <dd>{board.corruption}</dd>
            <dt>levels</dt>
            <dd>{board.levels.join(", ")}</dd>
            <dt>seed</dt>
            <dd>{board.seed}</dd>
            <dt>intervals</dt>
            <dd>
              {Math.round(board.confidence * 100)}%, {board.bootstrapSamples} bootstrap samples
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="fingerprints">
          <h2 id="fingerprints">Fingerprints and provenance</h2>
          <dl className="kv">
            <dt>model</dt>
            <dd className="mono">{entry.modelFingerprint}</dd>
            <dt>dataset</dt>
            <dd className="mono">{board.datasetFingerprint}</dd>
            <dt>protocol</dt>
            <dd className="mono">
              v{board.protocolVersion} · {board.protocolKey}
            </dd>
            <dt>entry</dt>
            <dd className="mono">{entry.entryId}</dd>
            <dt>run</dt>
            <dd className="mono">{entry.runId ?? "–"}</dd>
            <dt>submission</dt>
            <dd className="mono">{entry.submissionId ?? "– (published locally)"}</dd>
            <dt>created</dt>
            <dd>{entry.createdAt}</dd>
            <dt>checked</dt>
            <dd>{entry.checkedAt ?? "–"}</dd>
          </dl>
        </section>
      </div>

      <section aria-labelledby="robustness">
        <h2 id="robustness">Robustness</h2>
        {entry.summaries.length === 0 ? (
          <p className="muted">No summary.</p>
        ) : (
          <table>
            <caption className="visually-hidden">Robustness summaries per direction and metric</caption>
            <thead>
              <tr>
                <th scope="col">direction</th>
                <th scope="col">metric</th>
                <th scope="col">clean</th>
                <th scope="col">AUC</th>
                <th scope="col">relative</th>
              </tr>
            </thead>
            <tbody>
              {entry.summaries.map((s) => (
                <tr key={`${s.direction} ${s.metric}`}>
                  <td>{directionWords(s.direction)}</td>
                  <td>{s.metric}</td>
                  <td>{fmt(s.clean, metricDigits(s.metric))}</td>
                  <td>{fmt(s.auc, metricDigits(s.metric))}</td>
                  <td>{fmt(s.relativeRobustness)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {entry.check && (
        <section aria-labelledby="check">
          <h2 id="check">Verification re-run ({entry.check.outcome.toLowerCase()})</h2>
          <p>
            Re-run <span className="mono">{entry.check.runId}</span>:{" "}
            {entry.check.differences.length === 0
              ? "the same ranks at every level and direction."
              : `${entry.check.differences.length} cells differ (server minus entry).`}
          </p>
          {entry.check.differences.map((d) => (
            <div key={`${d.direction} ${d.level}`}>
              <h3>
                {directionWords(d.direction)}, level {d.level}
              </h3>
              <p>
                Deltas:{" "}
                {d.deltas.map((m) => `${m.name} ${m.value >= 0 ? "+" : ""}${fmt(m.value, 4)}`).join(", ")}
              </p>
              <p className="mono">Queries whose rank differs: {d.queries.join(", ") || "–"}</p>
            </div>
          ))}
        </section>
      )}

      <h2>Per level, with intervals</h2>
      {entry.cells.length === 0 && <EmptyState>No cells stored.</EmptyState>}
      {directions.map((d) => (
        <section key={d}>
          <h3>{directionWords(d)}</h3>
          <table data-testid={`cells-${d}`}>
            <caption className="visually-hidden">
              {entry.model}, {directionWords(d)}: every metric per level with its interval
            </caption>
            <thead>
              <tr>
                <th scope="col">level</th>
                {metrics.map((m) => (
                  <th key={m} scope="col">
                    {m} [interval]
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {entry.cells
                .filter((c) => c.direction === d)
                .sort((a, b) => a.level - b.level)
                .map((c) => (
                  <tr key={c.level}>
                    <td>{c.level}</td>
                    {metrics.map((name) => {
                      const m = c.metrics.find((x) => x.name === name);
                      return (
                        <td key={name}>
                          {m ? fmt(m.value, metricDigits(name)) : "–"}{" "}
                          {m?.low != null && (
                            <span className="muted">
                              [{fmt(m.low, metricDigits(name))}, {fmt(m.high, metricDigits(name))}]
                            </span>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      ))}

      <h2 id="drill">Per-query drill-down: hit to miss as the level rises</h2>
      <p className="muted">
        A hit is the true item within the top {k} (
        {[1, 5, 10].map((n, i) => (
          <span key={n}>
            {i > 0 && ", "}
            {n === k ? (
              <strong>top {n}</strong>
            ) : (
              <Link href={`?${new URLSearchParams({ ...(asOf ? { asOf } : {}), k: String(n) })}#drill`}>
                top {n}
              </Link>
            )}
          </span>
        ))}
        ). Ids only (study / query image where they differ).
      </p>
      {entry.drillDown.length === 0 ? (
        <EmptyState>Only one level: nothing to compare.</EmptyState>
      ) : (
        <div className="grid-cards" data-testid="drilldown">
          {entry.drillDown.map((s) => (
            <section key={`${s.direction} ${s.from} ${s.to}`} className="card">
              <h3>
                {directionWords(s.direction)}: level {s.from} → {s.to}
              </h3>
              <p>
                <strong>{s.fallen.length}</strong> fell from hit to miss, <strong>{s.risen.length}</strong>{" "}
                rose from miss to hit.
              </p>
              {s.fallen.length > 0 && (
                <>
                  <h4 className="muted" style={{ margin: "0.3rem 0" }}>
                    Fallen
                  </h4>
                  <ul className="ids mono" aria-label={`Fallen from level ${s.from} to ${s.to}`}>
                    {s.fallen.map((q) => (
                      <li key={q.id}>{q.id === q.study ? q.id : `${q.study} / ${q.id}`}</li>
                    ))}
                  </ul>
                </>
              )}
              {s.risen.length > 0 && (
                <>
                  <h4 className="muted" style={{ margin: "0.3rem 0" }}>
                    Risen
                  </h4>
                  <ul className="ids mono" aria-label={`Risen from level ${s.from} to ${s.to}`}>
                    {s.risen.map((q) => (
                      <li key={q.id}>{q.id === q.study ? q.id : `${q.study} / ${q.id}`}</li>
                    ))}
                  </ul>
                </>
              )}
            </section>
          ))}
        </div>
      )}
    </>
  );
}
