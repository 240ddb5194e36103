// Helpers that read the simulated machine rather than memory: the clocks, the
// random source and the CPU number (kernel/bpf/helpers.c).
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

const monotonicNs = (call: HelperCall): bigint => {
  const clock = call.machine.clock;
  return clock.startNs + BigInt(call.machine.steps) * clock.nsPerInstruction;
};

export const ktimeGetNs = (call: HelperCall): HelperOutcome => returns(monotonicNs(call));

export const ktimeGetBootNs = (call: HelperCall): HelperOutcome => returns(monotonicNs(call) + call.machine.clock.bootOffsetNs);

export const getPrandomU32 = (call: HelperCall): HelperOutcome => returns(call.machine.random.nextU32());

export const getSmpProcessorId = (call: HelperCall): HelperOutcome => returns(call.machine.cpu);

// One NUMA node in the simulated host.
export const getNumaNodeId = (): HelperOutcome => returns(0);
