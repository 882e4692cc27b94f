import { DatasetStudiesDocument, DatasetsDocument, SearchDocument } from "@cxr/api-client";
import { serverApi } from "../lib/api";

/**
 * What a model scores on true pairs, for the search page's low-confidence rule: each of up to
 * SAMPLE test-split images of each dataset is searched (image to reports), and the score the model
 * gives that study's own report is kept. Answers the median and the lowest of those scores.
 * Kept for ten minutes per model.
 */
const SAMPLE = 16;
const KEEP_MS = 10 * 60 * 1000;
const cache = new Map<string, { at: number; value: Calibration }>();

export interface Calibration {
  model: string;
  pairs: number;
  median: number | null;
  lowest: number | null;
}

async function calibrate(model: string): Promise<Calibration> {
  const api = serverApi();
  const { datasets } = await api.request(DatasetsDocument, {});
  const scores: number[] = [];
  for (const dataset of datasets) {
    const split = dataset.splits.some((s) => s.name === "test") ? "test" : undefined;
    const page = await api.request(DatasetStudiesDocument, {
      name: dataset.name,
      first: SAMPLE,
      ...(split ? { split } : {}),
    });
    for (const edge of page.dataset.studies.edges) {
      const image = edge.node.images[0];
      if (!image || scores.length >= SAMPLE) continue;
      const { search } = await api.request(SearchDocument, {
        input: { imageId: image.id, models: [model], target: "REPORTS", k: 1 },
      });
      if (search.__typename !== "SearchOk") continue;
      const score = search.results[0]?.trueScore;
      if (score != null) scores.push(score);
    }
  }
  scores.sort((a, b) => a - b);
  const mid = scores.length / 2;
  const median =
    scores.length === 0
      ? null
      : scores.length % 2 === 1
        ? scores[Math.floor(mid)]!
        : (scores[mid - 1]! + scores[mid]!) / 2;
  return { model, pairs: scores.length, median, lowest: scores[0] ?? null };
}

export async function GET(request: Request) {
  const model = new URL(request.url).searchParams.get("model");
  if (!model) return Response.json({ message: "name a model" }, { status: 400 });
  const kept = cache.get(model);
  if (kept && Date.now() - kept.at < KEEP_MS) return Response.json(kept.value);
  try {
    const value = await calibrate(model);
    cache.set(model, { at: Date.now(), value });
    return Response.json(value);
  } catch (error) {
    return Response.json({ message: (error as Error).message }, { status: 502 });
  }
}
export const dynamic = "force-dynamic";
