import { DatasetsDocument, ModelsDocument } from "@cxr/api-client";
import { serverApi } from "../lib/api";
import { JobsView } from "./JobsView";

export const dynamic = "force-dynamic";

export default async function JobsPage() {
  // What the start forms offer; either list may be refused (no token on the web server): then the
  // forms take typed names.
  const api = serverApi();
  const [models, datasets] = await Promise.all([
    api
      .request(ModelsDocument, {})
      .then((d) => d.models.map((m) => m.modelId))
      .catch(() => [] as string[]),
    api
      .request(DatasetsDocument, {})
      .then((d) => d.datasets.map((x) => ({ name: x.name, splits: x.splits.map((s) => s.name) })))
      .catch(() => [] as { name: string; splits: string[] }[]),
  ]);
  return (
    <>
      <h1>Jobs</h1>
      <p className="muted">
        Every job, whoever started it (the same list as <code>cxr jobs</code>): its row is the one source of
        truth. Jobs started here run in the API's process, or on the workers when the API has a queue.
        Starting or cancelling needs a token with the <code>run</code> scope.
      </p>
      <JobsView models={models} datasets={datasets} />
    </>
  );
}
