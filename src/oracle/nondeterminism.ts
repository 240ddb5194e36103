// The helpers whose answer the kernel does not let us choose: the clocks
// (bpf_ktime_get_ns, bpf_ktime_get_boot_ns), bpf_get_prandom_u32 and the
// SYN-cookie helpers (bpf_tcp_raw_gen/check_syncookie_ipv4/ipv6: their
// cookies hash with a secret the kernel draws at boot). The
// interpreter gets them through a helper table that records each call, so
// a run says whether its outcome may depend on them, and through a clock
// and a random source fixed per run:
// - time: the kernel reads CLOCK_MONOTONIC (CLOCK_BOOTTIME) somewhere inside
//   the test run, so its value lies between two readings taken just before
//   and just after it. The interpreter runs twice, at the earlier and at
//   the later reading; the kernel must agree with one of the two, except in
//   the bytes where the two runs differ (the time itself, stored in a map).
// - random numbers: two runs with different seeds find the bytes that depend
//   on them; if the action or the packet depends on them, the packet cannot
//   be compared (docs/kernel.md, "Exclusions"). The SYN-cookie helpers count
//   as random: each seed gives them a secret of its own, so a cookie's bytes
//   differ between the two runs, and an ACK whose cookie the kernel made
//   (which only the kernel accepts) is left out rather than called a mismatch.
// bpf_get_smp_processor_id needs no such care: the thread is pinned (host-control.ts).
import { HelperId, type HelperImplementation, type HelperTable, type SimClock } from "../helpers/index.ts";
import { syncookieHelpers } from "../helpers/syncookie.ts";

const TIME_HELPERS: ReadonlySet<number> = new Set([HelperId.KTIME_GET_NS, HelperId.KTIME_GET_BOOT_NS, HelperId.KTIME_GET_TAI_NS]);
const SYNCOOKIE_HELPERS: ReadonlySet<number> = new Set([
  HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV4,
  HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV6,
  HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV4,
  HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV6,
]);
// The helpers whose answers come from the kernel's random numbers.
export const RANDOM_HELPERS: ReadonlySet<number> = new Set([HelperId.GET_PRANDOM_U32, ...SYNCOOKIE_HELPERS]);
// Every helper whose answer the kernel chooses: a program calling none of them needs no bracketing.
export const NONDETERMINISTIC_HELPERS: ReadonlySet<number> = new Set([...TIME_HELPERS, ...RANDOM_HELPERS]);

export interface NondeterministicCalls {
  time: boolean;
  random: boolean;
}

export const noCalls = (): NondeterministicCalls => ({ time: false, random: false });

// The SYN-cookie helpers of a run whose random numbers come from `seed`: a secret made of the seed's bytes.
function seededSyncookies(seed: number): ReadonlyMap<number, HelperImplementation> {
  const secret = new Uint8Array(4);
  new DataView(secret.buffer).setUint32(0, seed >>> 0);
  return syncookieHelpers(secret);
}

// `base` with the clock and random helpers wrapped to note each call in `calls`; with `seed`, the
// SYN-cookie helpers hash with that seed's secret (as bpf_get_prandom_u32 draws from the run's seeded source).
export function recordingHelpers(base: HelperTable, calls: NondeterministicCalls, seed?: number): HelperTable {
  const seeded = seed === undefined ? undefined : seededSyncookies(seed);
  const table = new Map<number, HelperImplementation>(base);
  for (const [id, given] of base) {
    const implementation = seeded?.get(id) ?? given;
    if (TIME_HELPERS.has(id)) table.set(id, (call) => ((calls.time = true), implementation(call)));
    if (RANDOM_HELPERS.has(id)) table.set(id, (call) => ((calls.random = true), implementation(call)));
  }
  return table;
}

// A clock that reads `monotonicNs` for the whole run (CLOCK_BOOTTIME is `bootOffsetNs` later, CLOCK_TAI `taiOffsetNs`).
export function frozenClock(monotonicNs: bigint, bootOffsetNs: bigint, taiOffsetNs = 0n): SimClock {
  return { startNs: monotonicNs, nsPerInstruction: 0n, bootOffsetNs, taiOffsetNs };
}
