// bpf_spin_lock / bpf_spin_unlock (kernel/bpf/helpers.c). A simulated run is
// the only one touching its maps, so the lock is always free: taking and
// releasing it change nothing a program or the syscall side can see (the
// verifier forbids reading the lock word, and map reads through bpf() leave
// it out). What remains is the argument: 4 writable bytes of a map value.
import { isOutcome, writableBytes } from "./args.ts";
import { helperName } from "./prototypes.ts";
import { misuse, returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// sizeof(struct bpf_spin_lock) (include/uapi/linux/bpf.h).
export const SPIN_LOCK_BYTES = 4;

function lockArgument(call: HelperCall): HelperOutcome {
  const address = call.args[0];
  if (call.machine.memory.regionAt(address)?.kind !== "map-value") {
    return misuse(`${helperName(call.id)} argument 1 (0x${address.toString(16)}) is not a lock inside a map value`);
  }
  const lock = writableBytes(call, address, SPIN_LOCK_BYTES);
  return isOutcome(lock) ? lock : returns(0);
}

export const spinLock = lockArgument;
export const spinUnlock = lockArgument;
