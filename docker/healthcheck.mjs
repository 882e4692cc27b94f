// Container health checks without curl in the image: `node healthcheck.mjs http <url>` passes when
// the URL answers 2xx within 4 s; `node healthcheck.mjs tcp <url-or-host:port>...` passes when every
// address accepts a TCP connection within 4 s (a worker has no HTTP port: it needs Redis, the
// database and the store reachable).
import net from "node:net";

const [mode, ...targets] = process.argv.slice(2);

function hostPort(target) {
  const url = target.includes("://") ? new URL(target) : new URL(`tcp://${target}`);
  const defaults = {
    "redis:": 6379,
    "rediss:": 6379,
    "postgres:": 5432,
    "postgresql:": 5432,
    "http:": 80,
    "https:": 443,
  };
  return { host: url.hostname, port: Number(url.port || defaults[url.protocol] || 0) };
}

function tcp(target) {
  const { host, port } = hostPort(target);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: 4000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("timeout", () => socket.destroy(new Error(`${host}:${port} timed out`)));
    socket.once("error", reject);
  });
}

try {
  if (mode === "http") {
    const response = await fetch(targets[0], { signal: AbortSignal.timeout(4000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } else if (mode === "tcp") {
    await Promise.all(targets.filter((t) => t !== "").map(tcp));
  } else {
    throw new Error("usage: healthcheck.mjs http <url> | tcp <address>...");
  }
} catch (error) {
  console.error(`unhealthy: ${error.message}`);
  process.exit(1);
}
