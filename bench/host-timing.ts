// Timing for the host benchmark. The clock is the CPU time of the
// benchmark's own thread: clock_gettime(CLOCK_THREAD_CPUTIME_ID) through
// koffi (the project's native binding). It counts this thread only, not V8's
// compiler and GC threads nor other processes on a shared machine, and it is
// exact for the running thread (/proc/thread-self/schedstat lags by a tick).
// Without koffi or libc it falls back to the whole process's user + system
// time (process.cpuUsage). Figures are medians of samples, so one sample hit
// by an interrupt storm or a GC pause does not move them.
import { createRequire } from "node:module";

// include/uapi/linux/time.h
const CLOCK_THREAD_CPUTIME_ID = 3;
const NS_PER_S = 1_000_000_000;
const NS_PER_US = 1000;

type ClockGettime = (clock: number, timespec: BigInt64Array) => number;

function loadThreadClock(): ClockGettime | undefined {
  try {
    const require = createRequire(import.meta.url);
    const koffi = require("koffi") as { load(path: string): { func(definition: string): ClockGettime } };
    const clockGettime = koffi.load("libc.so.6").func("int clock_gettime(int clock, _Out_ int64_t *timespec)");
    return clockGettime(CLOCK_THREAD_CPUTIME_ID, new BigInt64Array(2)) === 0 ? clockGettime : undefined;
  } catch {
    return undefined;
  }
}

const threadClock = loadThreadClock();
// struct timespec on LP64: tv_sec and tv_nsec, both 64-bit.
const timespec = new BigInt64Array(2);

export const cpuClock = threadClock ? "CPU time of the benchmark thread (clock_gettime CLOCK_THREAD_CPUTIME_ID)" : "CPU time of the process (process.cpuUsage)";

export function threadCpuNs(): number {
  if (threadClock !== undefined && threadClock(CLOCK_THREAD_CPUTIME_ID, timespec) === 0) return Number(timespec[0]) * NS_PER_S + Number(timespec[1]);
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * NS_PER_US;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface TimingOptions {
  readonly sampleMs: number;
  readonly samples: number;
}

// ns of CPU per iteration of `body(n)` (which runs n iterations): calibrated until one sample lasts
// about sampleMs, then the median of `samples` samples.
export function timeIterations(body: (iterations: number) => void, options: TimingOptions): number {
  let iterations = 1;
  for (;;) {
    const started = threadCpuNs();
    body(iterations);
    const elapsedNs = threadCpuNs() - started;
    if (elapsedNs >= (options.sampleMs * 1e6) / 10) {
      iterations = Math.max(1, Math.round((options.sampleMs * 1e6 * iterations) / elapsedNs));
      break;
    }
    iterations *= 2;
  }
  const samplesNs: number[] = [];
  for (let s = 0; s < options.samples; s++) {
    const started = threadCpuNs();
    body(iterations);
    samplesNs.push((threadCpuNs() - started) / iterations);
  }
  return median(samplesNs);
}
