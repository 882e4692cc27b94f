#!/usr/bin/env bash
# The main job on a fresh machine with nothing configured, end to end and with no downloads:
# install; create and migrate the database; report what this machine offers; generate a synthetic
# chest-radiograph set and ingest it; register the project's demo model; index images and reports;
# search with one image; run the occlusion-robustness benchmark and write its report.
# Safe to run again: every step is idempotent or resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

data="${CXR_DATA_DIR:-data}"
synth="$data/synthetic"
studies="${CXR_START_STUDIES:-1000}"

echo "== database and machine"
pnpm --silent cxr db migrate
pnpm --silent cxr doctor || echo "(doctor found problems; continuing with what works)"

echo "== synthetic data: $studies studies (seed start-1, not the demo model's training seed)"
[ -f "$synth/manifest.jsonl" ] || pnpm --silent cxr synth --out "$synth" --studies "$studies" --seed start-1
pnpm --silent cxr ingest manifest "$synth" --name synthetic

echo "== demo model (trained on synthetic data only; not a medical model)"
if ! pnpm --silent cxr models list --json | grep -q '"id": "demo-cxr"'; then
  pnpm --silent cxr models add packages/encoders/models/demo-cxr
fi

echo "== index images and reports"
pnpm --silent cxr index --model demo-cxr --dataset synthetic --text-field full

echo "== search: the reports closest to one test image"
query="$(node -e '
  const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  console.log(lines.map((l) => JSON.parse(l)).find((s) => s.split === "test").images[0].path);
' "$synth/manifest.jsonl")"
pnpm --silent cxr search --model demo-cxr --image "$synth/$query" --k 5

echo "== occlusion-robustness benchmark (protocol v1) on the test split"
pnpm --silent cxr bench --models demo-cxr --dataset synthetic --text-field findings+impression
pnpm --silent cxr leaderboard publish "$(pnpm --silent cxr bench list --json | node -e 'const r = JSON.parse(require("node:fs").readFileSync(0, "utf8")).find((x) => x.status === "completed"); process.stdout.write(r ? r.runId : "")')" && pnpm --silent cxr leaderboard list

echo
echo "Done. Runs: pnpm cxr bench list; each run's report.html is in $data/runs/<runId>/."
