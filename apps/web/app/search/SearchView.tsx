"use client";

import {
  BenchmarkRunsDocument,
  DatasetStudiesDocument,
  DatasetsDocument,
  ImageDocument,
  ModelsDocument,
  type ModelsQuery,
  type SearchQuery as SearchAnswer,
  SearchDocument,
  type SearchInput,
} from "@cxr/api-client";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Plot } from "../components/Plot";
import { ErrorState, LoadingState } from "../components/States";
import { browserApi, fmt, imageSrc, sentence } from "../lib/api";
import { type Fill, isImageQuery, type Query, type SearchState } from "./state";
import { useUrlState } from "./useUrlState";

type Model = ModelsQuery["models"][number];
type Ok = Extract<SearchAnswer["search"], { __typename: "SearchOk" }>;
type Calibration = { model: string; pairs: number; median: number | null; lowest: number | null };
type Loaded<T> =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "ok"; data: T }
  | { status: "error"; message: string };

const MAX_MODELS = 4;
const LEVEL_STEP = 0.1;

function inputFor(state: SearchState, models: string[], level: number, k: number): SearchInput | null {
  const q = state.query;
  if (q === null || models.length === 0) return null;
  const base: SearchInput = { models, k };
  if (q.kind === "text") return { ...base, text: q.text, target: "IMAGES" };
  const occlusion = { level, grid: state.grid, seed: state.seed, fill: state.fill };
  return {
    ...base,
    ...(q.kind === "upload" ? { upload: q.id } : { imageId: q.id }),
    target: "REPORTS",
    occlusion,
  };
}

