/**
 * bench/api/load.ts: the load generator of bench/api, run as its own process so that the server's
 * RSS is the server's alone. Reads one JSON argument (url, connections, duration, requests) and
 * prints autocannon's result as JSON on stdout.
 */
import autocannon from "autocannon";

const spec = JSON.parse(process.argv[2] ?? "{}") as {
  url: string;
  connections: number;
  duration: number;
  requests: { method: "POST" | "GET"; path: string; headers?: Record<string, string>; body?: string }[];
};
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  requests: spec.requests,
});
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCodes: result.statusCodeStats,
  }),
);
