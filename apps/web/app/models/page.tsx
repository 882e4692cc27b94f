import { ModelsDocument } from "@cxr/api-client";
import { EmptyState, ErrorState } from "../components/States";
import { sentence, serverApi } from "../lib/api";

export const dynamic = "force-dynamic";

/** The card's opening (before its first section) and its "intended use" / "limit" lines. */
function cardUseAndLimits(card: string | null): { intro: string; lines: string[] } {
  if (card === null) return { intro: "", lines: [] };
  const body = card.replace(/^# .*\n/, "");
  const intro = (body.split(/\n## /)[0] ?? "").split(/\n\s*\n/)[0]?.trim() ?? "";
  const lines = body
    .split("\n")
    .filter((l) => /intended use|limit|not for|never use/i.test(l) && !intro.includes(l.trim()))
    .map((l) => l.replace(/^[-*]\s*/, "").trim());
  return { intro, lines };
}

const plain = (md: string) => md.replace(/\*\*|`/g, "");

export default async function ModelsPage() {
  let models: Awaited<ReturnType<typeof load>>["models"];
  try {
    models = (await load()).models;
  } catch (error) {
    return (
      <>
        <h1>Models</h1>
        <ErrorState>{sentence(error)}</ErrorState>
      </>
    );
  }
  return (
    <>
      <h1>Models</h1>
      {models.length === 0 && (
        <EmptyState>No model is registered yet: cxr models add &lt;bundle&gt;.</EmptyState>
      )}
      <div className="grid-cards">
        {models.map((m) => {
          const { intro, lines } = cardUseAndLimits(m.card);
          return (
            <article key={m.id} className="card" aria-labelledby={`model-${m.modelId}`}>
              <h2 id={`model-${m.modelId}`}>
                {m.name} <span className="muted mono">{m.modelId}</span>
              </h2>
              <dl className="kv">
                <dt>family</dt>
                <dd>
                  {m.family} {m.version}
                </dd>
                <dt>license</dt>
                <dd>{m.license}</dd>
                <dt>dimension</dt>
                <dd>{m.dimension}</dd>
                {m.source.length === 0 && (
                  <>
                    <dt>source</dt>
                    <dd>not stated in the manifest</dd>
                  </>
                )}
                {m.source.map((s) => (
                  <div key={s.key} style={{ display: "contents" }}>
                    <dt>source {s.key}</dt>
                    <dd>{s.value}</dd>
                  </div>
                ))}
                <dt>fingerprint</dt>
                <dd className="mono">{m.fingerprint}</dd>
                <dt>indexed</dt>
                <dd>
                  {m.indexes.length === 0
                    ? "nowhere yet"
                    : m.indexes
                        .map(
                          (i) =>
                            `${i.dataset} ${i.modality.toLowerCase()} (${i.points}${i.stale ? ", stale" : ""})`,
                        )
                        .join("; ")}
                </dd>
              </dl>
              <h3>Intended use and limits</h3>
              {intro === "" && lines.length === 0 ? (
                <p className="muted">The model card says nothing about its intended use.</p>
              ) : (
                <>
                  {intro && <p>{plain(intro)}</p>}
                  {lines.length > 0 && (
                    <ul>
                      {lines.map((l) => (
                        <li key={l}>{plain(l)}</li>
                      ))}
                    </ul>
                  )}
                </>
              )}
              {m.card && (
                <details>
                  <summary>The whole model card</summary>
                  <div style={{ whiteSpace: "pre-wrap", fontSize: "0.85rem" }}>{m.card}</div>
                </details>
              )}
            </article>
          );
        })}
      </div>
    </>
  );
}

const load = () => serverApi().request(ModelsDocument, {});
