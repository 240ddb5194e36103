// The progress bar of a long run, on stderr: shown only when stderr is a
// terminal and the run has already taken more than a second, so short runs
// and runs in scripts or CI stay quiet. Redrawn at most a few times a second.

export interface Progress {
  update(done: number, expected: number | undefined): void;
  finish(): void;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

// A run shorter than this gets no bar at all.
export const PROGRESS_DELAY_MS = 1_000;
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export function createProgress(stream: ProgressStream, label: string, now: () => number = Date.now): Progress {
  const started = now();
  let lastDraw = 0;
  let drawn = false;
  if (!stream.isTTY) return { update() {}, finish() {} };
  return {
    update(done, expected) {
      const t = now();
      if (t - started < PROGRESS_DELAY_MS || t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      drawn = true;
      const rate = done / ((t - started) / 1000);
      const text =
        expected !== undefined && expected > 0
          ? `${label} [${"#".repeat(Math.round((done / expected) * BAR_WIDTH)).padEnd(BAR_WIDTH, ".")}] ${done}/${expected} packets, ${Math.round(rate)}/s, ${eta(expected - done, rate)} left`
          : `${label} ${done} packets, ${Math.round(rate)}/s`;
      // A terminal that reports no width (0 under some pseudo-terminals) gets 80 columns.
      const width = stream.columns !== undefined && stream.columns > 20 ? stream.columns - 1 : 79;
      stream.write(`\r${text.slice(0, width)}\x1b[K`);
    },
    finish() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}

function eta(remaining: number, rate: number): string {
  if (!(rate > 0)) return "?";
  const s = Math.ceil(remaining / rate);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}
