/**
 * A progress line on stderr for long jobs: done/total, rate and ETA. On a terminal it redraws in
 * place; otherwise (CI, pipes) it prints a line at most every `intervalMs`, so logs stay short.
 * It never prints item contents (no report text, no pixels).
 */
export interface Progress {
  tick(done: number, total?: number): void;
  done(summary?: string): void;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function createProgress(
  label: string,
  options: {
    total?: number;
    unit?: string;
    quiet?: boolean;
    intervalMs?: number;
    stream?: NodeJS.WriteStream;
  } = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const interval = options.intervalMs ?? (tty ? 100 : 5000);
  const unit = options.unit ?? "items";
  const start = Date.now();
  let total = options.total;
  let last = 0;
  let lastDone = 0;
  let startDone: number | undefined;

  const render = (done: number): string => {
    const elapsed = (Date.now() - start) / 1000;
    // The rate counts only this run's work, so a resumed job does not claim the earlier run's items.
    const rate = elapsed > 0 ? (done - (startDone ?? 0)) / elapsed : 0;
    if (total === undefined || total === 0)
      return `${label} ${done} ${unit} ${rate.toFixed(1)}/s ${duration(elapsed)}`;
    const pct = Math.min(100, (100 * done) / total);
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${unit} ${pct.toFixed(1)}% ${rate.toFixed(1)}/s ETA ${duration(eta)}`;
  };

  return {
    tick(done, newTotal) {
      if (options.quiet) return;
      startDone ??= done;
      if (newTotal !== undefined) total = newTotal;
      lastDone = done;
      const now = Date.now();
      if (now - last < interval && done !== total) return;
      last = now;
      if (tty) stream.write(`\r\x1b[2K${render(done)}`);
      else stream.write(`${render(done)}\n`);
    },
    done(summary) {
      if (options.quiet) return;
      if (tty) stream.write(`\r\x1b[2K${render(lastDone)}\n`);
      if (summary) stream.write(`${label} ${summary} in ${duration((Date.now() - start) / 1000)}\n`);
    },
  };
}
