import { DatasetsDocument } from "@cxr/api-client";
import Link from "next/link";
import { EmptyState, ErrorState } from "../components/States";
import { sentence, serverApi } from "../lib/api";

export const dynamic = "force-dynamic";

export default async function DatasetsPage() {
  let datasets: Awaited<ReturnType<typeof load>>["datasets"];
  try {
    datasets = (await load()).datasets;
  } catch (error) {
    return (
      <>
        <h1>Datasets</h1>
        <ErrorState>{sentence(error)}</ErrorState>
      </>
    );
  }
  return (
    <>
      <h1>Datasets</h1>
      {datasets.length === 0 && <EmptyState>No dataset is ingested yet: cxr ingest.</EmptyState>}
      <div className="grid-cards">
        {datasets.map((d) => (
          <article key={d.id} className="card" aria-labelledby={`ds-${d.name}`}>
            <h2 id={`ds-${d.name}`}>
              <Link href={`/datasets/${encodeURIComponent(d.name)}`}>{d.name}</Link>
            </h2>
            <dl className="kv">
              <dt>status</dt>
              <dd>{d.status}</dd>
              <dt>adapter</dt>
              <dd>{d.adapter}</dd>
              <dt>studies</dt>
              <dd>{d.studyCount}</dd>
              <dt>images</dt>
              <dd>{d.imageCount}</dd>
              <dt>fingerprint</dt>
              <dd className="mono">{d.fingerprint ?? "– (ingest not complete)"}</dd>
            </dl>
            <table>
              <caption className="visually-hidden">Splits of {d.name}</caption>
              <thead>
                <tr>
                  <th scope="col">split</th>
                  <th scope="col">studies</th>
                  <th scope="col">images</th>
                  <th scope="col">fingerprint</th>
                </tr>
              </thead>
              <tbody>
                {d.splits.map((s) => (
                  <tr key={s.name}>
                    <td>
                      <Link
                        href={`/datasets/${encodeURIComponent(d.name)}?split=${encodeURIComponent(s.name)}`}
                      >
                        {s.name}
                      </Link>
                    </td>
                    <td>{s.studyCount}</td>
                    <td>{s.imageCount}</td>
                    <td className="mono">{s.fingerprint ? `${s.fingerprint.slice(0, 16)}…` : "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        ))}
      </div>
    </>
  );
}

const load = () => serverApi().request(DatasetsDocument, {});