export function SearchView() {
  const [state, update] = useUrlState();
  const api = useMemo(() => browserApi(), []);

  // ---- models, and the highest benchmark level (the slider's end)
  const [models, setModels] = useState<Loaded<Model[]>>({ status: "loading" });
  const [maxLevel, setMaxLevel] = useState(1);
  useEffect(() => {
    api
      .request(ModelsDocument, {})
      .then(({ models }) => setModels({ status: "ok", data: models }))
      .catch((error) => setModels({ status: "error", message: sentence(error) }));
    api
      .request(BenchmarkRunsDocument, { first: 20 })
      .then(({ benchmarkRuns }) => {
        const levels = benchmarkRuns.edges.flatMap((e) => e.node.levels);
        if (levels.length > 0) setMaxLevel(Math.max(...levels, LEVEL_STEP));
      })
      .catch(() => {});
  }, [api]);

  const usable = models.status === "ok" ? models.data.filter((m) => m.indexes.length > 0) : [];
  const chosen = state.models.length > 0 ? state.models : usable[0] ? [usable[0].modelId] : [];

  // ---- the search itself
  const [answer, setAnswer] = useState<Loaded<SearchAnswer["search"]>>({ status: "idle" });
  const [shownLevel, setShownLevel] = useState<number | null>(null);
  const input = inputFor(state, chosen, state.level, state.k);
  const inputKey = JSON.stringify(input);
  useEffect(() => {
    const current = JSON.parse(inputKey) as SearchInput | null;
    if (current === null) {
      setAnswer({ status: "idle" });
      return;
    }
    const abort = new AbortController();
    setAnswer((previous) => (previous.status === "ok" ? previous : { status: "loading" }));
    api
      .request(SearchDocument, { input: current }, { signal: abort.signal })
      .then(({ search }) => {
        setAnswer({ status: "ok", data: search });
        setShownLevel(current.occlusion?.level ?? null);
      })
      .catch((error) => {
        if (!abort.signal.aborted) setAnswer({ status: "error", message: sentence(error) });
      });
    return () => abort.abort();
  }, [api, inputKey]);
  const searching =
    input !== null &&
    (answer.status === "loading" ||
      (answer.status === "ok" && shownLevel !== (input.occlusion?.level ?? null)));

  // ---- each model's true-report rank over every level (when the query belongs to an indexed study)
  const ok = answer.status === "ok" && answer.data.__typename === "SearchOk" ? answer.data : null;
  const hasStudy = ok?.queryStudy != null;
  const levels = useMemo(() => {
    const out: number[] = [];
    for (let i = 0; i * LEVEL_STEP <= maxLevel + 1e-9; i++) out.push(Math.round(i * LEVEL_STEP * 100) / 100);
    return out;
  }, [maxLevel]);
  const curveKey = hasStudy ? JSON.stringify(inputFor(state, chosen, 0, 1)) : "";
  const [curve, setCurve] = useState<{ key: string; ranks: Record<string, (number | null)[]> } | null>(null);
  useEffect(() => {
    if (curveKey === "") return;
    const base = JSON.parse(curveKey) as SearchInput;
    const abort = new AbortController();
    const ranks: Record<string, (number | null)[]> = {};
    for (const m of base.models) ranks[m] = levels.map(() => null);
    setCurve({ key: curveKey, ranks: structuredClone(ranks) });
    (async () => {
      for (const [i, level] of levels.entries()) {
        const { search } = await api.request(
          SearchDocument,
          { input: { ...base, occlusion: { ...base.occlusion!, level } } },
          { signal: abort.signal },
        );
        if (search.__typename !== "SearchOk") return;
        for (const r of search.results) ranks[r.model]![i] = r.trueRank ?? null;
        setCurve({ key: curveKey, ranks: structuredClone(ranks) });
      }
    })().catch(() => {});
    return () => abort.abort();
  }, [api, curveKey, levels]);

  // ---- what each model scores on true pairs (the low-confidence rule)
  const [calibration, setCalibration] = useState<Record<string, Calibration | "loading" | "failed">>({});
  const chosenKey = chosen.join(",");
  useEffect(() => {
    for (const model of chosenKey.split(",").filter(Boolean)) {
      setCalibration((c) => {
        if (c[model] !== undefined) return c;
        fetch(`/calibration?model=${encodeURIComponent(model)}`)
          .then(async (res) => (res.ok ? ((await res.json()) as Calibration) : "failed"))
          .catch(() => "failed" as const)
          .then((value) => setCalibration((cc) => ({ ...cc, [model]: value })));
        return { ...c, [model]: "loading" };
      });
    }
  }, [chosenKey]);

  // ---- uploads (file chooser, drop, paste)
  const [uploading, setUploading] = useState<Loaded<null>>({ status: "idle" });
  const [localPreview, setLocalPreview] = useState<{ id: string; url: string } | null>(null);
  const uploadFile = useCallback(
    async (file: File) => {
      setUploading({ status: "loading" });
      try {
        const result = await api.upload(file);
        const browserCanShow = /^image\/(png|jpeg|gif|webp)$/.test(file.type);
        setLocalPreview(browserCanShow ? { id: result.id, url: URL.createObjectURL(file) } : null);
        setUploading({ status: "idle" });
        update({ query: { kind: "upload", id: result.id }, level: 0, models: chosen });
      } catch (error) {
        setUploading({ status: "error", message: sentence(error) });
      }
    },
    [api, update, chosen],
  );
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])][0];
      if (file) {
        event.preventDefault();
        void uploadFile(file);
      }
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, [uploadFile]);

  const setQuery = (query: Query) => update({ query, level: 0, models: chosen });

  return (
    <div className="search-layout">
      <section aria-labelledby="query-heading">
        <h2 id="query-heading">Query</h2>
        <QueryPanel
          onFile={uploadFile}
          onText={(text) => setQuery({ kind: "text", text })}
          onPick={(id) => setQuery({ kind: "image", id })}
          uploading={uploading}
          initialText={state.query?.kind === "text" ? state.query.text : ""}
          api={api}
        />
        <ModelPicker models={models} chosen={chosen} onChange={(next) => update({ models: next })} />
        {isImageQuery(state.query) && (
          <OcclusionPanel
            state={state}
            maxLevel={maxLevel}
            onLevel={(level) => update({ level })}
            onFill={(fill) => update({ fill })}
            ok={ok}
            shownLevel={shownLevel}
            localPreview={localPreview}
          />
        )}
      </section>
      <section aria-labelledby="results-heading" aria-busy={searching}>
        <h2 id="results-heading">
          Results{" "}
          {searching && (
            <span className="muted" role="status">
              (updating…)
            </span>
          )}
        </h2>
        {state.query === null && (
          <div className="state empty">
            Choose, drop or paste a chest X-ray (PNG, JPEG, 16-bit PNG or DICOM), pick an image of a dataset,
            or describe findings in words. Each chosen model answers in its own column.
          </div>
        )}
        {state.query !== null && chosen.length === 0 && models.status === "ok" && (
          <div className="state empty">No model has an index yet: run cxr index first, then come back.</div>
        )}
        {answer.status === "loading" && <LoadingState>Searching…</LoadingState>}
        {answer.status === "error" && <ErrorState>{answer.message}</ErrorState>}
        {answer.status === "ok" && answer.data.__typename !== "SearchOk" && (
          <ErrorState>{rejection(answer.data)}</ErrorState>
        )}
        {ok && hasStudy && curve?.key === curveKey && (
          <TrueRankPanel ok={ok} levels={levels} ranks={curve.ranks} level={state.level} />
        )}
        {ok && (
          <div className="columns">
            {ok.results.map((result) => (
              <ModelColumn
                key={result.model}
                result={result}
                calibration={calibration[result.model]}
                onSearchWith={setQuery}
              />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}

function rejection(data: Exclude<SearchAnswer["search"], { __typename: "SearchOk" }>): string {
  switch (data.__typename) {
    case "ImageRejected":
      return data.reason === "UNKNOWN_UPLOAD"
        ? "This uploaded image is no longer kept (uploads expire after an hour): upload it again."
        : `This file is not an image we can read: ${data.message}`;
    case "ModelUnavailable":
      return `The model "${data.model}" cannot be used here: ${data.message}`;
    case "NotIndexed":
      return `The model "${data.model}" has no ${data.target.toLowerCase()} index yet: ${data.message}`;
  }
}

function QueryPanel(props: {
  onFile: (file: File) => void;
  onText: (text: string) => void;
  onPick: (imageId: string) => void;
  uploading: Loaded<null>;
  initialText: string;
  api: ReturnType<typeof browserApi>;
}) {
  const [over, setOver] = useState(false);
  const [text, setText] = useState(props.initialText);
  useEffect(() => setText(props.initialText), [props.initialText]);
  return (
    <>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the keyboard path is the file input inside it */}
      <div
        className={`dropzone${over ? " over" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const file = e.dataTransfer.files[0];
          if (file) props.onFile(file);
        }}
      >
        <label htmlFor="query-file" style={{ display: "block", marginBottom: "0.4rem" }}>
          Choose a chest X-ray (PNG, JPEG, 16-bit PNG, DICOM), drop it here, or paste it
        </label>
        <input
          id="query-file"
          type="file"
          accept="image/png,image/jpeg,application/dicom,.dcm,.png,.jpg,.jpeg"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) props.onFile(file);
            e.target.value = "";
          }}
        />
        {props.uploading.status === "loading" && <LoadingState>Uploading…</LoadingState>}
        {props.uploading.status === "error" && <ErrorState>{props.uploading.message}</ErrorState>}
      </div>
      <form
        aria-label="Search by text"
        style={{ margin: "0.8rem 0", display: "flex", gap: "0.4rem" }}
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim() !== "") props.onText(text.trim());
        }}
      >
        <label htmlFor="query-text" className="visually-hidden">
          Describe findings (the answers are images)
        </label>
        <input
          id="query-text"
          type="search"
          placeholder="Describe findings, e.g. left pleural effusion"
          value={text}
          onChange={(e) => setText(e.target.value)}
          style={{ flex: 1, minWidth: 0 }}
        />
        <button type="submit">Search</button>
      </form>
      <DatasetPicker api={props.api} onPick={props.onPick} />
    </>
  );
}

function DatasetPicker({
  api,
  onPick,
}: {
  api: ReturnType<typeof browserApi>;
  onPick: (id: string) => void;
}) {
  const [images, setImages] = useState<Loaded<{ id: string; label: string; src: string }[]>>({
    status: "loading",
  });
  useEffect(() => {
    (async () => {
      const { datasets } = await api.request(DatasetsDocument, {});
      const dataset = datasets.find((d) => d.status === "ready") ?? datasets[0];
      if (!dataset) return [];
      const split = dataset.splits.some((s) => s.name === "test") ? "test" : undefined;
      const page = await api.request(DatasetStudiesDocument, {
        name: dataset.name,
        first: 8,
        ...(split ? { split } : {}),
      });
      return page.dataset.studies.edges.flatMap(({ node }) =>
        node.images.slice(0, 1).map((im) => ({
          id: im.id,
          label: `${dataset.name} study ${node.externalId} (${node.split})`,
          src: imageSrc(im.previewUrl),
        })),
      );
    })()
      .then((data) => setImages({ status: "ok", data }))
      .catch((error) => setImages({ status: "error", message: sentence(error) }));
  }, [api]);
  return (
    <details>
      <summary>Or pick an image of an ingested dataset</summary>
      {images.status === "loading" && <LoadingState />}
      {images.status === "error" && <ErrorState>{images.message}</ErrorState>}
      {images.status === "ok" && images.data.length === 0 && (
        <div className="state empty">No dataset is ingested yet.</div>
      )}
      {images.status === "ok" && images.data.length > 0 && (
        <div className="picker">
          {images.data.map((im) => (
            <button key={im.id} type="button" onClick={() => onPick(im.id)} title={im.label}>
              {/* biome-ignore lint/performance/noImgElement: API-served previews, already small PNGs */}
              <img src={im.src} alt={`Search with ${im.label}`} />
            </button>
          ))}
        </div>
      )}
    </details>
  );
}

function ModelPicker(props: {
  models: Loaded<Model[]>;
  chosen: string[];
  onChange: (models: string[]) => void;
}) {
  const { models, chosen } = props;
  return (
    <fieldset>
      <legend>Models (up to {MAX_MODELS}, side by side)</legend>
      {models.status === "loading" && <LoadingState />}
      {models.status === "error" && <ErrorState>{models.message}</ErrorState>}
      {models.status === "ok" && models.data.length === 0 && (
        <div className="state empty">No model is registered yet (cxr models add).</div>
      )}
      {models.status === "ok" &&
        models.data.map((m) => {
          const indexed = m.indexes.length > 0;
          const checked = chosen.includes(m.modelId);
          return (
            <div key={m.modelId}>
              <input
                type="checkbox"
                id={`model-${m.modelId}`}
                checked={checked}
                disabled={!indexed || (!checked && chosen.length >= MAX_MODELS)}
                onChange={(e) =>
                  props.onChange(
                    e.target.checked ? [...chosen, m.modelId] : chosen.filter((id) => id !== m.modelId),
                  )
                }
              />{" "}
              <label htmlFor={`model-${m.modelId}`}>
                {m.name} <span className="muted mono">{m.modelId}</span>
                {!indexed && <span className="muted"> (not indexed)</span>}
              </label>
            </div>
          );
        })}
    </fieldset>
  );
}

function OcclusionPanel(props: {
  state: SearchState;
  maxLevel: number;
  onLevel: (level: number) => void;
  onFill: (fill: Fill) => void;
  ok: Ok | null;
  shownLevel: number | null;
  localPreview: { id: string; url: string } | null;
}) {
  const { state, ok } = props;
  const q = state.query!;
  // The slider moves at once; the URL (and the search) follow. Without this, keys pressed faster
  // than the URL updates would each start from the old level.
  // Only a change that did not come from this slider (a new query, back/forward) moves it.
  // The URL commits this slider's levels one after the other, possibly after later keys: a level
  // it pushed and that is still on its way is not an outside change (it must not move the slider
  // back), so the levels pushed and not yet seen in the URL are kept in order.
  const [level, setLevel] = useState(state.level);
  const pending = useRef<number[]>([]);
  useEffect(() => {
    const at = pending.current.indexOf(state.level);
    if (at >= 0) {
      pending.current = pending.current.slice(at + 1);
      return;
    }
    pending.current = [];
    setLevel(state.level);
  }, [state.level]);
  // An indexed image's preview address comes from the API (its route takes the database id).
  const [indexedPreview, setIndexedPreview] = useState<{ id: string; url: string } | null>(null);
  const imageId = q.kind === "image" ? q.id : null;
  useEffect(() => {
    if (imageId === null) return;
    const abort = new AbortController();
    browserApi()
      .request(ImageDocument, { id: imageId }, { signal: abort.signal })
      .then(({ image }) => setIndexedPreview({ id: imageId, url: imageSrc(image.previewUrl) }))
      .catch(() => {});
    return () => abort.abort();
  }, [imageId]);
  const src =
    q.kind === "image"
      ? indexedPreview?.id === q.id
        ? indexedPreview.url
        : null
      : props.localPreview?.id === (q.kind === "upload" ? q.id : "")
        ? props.localPreview.url
        : null;
  const occlusion = ok?.occlusion ?? null;
  const cells = occlusion && props.shownLevel === occlusion.level ? occlusion.cells : [];
  const grid = occlusion?.grid ?? state.grid;
  const edge = (i: number) => `${(Math.floor((i * 10000) / grid) / 100).toFixed(2)}%`;
  return (
    <fieldset>
      <legend>Occlusion (the benchmark's renderer)</legend>
      <div className="query-preview" data-testid="query-preview">
        {src ? (
          // biome-ignore lint/performance/noImgElement: a local object URL or an API preview
          <img src={src} alt="The query radiograph" />
        ) : (
          <div
            className="placeholder-image"
            role="img"
            aria-label="The uploaded query (not kept in this browser)"
          />
        )}
        {cells.map((cell) => {
          const i = cell % grid;
          const j = Math.floor(cell / grid);
          return (
            <span
              key={cell}
              className={`cell ${occlusion?.fill ?? "BLACK"}`}
              data-cell={cell}
              style={{
                left: edge(i),
                top: edge(j),
                width: `calc(${edge(i + 1)} - ${edge(i)})`,
                height: `calc(${edge(j + 1)} - ${edge(j)})`,
              }}
            />
          );
        })}
      </div>
      <p className="muted" style={{ margin: "0.3rem 0" }} data-testid="hidden-cells">
        {cells.length} of {grid * grid} cells hidden ({grid}×{grid} grid, seed {state.seed}, fill{" "}
        {state.fill.toLowerCase()})
      </p>
      <div className="slider-row">
        <label htmlFor="occlusion-level">Level</label>
        <input
          id="occlusion-level"
          type="range"
          min={0}
          max={props.maxLevel}
          step={LEVEL_STEP}
          value={level}
          aria-valuetext={`${Math.round(level * 100)}% of the cells hidden`}
          onChange={(e) => {
            const next = Math.round(Number(e.target.value) * 100) / 100;
            setLevel(next);
            pending.current.push(next);
            props.onLevel(next);
          }}
        />
        <output htmlFor="occlusion-level" data-testid="level-value">
          {level.toFixed(1)}
        </output>
      </div>
      <div style={{ marginTop: "0.4rem" }}>
        <label htmlFor="occlusion-fill">Fill </label>
        <select id="occlusion-fill" value={state.fill} onChange={(e) => props.onFill(e.target.value as Fill)}>
          <option value="BLACK">black</option>
          <option value="MEAN">image mean</option>
          <option value="NOISE">noise</option>
        </select>
      </div>
    </fieldset>
  );
}

function TrueRankPanel(props: {
  ok: Ok;
  levels: number[];
  ranks: Record<string, (number | null)[]>;
  level: number;
}) {
  const { ok } = props;
  const series = useMemo(
    () => Object.entries(props.ranks).map(([model, values]) => ({ label: model, values })),
    [props.ranks],
  );
  return (
    <div className="panel" style={{ marginBottom: "1rem" }} data-testid="true-rank">
      <p className="truerank" style={{ marginTop: 0 }}>
        This image belongs to study <strong>{ok.queryStudy?.externalId}</strong> ({ok.queryStudy?.split}).
        Rank of its own report at level {props.level.toFixed(1)}:{" "}
        {ok.results.map((r, i) => (
          <span key={r.model}>
            {i > 0 && ", "}
            <span className="mono">{r.model}</span>{" "}
            <strong data-testid={`true-rank-${r.model}`}>{r.trueRank ?? "–"}</strong>
          </span>
        ))}
      </p>
      <Plot
        title="Rank of the true report against the occlusion level (1 is best)"
        x={props.levels}
        xLabel="occlusion level"
        yLabel="rank of the true report"
        series={series}
        invertY
        height={200}
      />
    </div>
  );
}

function ModelColumn(props: {
  result: Ok["results"][number];
  calibration: Calibration | "loading" | "failed" | undefined;
  onSearchWith: (q: Query) => void;
}) {
  const { result, calibration } = props;
  const best = result.hits[0]?.score ?? null;
  const reference = typeof calibration === "object" ? calibration.median : null;
  const low = best !== null && reference !== null && best < reference;
  const headingId = useRef(`col-${result.model.replace(/[^a-z0-9-]/gi, "-")}`).current;
  return (
    <section className="column" aria-labelledby={headingId} data-testid={`column-${result.model}`}>
      <h2 id={headingId} className="mono">
        {result.model}
      </h2>
      {result.trueRank != null && (
        <p className="truerank">
          True report rank: <strong>{result.trueRank}</strong>
        </p>
      )}
      {low && typeof calibration === "object" && (
        <div className="state warn" role="note" data-testid="low-confidence">
          <strong>No confident match.</strong> The best score ({fmt(best)}) is below the median score this
          model gives true image–report pairs ({fmt(reference)}, over {calibration.pairs} test images). Read
          these as weak suggestions.
        </div>
      )}
      {result.hits.length === 0 ? (
        <div className="state empty">No hit for this query and filter.</div>
      ) : (
        <ol className="hits">
          {result.hits.map((hit) => (
            <li key={`${hit.rank}-${hit.study.id}`} className="hit">
              <div className="hit-head">
                <span className="badge">#{hit.rank}</span>
                <span className="score" title="cosine similarity">
                  {fmt(hit.score)}
                </span>
                <span className="mono">{hit.study.externalId}</span>
                <span className="muted">
                  {hit.study.dataset.name} · {hit.study.split}
                </span>
              </div>
              {hit.report && (
                <>
                  {hit.report.impression && (
                    <p>
                      <strong>Impression:</strong> {hit.report.impression}
                    </p>
                  )}
                  {hit.report.findings && (
                    <p>
                      <strong>Findings:</strong> {hit.report.findings}
                    </p>
                  )}
                  {!hit.report.impression && !hit.report.findings && <p>{hit.report.fullText}</p>}
                </>
              )}
              {hit.image && (
                // biome-ignore lint/performance/noImgElement: API-served previews
                <img
                  className="hit-thumb"
                  src={imageSrc(hit.image.previewUrl)}
                  alt={`Radiograph of study ${hit.study.externalId}`}
                  loading="lazy"
                />
              )}
              <button
                type="button"
                className="secondary"
                onClick={() =>
                  hit.image
                    ? props.onSearchWith({ kind: "image", id: hit.image.id })
                    : props.onSearchWith({
                        kind: "text",
                        text: (
                          hit.report?.impression ??
                          hit.report?.findings ??
                          hit.report?.fullText ??
                          ""
                        ).slice(0, 500),
                      })
                }
              >
                Search with this
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
