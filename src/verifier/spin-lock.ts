// bpf_spin_lock and bpf_spin_unlock as the kernel verifier checks them
// (kernel/bpf/verifier.c, Linux 6.18): the argument points exactly at the
// `struct bpf_spin_lock` of a map value whose BTF type has one
// (process_spin_lock); a path holds at most one lock, and only the pointer
// (same map, same id) that took it may release it; while it is held the only
// call allowed is bpf_spin_unlock or a static bpf-to-bpf function (do_check's
// call check, check_func_call for global functions), and the main program may
// not exit (check_resource_leak); no load, store or helper may touch the lock
// word itself (check_map_access). A map whose kind or flags cannot hold a
// lock is created by libbpf without BTF (map_check_btf refuses it with it),
// so its value's lock is no lock to the verifier.
import { SPIN_LOCK_BYTES } from "../helpers/lock-helpers.ts";
import { MapFlag } from "../maps/flags.ts";
import { MapType, type MapDef } from "../maps/types.ts";
import type { Env } from "./env.ts";
import type { PtrReg } from "./reg-state.ts";
import { Reject, reject } from "./reject.ts";
import * as S from "./scalar.ts";
import type { VState } from "./state.ts";

// The lock a path holds: the map value pointer's id and map (the kernel's active_lock_id / active_lock_ptr).
export interface HeldLock {
  readonly id: number;
  readonly map: MapDef;
  readonly insn: number;
}

// The map kinds whose values may hold a lock (kernel/bpf/syscall.c map_check_btf, Linux 6.18); for any
// other kind map creation with BTF fails with EOPNOTSUPP (measured: LRU hash, per-CPU hash and array,
// LRU per-CPU hash), and for a map a program may only read or only write with EACCES.
const LOCK_HOLDING_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.ARRAY,
  MapType.CGROUP_STORAGE,
  MapType.SK_STORAGE,
  MapType.INODE_STORAGE,
  MapType.TASK_STORAGE,
]);
const canHoldLock = (map: MapDef): boolean =>
  LOCK_HOLDING_MAP_TYPES.has(map.type) && (map.flags & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) === 0;

// Where the verifier finds the map value's lock: its BTF's, when the kernel lets the map keep that BTF.
const lockOffsetOf = (map: MapDef | undefined): number | undefined =>
  map !== undefined && canHoldLock(map) ? map.spinLockOffsetBytes : undefined;

// A map value pointer into a value with a lock keeps its id after the NULL check (reg_may_point_to_spin_lock).
export const mayPointToSpinLock = (map: MapDef | undefined): boolean => lockOffsetOf(map) !== undefined;

// process_spin_lock for a map value pointer (the argument's type is checked by the caller).
export function processSpinLock(env: Env, state: VState, regno: number, reg: PtrReg, isLock: boolean, pc: number): void {
  const varOff = S.constValue(reg.varOff);
  if (varOff === undefined) reject("EINVAL", `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  const map = reg.map!;
  const lockOff = lockOffsetOf(map);
  // libbpf created the map without BTF when the kernel refused it with its lock (or the object has none).
  const withoutBtf = !env.opts.mapValueBtf || (map.spinLockOffsetBytes !== undefined && !canHoldLock(map));
  if (lockOff === undefined && withoutBtf) reject("EINVAL", `map '${map.name}' has to have BTF in order to use bpf_spin_lock`);
  if (lockOff === undefined) return reject("EINVAL", `map '${map.name}' has no valid bpf_spin_lock`);
  const off = BigInt.asIntN(64, varOff! + BigInt(reg.off));
  if (off !== BigInt(lockOff)) reject("EINVAL", `off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${lockOff}`);
  if (isLock) {
    if (state.lock !== undefined) reject("EINVAL", "Locking two bpf_spin_locks are not allowed");
    state.lock = { id: reg.id, map, insn: pc };
    return;
  }
  if (state.lock === undefined) reject("EINVAL", "bpf_spin_unlock without taking a lock");
  if (state.lock!.id !== reg.id || state.lock!.map !== map) reject("EINVAL", "bpf_spin_unlock of different lock");
  state.lock = undefined;
}

// do_check: with a lock held, a helper other than bpf_spin_unlock, or a kfunc, may not be called.
export function checkCallWhileLocked(state: VState, unlocks: boolean): void {
  if (state.lock !== undefined && !unlocks) reject("EINVAL", "function calls are not allowed while holding a lock");
}

// check_func_call: a global function is verified without the caller's lock, so it may not be called with one.
export function checkGlobalCallWhileLocked(state: VState): void {
  if (state.lock !== undefined) throw new Reject(["global function calls are not allowed while holding a lock,", "use static function instead"], "EINVAL", undefined, 0);
}

// check_resource_leak at the main program's exit.
export function checkExitWhileLocked(state: VState): void {
  if (state.lock !== undefined) reject("EINVAL", "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region");
}

// check_map_access: an access of `size` bytes at `off` from a map value pointer (with its variable offset) that may
// overlap the value's lock is refused, whether a load, a store, an atomic or a helper's memory argument.
export function checkLockUntouched(reg: PtrReg, off: number, size: number): void {
  const lockOff = lockOffsetOf(reg.map);
  if (lockOff === undefined) return;
  const lockStart = BigInt(lockOff);
  if (reg.varOff.smin + BigInt(off) < lockStart + BigInt(SPIN_LOCK_BYTES) && lockStart < reg.varOff.umax + BigInt(off + size)) {
    reject("EACCES", "bpf_spin_lock cannot be accessed directly by load/store");
  }
}
