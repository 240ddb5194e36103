// Helpers that read the simulated machine rather than memory: the clocks, the
// random source and the CPU number (kernel/bpf/helpers.c).
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

const monotonicNs = (call: HelperCall): bigint => {
  const clock = call.machine.clock;
  return clock.startNs + BigInt(call.machine.steps) * clock.nsPerInstruction;
};

export const ktimeGetNs = (call: HelperCall): HelperOutcome => returns(monotonicNs(call));

export const ktimeGetBootNs = (call: HelperCall): HelperOutcome => returns(monotonicNs(call) + call.machine.clock.bootOffsetNs);

// bpf_ktime_get_tai_ns (ktime_get_tai_fast_ns): the monotonic clock plus the TAI offset.
export const ktimeGetTaiNs = (call: HelperCall): HelperOutcome => returns(monotonicNs(call) + (call.machine.clock.taiOffsetNs ?? 0n));

// bpf_get_current_pid_tgid: the task the program interrupted, tgid << 32 | pid (under BPF_PROG_TEST_RUN the caller).
export const getCurrentPidTgid = (call: HelperCall): HelperOutcome => returns(call.machine.currentPidTgid ?? 0n);

export const getPrandomU32 = (call: HelperCall): HelperOutcome => returns(call.machine.random.nextU32());

export const getSmpProcessorId = (call: HelperCall): HelperOutcome => returns(call.machine.cpu);

// One NUMA node in the simulated host.
export const getNumaNodeId = (): HelperOutcome => returns(0);

// The simulated kernel's CONFIG_HZ (timer ticks per second): the jiffies clock and the coarse clock step once per tick.
export const SIM_HZ = 1000;
const NS_PER_TICK = 1_000_000_000n / BigInt(SIM_HZ);
// include/linux/jiffies.h INITIAL_JIFFIES: jiffies_64 starts 300 s before its 32-bit wrap, (u64)(u32)(-300 * HZ).
const INITIAL_JIFFIES = BigInt.asUintN(32, BigInt(-300 * SIM_HZ));

// The kernel's jiffies_64 on the simulated clock: ticks since boot, from INITIAL_JIFFIES.
export const jiffiesNow = (call: HelperCall): bigint => INITIAL_JIFFIES + monotonicNs(call) / NS_PER_TICK;

// bpf_jiffies64.
export const jiffies64 = (call: HelperCall): HelperOutcome => returns(jiffiesNow(call));

// bpf_ktime_get_coarse_ns (ktime_get_coarse_ns): the monotonic clock as of the last tick.
export const ktimeGetCoarseNs = (call: HelperCall): HelperOutcome => returns((monotonicNs(call) / NS_PER_TICK) * NS_PER_TICK);
