#!/usr/bin/env bash
# The main job on a fresh machine with nothing configured, end to end and with no downloads:
# install; create and migrate the database; report what this machine offers; generate a synthetic
# chest-radiograph set and ingest it; register the project's demo model; index images and reports;
# search with one image; run the occlusion-robustness benchmark and write its report; then serve
# the API and the web UI until Ctrl-C.
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
echo "Runs: pnpm cxr bench list; each run's report.html is in $data/runs/<runId>/."

echo "== web UI: production build (skipped when up to date)"
web_port="${CXR_WEB_PORT:-3000}"
api_port="${CXR_API_PORT:-4000}"
if [ ! -f apps/web/.next/BUILD_ID ] ||
  [ -n "$(find apps/web/app apps/web/next.config.ts packages/api-client/src -newer apps/web/.next/BUILD_ID -print -quit)" ]; then
  pnpm --silent --filter @cxr/web build
fi

echo "== serving the API (127.0.0.1:$api_port) and the web UI (127.0.0.1:$web_port)"
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT
./node_modules/.bin/tsx apps/cli/src/main.ts serve --host 127.0.0.1 --port "$api_port" &
pids+=($!)
(cd apps/web && CXR_API_URL="http://127.0.0.1:$api_port" exec node node_modules/next/dist/bin/next start \
  --hostname 127.0.0.1 --port "$web_port") &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$api_port/readyz" 2>/dev/null &&
    curl -fsS -o /dev/null "http://127.0.0.1:$web_port/models" 2>/dev/null && break
  sleep 0.5
done
echo
echo "Open http://127.0.0.1:$web_port  (search by image or text; Ctrl-C stops the API and the web UI)"
wait -n "${pids[@]}" || true
