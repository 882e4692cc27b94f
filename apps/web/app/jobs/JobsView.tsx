"use client";

import {
  type ApiClient,
  ApiError,
  CancelJobDocument,
  createClient,
  type JobFieldsFragment,
  JobsDocument,
  StartBenchmarkDocument,
  StartIndexDocument,
} from "@cxr/api-client";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { scopeSentence, sentence } from "../lib/api";
import { TokenField, useToken } from "../lib/token";

type Job = JobFieldsFragment;
const ACTIVE = new Set(["QUEUED", "RUNNING"]);
const POLL_MS = 1500;

const duration = (seconds: number | null | undefined) => {
  if (seconds == null || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
};
const when = (iso: string | null) => (iso ? `${iso.replace("T", " ").slice(0, 19)} UTC` : "–");

function summary(job: Job): string {
  // the short names among the parameters (model, dataset, split, modality, ...), never long ones
  try {
    const p = JSON.parse(job.parameters) as Record<string, unknown>;
    return Object.values(p)
      .map((v) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? v.join(", ") : v))
      .filter((v): v is string => typeof v === "string" && v !== "" && v.length <= 40)
      .slice(0, 5)
      .join(" · ");
  } catch {
    return "";
  }
}

export function JobsView({
  models,
  datasets,
}: {
  models: string[];
  datasets: { name: string; splits: string[] }[];
}) {
  const [token, setToken] = useToken();
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [total, setTotal] = useState(0);
  const [listError, setListError] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const client = useCallback(
    (withToken: boolean): ApiClient =>
      createClient({ endpoint: "/api", ...(withToken && token ? { token } : {}) }),
    [token],
  );

  const refresh = useCallback(async () => {
    // The list needs `read`: the web server's own token first, the typed one when that is refused.
    const attempt = (withToken: boolean) => client(withToken).request(JobsDocument, { first: 25 });
    try {
      let answer: Awaited<ReturnType<typeof attempt>>;
      try {
        answer = await attempt(false);
      } catch (e) {
        if (!(e instanceof ApiError) || !token || !["UNAUTHENTICATED", "FORBIDDEN"].includes(e.code ?? ""))
          throw e;
        answer = await attempt(true);
      }
      setJobs(answer.jobs.edges.map((e) => e.node));
      setTotal(answer.jobs.totalCount);
      setListError(null);
    } catch (e) {
      setListError(scopeSentence(e, "read", token !== "") ?? sentence(e));
    }
  }, [client, token]);

  const active = jobs?.some((j) => ACTIVE.has(j.status)) ?? false;
  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(timer);
  }, [active, refresh]);

  async function mutate(label: string, run: (api: ApiClient) => Promise<Job>) {
    setBusy(true);
    setMessage(null);
    try {
      const job = await run(client(true));
      setMessage({ ok: true, text: `${label}: job ${job.jobId} is ${job.status.toLowerCase()}.` });
      await refresh();
    } catch (e) {
      setMessage({ ok: false, text: scopeSentence(e, "run", token !== "") ?? sentence(e) });
    } finally {
      setBusy(false);
    }
  }

  const startIndex = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    void mutate("Index started", async (api) =>
      api
        .request(StartIndexDocument, {
          input: {
            model: String(f.get("model")),
            dataset: String(f.get("dataset")),
            modality: String(f.get("modality")) as "BOTH" | "IMAGES" | "REPORTS",
            textField: String(f.get("textField")),
            reindex: f.get("reindex") === "on",
          },
        })
        .then((d) => d.startIndex),
    );
  };

  const startBenchmark = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const levels = String(f.get("levels"))
      .split(/[,\s]+/)
      .filter(Boolean)
      .map(Number);
    if (levels.some((l) => !Number.isFinite(l))) {
      setMessage({ ok: false, text: "Levels must be numbers between 0 and 1, separated by commas." });
      return;
    }
    const chosen = f.getAll("models").map(String);
    void mutate("Benchmark started", async (api) =>
      api
        .request(StartBenchmarkDocument, {
          input: {
            models: chosen,
            dataset: String(f.get("dataset")),
            split: String(f.get("split")),
            levels,
            seed: Number(f.get("seed")),
            bootstrapSamples: Number(f.get("bootstrap")),
          },
        })
        .then((d) => d.startBenchmark),
    );
  };

  const cancel = (job: Job) =>
    void mutate("Cancel requested", async (api) =>
      api.request(CancelJobDocument, { id: job.id }).then((d) => d.cancelJob),
    );

  const datasetSelect = (id: string) =>
    datasets.length > 0 ? (
      <select id={id} name="dataset" required>
        {datasets.map((d) => (
          <option key={d.name}>{d.name}</option>
        ))}
      </select>
    ) : (
      <input id={id} type="text" name="dataset" required />
    );

  return (
    <>
      <TokenField token={token} onChange={setToken} scope="run" />

      <div className="grid-cards" style={{ marginTop: "1rem" }}>
        <form className="card" onSubmit={startIndex} aria-labelledby="start-index">
          <h2 id="start-index">Index a dataset</h2>
          <div className="toolbar">
            <div className="field">
              <label htmlFor="index-model">Model</label>
              {models.length > 0 ? (
                <select id="index-model" name="model" required>
                  {models.map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              ) : (
                <input id="index-model" type="text" name="model" required />
              )}
            </div>
            <div className="field">
              <label htmlFor="index-dataset">Dataset</label>
              {datasetSelect("index-dataset")}
            </div>
            <div className="field">
              <label htmlFor="index-modality">What</label>
              <select id="index-modality" name="modality" defaultValue="BOTH">
                <option value="BOTH">images and reports</option>
                <option value="IMAGES">images</option>
                <option value="REPORTS">reports</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="index-text">Report text</label>
              <select id="index-text" name="textField" defaultValue="impression">
                {["impression", "findings", "findings+impression", "longest", "full"].map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </div>
            <label htmlFor="index-reindex" className="check">
              <input id="index-reindex" type="checkbox" name="reindex" /> Rebuild even when up to date
            </label>
          </div>
          <button type="submit" disabled={busy}>
            Start index
          </button>
        </form>

        <form className="card" onSubmit={startBenchmark} aria-labelledby="start-bench">
          <h2 id="start-bench">Run a benchmark</h2>
          <fieldset>
            <legend>Models</legend>
            {models.length > 0 ? (
              models.map((m, i) => (
                <label key={m} style={{ marginRight: "0.8rem" }}>
                  <input type="checkbox" name="models" value={m} defaultChecked={i === 0} /> {m}
                </label>
              ))
            ) : (
              <input type="text" name="models" aria-label="Model id" required />
            )}
          </fieldset>
          <div className="toolbar">
            <div className="field">
              <label htmlFor="bench-dataset">Dataset</label>
              {datasetSelect("bench-dataset")}
            </div>
            <div className="field">
              <label htmlFor="bench-split">Split</label>
              <input id="bench-split" type="text" name="split" defaultValue="test" required size={8} />
            </div>
            <div className="field">
              <label htmlFor="bench-levels">Levels</label>
              <input
                id="bench-levels"
                type="text"
                name="levels"
                defaultValue="0, 0.25, 0.5, 0.75"
                size={16}
              />
            </div>
            <div className="field">
              <label htmlFor="bench-seed">Seed</label>
              <input
                id="bench-seed"
                type="number"
                name="seed"
                defaultValue={0}
                min={0}
                style={{ width: "6rem" }}
              />
            </div>
            <div className="field">
              <label htmlFor="bench-bootstrap">Bootstrap samples</label>
              <input
                id="bench-bootstrap"
                type="number"
                name="bootstrap"
                defaultValue={1000}
                min={0}
                style={{ width: "7rem" }}
              />
            </div>
          </div>
          <button type="submit" disabled={busy}>
            Start benchmark
          </button>
        </form>
      </div>

      <div aria-live="polite" data-testid="job-message">
        {message && (
          <div className={`state ${message.ok ? "empty" : "error"}`} role={message.ok ? "status" : "alert"}>
            {message.text}
          </div>
        )}
      </div>

      <h2>
        Recent jobs{" "}
        <button
          type="button"
          className="secondary"
          onClick={() => void refresh()}
          style={{ fontSize: "0.85rem" }}
        >
          Refresh
        </button>
      </h2>
      {listError && (
        <div className="state error" role="alert">
          {listError}
        </div>
      )}
      {jobs === null && !listError && (
        <p className="state loading" role="status">
          Loading jobs…
        </p>
      )}
      {jobs !== null && jobs.length === 0 && <div className="state empty">No job yet: start one above.</div>}
      {jobs !== null && jobs.length > 0 && (
        <>
          <p className="muted">
            {total} {total === 1 ? "job" : "jobs"}, newest first{active ? "; refreshing while one runs" : ""}.
          </p>
          <table data-testid="jobs">
            <caption className="visually-hidden">Jobs with status and progress</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Rate</th>
                <th scope="col">ETA</th>
                <th scope="col">Started / finished</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => {
                const p = job.progress;
                return (
                  <tr key={job.id} data-testid={`job-${job.jobId}`}>
                    <td>
                      <span className="mono">{job.jobId}</span>
                      <span className="interval">{summary(job)}</span>
                    </td>
                    <td>{job.kind.toLowerCase().replace("_", " ")}</td>
                    <td data-testid="job-status">
                      <span className={`badge status-${job.status.toLowerCase()}`}>
                        {job.status.toLowerCase()}
                      </span>
                      {job.cancelRequested && ACTIVE.has(job.status) && (
                        <span className="interval">cancel requested</span>
                      )}
                      {job.error && <span className="interval">{job.error}</span>}
                    </td>
                    <td data-testid="job-progress">
                      {p ? (
                        <>
                          <progress
                            max={p.total ?? undefined}
                            value={p.done}
                            aria-label={`Job ${job.jobId.slice(0, 10)} progress`}
                          />{" "}
                          {p.done}
                          {p.total != null ? ` / ${p.total}` : ""} {p.unit}
                          <span className="interval">{p.phase}</span>
                        </>
                      ) : (
                        "–"
                      )}
                    </td>
                    <td>{p?.rate != null ? `${p.rate.toFixed(1)} ${p.unit}/s` : "–"}</td>
                    <td>{ACTIVE.has(job.status) ? duration(p?.eta) : "–"}</td>
                    <td>
                      {when(job.startedAt)}
                      <span className="interval">{when(job.finishedAt)}</span>
                    </td>
                    <td>
                      {ACTIVE.has(job.status) && !job.cancelRequested && (
                        <button
                          type="button"
                          className="secondary"
                          disabled={busy}
                          onClick={() => cancel(job)}
                          aria-label={`Cancel job ${job.jobId.slice(0, 10)}`}
                        >
                          Cancel
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
