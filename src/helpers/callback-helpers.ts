// The helpers that call a function of the program back: bpf_loop
// (kernel/bpf/bpf_iter.c) and bpf_for_each_map_elem (kernel/bpf/helpers.c,
// with each map kind's map_for_each_callback in kernel/bpf/arraymap.c and
// hashtab.c). Each answers with a CallbackLoop; the interpreter runs the
// callback in a frame of its own per call, so its instructions count toward
// the run's budget and its faults are the run's.
import { Segment, segmentBase } from "../interp/memory.ts";
import { Errno } from "../maps/errno.ts";
import { MapType, type BpfMap } from "../maps/types.ts";
import { isOutcome, mapArgument } from "./args.ts";
import { readOnlyForPrograms } from "./map-helpers.ts";
import { helperName } from "./prototypes.ts";
import { misuse, returns, type CallbackLoop, type CallbackStep, type HelperCall, type HelperOutcome } from "./runtime.ts";

// include/linux/bpf.h BPF_MAX_LOOPS: bpf_loop refuses more iterations with -E2BIG.
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

const done = (value: number): CallbackStep => ({ kind: "done", value: BigInt(value) });

// The callback's pc from the function address the program passed (ld_imm64 pseudo-func).
function callbackTarget(call: HelperCall, argIndex: number): number | HelperOutcome {
  const address = call.args[argIndex];
  const functions = segmentBase(Segment.FUNCTIONS);
  if (address >> 32n !== functions >> 32n || address < functions) {
    return misuse(`${helperName(call.id)} argument ${argIndex + 1} (0x${address.toString(16)}) is not the address of a function of the program`);
  }
  return Number(address - functions);
}

// bpf_loop(nr_loops, callback_fn, callback_ctx, flags): callback(index, ctx) for index 0, 1, ...
// until it returns non-zero (then index + 1) or nr_loops calls have run (then nr_loops). The kernel
// runs the inlined form whenever the verifier knew flags to be 0; a flags register that is 0 only at
// run time would reach the helper itself, which takes nr_loops as a u32 and answers a 64-bit -E2BIG.
export function loop(call: HelperCall): HelperOutcome {
  const target = callbackTarget(call, 1);
  if (typeof target !== "number") return target;
  const [nrLoopsArg, , contextArg, flags] = call.args;
  if (flags !== 0n) return returns(-Errno.EINVAL);
  // With flags 0 the verifier inlines the call (kernel/bpf/verifier.c inline_bpf_loop): it compares all
  // 64 bits of r1 with BPF_MAX_LOOPS and sets -E2BIG with a 32-bit move, so r0 = 0xfffffff9 (seen on 6.18).
  if (nrLoopsArg > BigInt(BPF_MAX_LOOPS)) return returns(BigInt.asUintN(32, BigInt(-Errno.E2BIG)));
  const nrLoops = Number(nrLoopsArg);
  let index = 0;
  const next = (): CallbackStep => (index < nrLoops ? { kind: "call", args: [BigInt(index), contextArg, 0n, 0n, 0n] } : done(index));
  const calls: CallbackLoop = {
    target,
    first: next,
    returned(r0: bigint): CallbackStep {
      index++;
      return r0 !== 0n ? done(index) : next();
    },
  };
  return { kind: "callbacks", loop: calls };
}

// The map kinds with a map_for_each_callback (the verifier refuses the others).
const ITERABLE: ReadonlySet<number> = new Set([
  MapType.ARRAY,
  MapType.PERCPU_ARRAY,
  MapType.HASH,
  MapType.PERCPU_HASH,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
]);

// The keys to visit, in the map's iteration order (the order of getNextKey, as the
// syscall side walks it). Taken when the helper is called: an element the callback
// deletes before it is reached is skipped, one it adds is not visited.
function keysOf(map: BpfMap): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let key = map.getNextKey(undefined); key !== undefined && keys.length < map.def.maxEntries; key = map.getNextKey(key)) {
    keys.push(key.slice());
  }
  return keys;
}

// bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags): callback(map, &key, &value, ctx)
// per element (this CPU's value for per-CPU maps) until it returns non-zero; returns the number of calls.
export function forEachMapElem(call: HelperCall): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  const target = callbackTarget(call, 1);
  if (typeof target !== "number") return target;
  if (!ITERABLE.has(map.def.type)) return misuse(`${helperName(call.id)} cannot iterate map '${map.def.name}' (type ${map.def.type})`);
  const [mapArg, , contextArg, flags] = call.args;
  if (flags !== 0n) return returns(-Errno.EINVAL);
  const memory = call.machine.memory;
  const keys = keysOf(map);
  // The key the callback sees: a read-only copy, refilled for each element.
  const keyRegion = memory.allocate({
    kind: "map-value",
    label: `key of map '${map.def.name}' (for_each_map_elem)`,
    bytes: new Uint8Array(map.def.keySize),
    writable: false,
  });
  const writable = !readOnlyForPrograms(map);
  let position = 0;
  let visited = 0;
  const next = (): CallbackStep => {
    for (; position < keys.length; position++) {
      const key = keys[position];
      const value = map.readValue ? map.readValue(key, call.machine.cpu) : map.lookup(key, call.machine.cpu);
      if (value === undefined) continue;
      position++;
      visited++;
      keyRegion.bytes.set(key);
      const valueAddress = memory.regionForView(value, "map-value", `value in map '${map.def.name}'`, writable).base;
      return { kind: "call", args: [mapArg, keyRegion.base, valueAddress, contextArg, 0n] };
    }
    return done(visited);
  };
  const calls: CallbackLoop = {
    target,
    first: next,
    returned: (r0: bigint): CallbackStep => (r0 !== 0n ? done(visited) : next()),
  };
  return { kind: "callbacks", loop: calls };
}
