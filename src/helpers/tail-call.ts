// bpf_tail_call (kernel/bpf/core.c, JMP_TAIL_CALL in ___bpf_prog_run): jump
// into the program held at `index` of a prog_array, keeping the registers and
// the stack frame, never to return. It fails silently (execution continues
// after the call, r0 untouched) when the index is out of range, when 33 tail
// calls have already been taken in this run, or when the slot is empty; the
// count is taken before the empty-slot check, as in the kernel.
import { MapType, type BpfMap } from "../maps/types.ts";
import { contextArgument, isOutcome, mapArgument, u32Key } from "./args.ts";
import { helperName } from "./prototypes.ts";
import { misuse, type HelperCall, type HelperOutcome } from "./runtime.ts";

// include/linux/bpf.h
export const MAX_TAIL_CALL_CNT = 33;

const fallThrough: HelperOutcome = { kind: "fall-through" };

export function tailCall(call: HelperCall): HelperOutcome {
  const notContext = contextArgument(call, 0);
  if (notContext) return notContext;
  const map = mapArgument(call, 1);
  if (isOutcome(map)) return map;
  if (map.def.type !== MapType.PROG_ARRAY) {
    return misuse(`${helperName(call.id)} needs a prog_array, not map '${map.def.name}' (type ${map.def.type})`);
  }
  const index = Number(BigInt.asUintN(32, call.args[2]));
  if (index >= map.def.maxEntries) return fallThrough;
  if (call.machine.tailCalls >= MAX_TAIL_CALL_CNT) return fallThrough;
  call.machine.tailCalls++;
  const programId = slotProgram(map, index);
  if (programId === undefined) return fallThrough;
  const program = call.machine.programs.get(programId);
  if (!program) return misuse(`prog_array '${map.def.name}' slot ${index} holds program ${programId}, which is not loaded`);
  return { kind: "tail-call", program };
}

// The program id in a prog_array slot, undefined when it is empty.
export function slotProgram(map: BpfMap, index: number): number | undefined {
  if (map.tailCallTarget) return map.tailCallTarget(index);
  const value = map.lookup(u32Key(index), 0);
  return value ? new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0, true) : undefined;
}
