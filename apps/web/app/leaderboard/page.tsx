import {
  LeaderboardBoardsDocument,
  type LeaderboardBoardsQuery,
  LeaderboardViewDocument,
} from "@cxr/api-client";
import Link from "next/link";
import { EmptyState, ErrorState } from "../components/States";
import { fmt, sentence, serverApi, short } from "../lib/api";
import { Flags, ProvenanceBadge } from "./Badges";
import { type ChartEntry, Charts } from "./Charts";
import {
  boardMetrics,
  directionWords,
  lowerIsBetter,
  metricDigits,
  PROVENANCES,
  parseView,
  viewQuery,
  viewVariables,
} from "./view";

export const dynamic = "force-dynamic";

type Board = LeaderboardBoardsQuery["leaderboardBoards"][number];

export default async function LeaderboardPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const view = parseView(await searchParams);
  let boards: Board[];
  try {
    boards = (await serverApi().request(LeaderboardBoardsDocument, {})).leaderboardBoards;
  } catch (error) {
    return (
      <>
        <h1>Leaderboard</h1>
        <ErrorState>{sentence(error)}</ErrorState>
      </>
    );
  }
  if (boards.length === 0) {
    return (
      <>
        <h1>Leaderboard</h1>
        <EmptyState>
          No board yet: run <code>cxr bench</code>, then <code>cxr leaderboard publish &lt;runId&gt;</code>{" "}
          (or submit a run).
        </EmptyState>
      </>
    );
  }
  // Boards are never mixed: the view is always one board (the first when none is named).
  const board = boards.find((b) => b.key === view.board) ?? boards[0]!;
  const v = { ...view, board: board.key };
  let data: Awaited<ReturnType<typeof load>>;
  try {
    data = await load(v);
  } catch (error) {
    return (
      <>
        <h1>Leaderboard</h1>
        <ErrorState>{sentence(error)}</ErrorState>
        <Link href="/leaderboard">The default view</Link>
      </>
    );
  }
  const rows = data.leaderboardEntries.edges.map((e) => e.node);
  const level = v.level ?? board.levels[0] ?? 0;
  const metrics = boardMetrics(board.recallAt);
  const sorted = data.leaderboardEntries.metric;
  const pinned = view.asOf !== null;
  const permalink = `/leaderboard?${viewQuery(v, { asOf: data.leaderboardEntries.asOf })}`;
  const exportQuery = viewQuery(v);
  const licenses = [...new Set(rows.map((r) => r.entry.license))].sort();
  if (v.license && !licenses.includes(v.license)) licenses.push(v.license);

  const cell = (r: (typeof rows)[number], lvl: number, name: string) =>
    r.entry.cells
      .find((c) => c.direction === v.direction && Math.abs(c.level - lvl) < 1e-9)
      ?.metrics.find((m) => m.name === name);
  const chartEntries: ChartEntry[] = rows
    .filter((r) => r.entry.provenance !== "REPORTED" && r.entry.supersededAt === null)
    .map((r) => {
      const at = board.levels.map((l) => cell(r, l, sorted));
      return {
        model: r.entry.model,
        values: at.map((m) => m?.value ?? null),
        low: at.map((m) => m?.low ?? null),
        high: at.map((m) => m?.high ?? null),
        auc: r.entry.summaries.find((s) => s.direction === v.direction && s.metric === sorted)?.auc ?? null,
      };
    });

  return (
    <>
      <h1>Leaderboard</h1>
      <form method="get" action="/leaderboard" id="view" className="toolbar" aria-label="Board and filters">
        <label>
          Board
          <select name="board" defaultValue={board.key}>
            {boards.map((b) => (
              <option key={b.key} value={b.key}>
                {b.dataset}/{b.split} · {b.corruption} · {b.textField} · {b.key.slice(0, 8)} ({b.entryCount})
              </option>
            ))}
          </select>
        </label>
        <label>
          Direction
          <select name="direction" defaultValue={v.direction}>
            <option value="IMAGE_TO_TEXT">image → text</option>
            <option value="TEXT_TO_IMAGE">text → image</option>
          </select>
        </label>
        <label>
          Level
          <select name="level" defaultValue={String(level)}>
            {board.levels.map((l) => (
              <option key={l} value={String(l)}>
                {l === board.levels[0] ? `${l} (clean)` : l}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Provenance</legend>
          {PROVENANCES.map((p) => (
            <label key={p}>
              <input type="checkbox" name="provenance" value={p} defaultChecked={v.provenance.includes(p)} />
              {p.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <label>
          License
          <select name="license" defaultValue={v.license ?? ""}>
            <option value="">any</option>
            {licenses.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          In-domain
          <select name="inDomain" defaultValue={v.inDomain === null ? "" : String(v.inDomain)}>
            <option value="">any</option>
            <option value="false">not in-domain</option>
            <option value="true">in-domain only</option>
          </select>
        </label>
        {pinned && <input type="hidden" name="asOf" value={view.asOf ?? ""} />}
        <button type="submit" name="metric" value={sorted}>
          Apply
        </button>
      </form>

      <p className="muted" data-testid="board-description">
        {board.description}. Protocol {board.protocolVersion}, key{" "}
        <span className="mono" title={board.protocolKey}>
          {short(board.protocolKey)}
        </span>
        ; dataset fingerprint{" "}
        <span className="mono" title={board.datasetFingerprint}>
          {short(board.datasetFingerprint)}
        </span>
        ; dataset access: {board.datasetAccess}.
      </p>

      <div className="links">
        {pinned ? (
          <span className="pinned" data-testid="pinned">
            Pinned to {data.leaderboardEntries.asOf} ·{" "}
            <Link href={`/leaderboard?${viewQuery(v, { asOf: null })}`}>Latest</Link>
          </span>
        ) : (
          <Link href={permalink} data-testid="permalink" className="button secondary">
            Permalink (pinned to now)
          </Link>
        )}
        <a className="button secondary" href={`/api/leaderboard/export.csv?${exportQuery}`} download>
          Export CSV
        </a>
        <a className="button secondary" href={`/api/leaderboard/export.json?${exportQuery}`} download>
          Export JSON
        </a>
        <Link href="/leaderboard/submit">Submit a run</Link>
      </div>

      {rows.length === 0 ? (
        <EmptyState>No entry matches these filters on this board.</EmptyState>
      ) : (
        <table className="board" data-testid="board">
          <caption className="visually-hidden">
            Entries of board {board.key}, ranked by {sorted} at level {level}, {directionWords(v.direction)}.
            Ranks are intervals from a paired bootstrap (entries in one tie group are not significantly
            different).
          </caption>
          <thead>
            <tr>
              <th scope="col">Rank</th>
              <th scope="col">Model</th>
              <th scope="col">Provenance</th>
              <th scope="col">Flags</th>
              {metrics.map((m) => (
                <th
                  key={m}
                  scope="col"
                  className="num"
                  aria-sort={m === sorted ? (lowerIsBetter(m) ? "ascending" : "descending") : undefined}
                >
                  <button
                    type="submit"
                    form="view"
                    name="metric"
                    value={m}
                    className="sort"
                    aria-label={`Sort by ${m}`}
                  >
                    {m}
                    {m === sorted ? (lowerIsBetter(m) ? " ▲" : " ▼") : ""}
                  </button>
                </th>
              ))}
              <th scope="col" className="num">
                AUC ({sorted})
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => {
              const prev = rows[i - 1];
              const groupStart = i > 0 && r.tieGroup !== null && r.tieGroup !== prev?.tieGroup;
              const inactive = r.entry.supersededAt !== null || r.entry.provenance === "REPORTED";
              const classes = [
                r.tieGroup !== null && r.tieGroup % 2 === 1 ? "group-odd" : "",
                groupStart ? "group-start" : "",
                inactive ? "inactive" : "",
              ]
                .filter(Boolean)
                .join(" ");
              const auc = r.entry.summaries.find(
                (s) => s.direction === v.direction && s.metric === sorted,
              )?.auc;
              return (
                <tr key={r.entry.id} className={classes || undefined} data-testid="board-row">
                  <td className="rank" data-testid="rank">
                    {r.rankLabel ?? "–"}
                  </td>
                  <td>
                    <Link
                      href={`/leaderboard/entries/${encodeURIComponent(r.entry.entryId)}${view.asOf ? `?asOf=${encodeURIComponent(view.asOf)}` : ""}`}
                      className="mono"
                      data-testid="entry-link"
                    >
                      {r.entry.model}
                    </Link>
                    {r.entry.citation && <span className="interval">{r.entry.citation}</span>}
                  </td>
                  <td>
                    <ProvenanceBadge provenance={r.entry.provenance} />
                  </td>
                  <td>
                    <Flags inDomain={r.entry.inDomain} license={r.entry.license} />
                  </td>
                  {metrics.map((m) => {
                    const c = cell(r, level, m);
                    return (
                      <td key={m} className="num">
                        {c ? (
                          <>
                            {fmt(c.value, metricDigits(m))}
                            {c.low != null && (
                              <span className="interval">
                                [{fmt(c.low, metricDigits(m))}, {fmt(c.high, metricDigits(m))}]
                              </span>
                            )}
                          </>
                        ) : (
                          "–"
                        )}
                      </td>
                    );
                  })}
                  <td className="num">{fmt(auc, metricDigits(sorted))}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p className="muted" style={{ fontSize: "0.85rem" }}>
        {data.leaderboardEntries.totalCount} {data.leaderboardEntries.totalCount === 1 ? "entry" : "entries"}.
        Rank "1-2": the entry's 95% rank interval; rows between heavier lines form one tie group (no
        significant difference, paired bootstrap over studies). Filters hide rows after ranking. As of{" "}
        {data.leaderboardEntries.asOf}.
      </p>
      {chartEntries.length > 0 && (
        <Charts
          entries={chartEntries}
          levels={board.levels}
          metric={sorted}
          direction={directionWords(v.direction)}
          invert={lowerIsBetter(sorted)}
        />
      )}
    </>
  );
}

const load = (v: ReturnType<typeof parseView>) =>
  serverApi().request(LeaderboardViewDocument, { ...viewVariables(v), first: 100 });
