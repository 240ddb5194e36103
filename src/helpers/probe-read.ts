// bpf_probe_read_kernel (kernel/trace/bpf_trace.c bpf_probe_read_kernel_common):
// copy `size` bytes from a kernel address with copy_from_kernel_nofault
// (mm/maccess.c); on failure the destination is zeroed and the error returned.
// The simulated machine's only "kernel memory" is its own objects (the packet,
// map values, stacks): a read inside one copies it, as the kernel would read
// the packet through a packet pointer; any other address is not mapped.
import { isMemoryAccessError } from "../interp/fault.ts";
import { Errno } from "../maps/errno.ts";
import { isOutcome, writableBytes } from "./args.ts";
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// arch/x86/mm/maccess.c copy_from_kernel_nofault_allowed: addresses below the top of the user
// address space (TASK_SIZE_MAX + PAGE_SIZE = 2^47 on x86-64 with 4-level paging) are refused
// with -ERANGE before any access; a kernel address that faults gives -EFAULT.
const USER_ADDRESS_LIMIT = 1n << 47n;
const ERANGE = 34;

export function probeReadKernel(call: HelperCall): HelperOutcome {
  const [dstAddress, sizeArg, source] = call.args;
  // The size is the u32 of the BPF_CALL_3 signature.
  const size = Number(BigInt.asUintN(32, sizeArg));
  const dst = writableBytes(call, dstAddress, size);
  if (isOutcome(dst)) return dst;
  const memory = call.machine.memory;
  // The address check comes before the copy, so it refuses even a read of 0 bytes (the kernel: -ERANGE for NULL, 0).
  const refused = memory.regionAt(source) === undefined && source < USER_ADDRESS_LIMIT;
  const view = refused ? undefined : memory.view(source, size, "read");
  if (view === undefined || isMemoryAccessError(view)) {
    dst.fill(0);
    return returns(refused ? -ERANGE : -Errno.EFAULT);
  }
  dst.set(view.slice());
  return returns(0);
}

// bpf_probe_read_kernel_str (strncpy_from_kernel_nofault): bytes up to and including the first NUL,
// at most `size`, the last one written as NUL; returns the bytes written. A size of 0 returns 0
// before the address is looked at; a failed read zeroes all `size` bytes.
export function probeReadKernelStr(call: HelperCall): HelperOutcome {
  const [dstAddress, sizeArg, source] = call.args;
  const size = Number(BigInt.asUintN(32, sizeArg));
  const dst = writableBytes(call, dstAddress, size);
  if (isOutcome(dst)) return dst;
  if (size === 0) return returns(0);
  const memory = call.machine.memory;
  const fail = (errno: number): HelperOutcome => {
    dst.fill(0);
    return returns(-errno);
  };
  if (memory.regionAt(source) === undefined && source < USER_ADDRESS_LIMIT) return fail(ERANGE);
  let copied = 0;
  do {
    const byte = memory.load(source + BigInt(copied), 1);
    if (isMemoryAccessError(byte)) return fail(Errno.EFAULT);
    dst[copied++] = Number(byte);
  } while (dst[copied - 1] !== 0 && copied < size);
  dst[copied - 1] = 0;
  return returns(copied);
}
