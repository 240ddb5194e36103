// What the oracle controls about the calling thread before it asks the kernel
// anything, so that the kernel's answers do not depend on where or how we
// happen to run:
// - the CPU: BPF_PROG_TEST_RUN for XDP runs the program on the CPU the
//   calling thread is on (net/bpf/test_run.c takes no CPU for XDP), which
//   decides the per-CPU map slot, bpf_get_smp_processor_id() and which LRU
//   free list serves an update. Pinning the thread to one CPU makes all
//   three the interpreter's `cpu`.
// - the network namespace: bpf_fib_lookup, devmap updates (the ifindex must
//   exist) and the test run's ingress device read the thread's namespace.
//   A fresh one holds only what the environment description puts there.
// Both apply to the calling thread only (sched_setaffinity and setns with
// tid 0 / the thread's own namespace), which is the JavaScript thread that
// makes every bpf() call. libc is reached through the kernel binding's koffi.
import { closeSync, openSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { loadNative } from "../kernel/native.ts";
import { OffloadSimError } from "../errors.ts";

export class HostControlError extends OffloadSimError {}

// include/uapi/linux/sched.h
const CLONE_NEWNET = 0x4000_0000;
// A cpu_set_t of 1024 CPUs, as glibc defines it.
const CPU_SET_BYTES = 128;

interface Libc {
  sched_setaffinity(pid: number, size: number, mask: Uint8Array): number;
  sched_getaffinity(pid: number, size: number, mask: Uint8Array): number;
  sched_getcpu(): number;
  unshare(flags: number): number;
  setns(fd: number, nstype: number): number;
  clockNs(clockId: number): bigint;
  errno(): number;
}

// include/uapi/linux/time.h
const CLOCK_MONOTONIC = 1;
const CLOCK_BOOTTIME = 7;
const CLOCK_TAI = 11;

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc !== undefined) return libc;
  const native = loadNative();
  if (native instanceof Error) throw new HostControlError(`cannot reach libc: ${native.message}.`);
  const lib = native.koffi.load("libc.so.6");
  const setAffinity = lib.func("int sched_setaffinity(int pid, size_t size, uint8_t *mask)");
  const getAffinity = lib.func("int sched_getaffinity(int pid, size_t size, _Out_ uint8_t *mask)");
  const getCpu = lib.func("int sched_getcpu()");
  const unshare = lib.func("int unshare(int flags)");
  const setns = lib.func("int setns(int fd, int nstype)");
  const clockGettime = lib.func("int clock_gettime(int clockid, _Out_ int64_t *timespec)");
  libc = {
    sched_setaffinity: (pid, size, mask) => Number(setAffinity(pid, size, mask)),
    sched_getaffinity: (pid, size, mask) => Number(getAffinity(pid, size, mask)),
    sched_getcpu: () => Number(getCpu()),
    unshare: (flags) => Number(unshare(flags)),
    setns: (fd, nstype) => Number(setns(fd, nstype)),
    clockNs: (clockId) => {
      const timespec = new BigInt64Array(2);
      if (Number(clockGettime(clockId, timespec)) !== 0) throw new HostControlError(`clock_gettime(${clockId}) failed (errno ${native.koffi.errno()}).`);
      return timespec[0] * 1_000_000_000n + timespec[1];
    },
    errno: () => native.koffi.errno(),
  };
  return libc;
}

export interface CpuPin {
  readonly cpu: number;
  // Gives the thread back the CPUs it could run on before.
  restore(): void;
}

// Pins the calling thread to `cpu` (default: the first CPU it may run on).
export function pinToCpu(cpu?: number): CpuPin {
  const c = loadLibc();
  const previous = new Uint8Array(CPU_SET_BYTES);
  if (c.sched_getaffinity(0, CPU_SET_BYTES, previous) !== 0) throw new HostControlError(`sched_getaffinity failed (errno ${c.errno()}).`);
  const allowed = [...previous].flatMap((byte, i) => [0, 1, 2, 3, 4, 5, 6, 7].filter((bit) => byte & (1 << bit)).map((bit) => i * 8 + bit));
  const target = cpu ?? allowed[0];
  if (target === undefined || !allowed.includes(target)) {
    throw new HostControlError(`cannot pin to CPU ${cpu}: this thread may run on CPUs ${allowed.join(", ")}.`);
  }
  const mask = new Uint8Array(CPU_SET_BYTES);
  mask[target >> 3] |= 1 << (target & 7);
  if (c.sched_setaffinity(0, CPU_SET_BYTES, mask) !== 0) throw new HostControlError(`sched_setaffinity to CPU ${target} failed (errno ${c.errno()}).`);
  const now = c.sched_getcpu();
  if (now !== target) throw new HostControlError(`pinned to CPU ${target}, but the thread runs on CPU ${now}.`);
  return { cpu: target, restore: () => void c.sched_setaffinity(0, CPU_SET_BYTES, previous) };
}

export interface NetworkNamespace {
  // Puts the thread back into the namespace it came from (the fresh one goes away with its last user).
  leave(): void;
}

// Moves the calling thread into a new, empty network namespace and runs `commands`
// (argv lists) in it: child processes start in the namespace of the thread that spawns them.
export function enterFreshNetworkNamespace(commands: readonly (readonly string[])[]): NetworkNamespace {
  const c = loadLibc();
  const original = openSync("/proc/thread-self/ns/net", "r");
  let entered = false;
  const leave = (): void => {
    if (entered && c.setns(original, CLONE_NEWNET) !== 0) throw new HostControlError(`cannot return to the original network namespace (errno ${c.errno()}).`);
    entered = false;
    closeSync(original);
  };
  try {
    if (c.unshare(CLONE_NEWNET) !== 0) throw new HostControlError(`unshare(CLONE_NEWNET) failed (errno ${c.errno()}): creating a network namespace needs CAP_SYS_ADMIN.`);
    entered = true;
    for (const command of commands) {
      const result = spawnSync(command[0], command.slice(1), { encoding: "utf8" });
      if (result.error !== undefined) throw new HostControlError(`cannot run '${command.join(" ")}': ${result.error.message} (is iproute2 installed?).`);
      if (result.status !== 0) throw new HostControlError(`'${command.join(" ")}' failed: ${result.stderr.trim()}.`);
    }
  } catch (error) {
    leave();
    throw error;
  }
  return { leave };
}

// CLOCK_BOOTTIME minus CLOCK_MONOTONIC: the time the machine spent suspended, which
// bpf_ktime_get_boot_ns counts and bpf_ktime_get_ns does not.
export function bootOffsetNs(): bigint {
  return offsetFromMonotonicNs(CLOCK_BOOTTIME);
}

// CLOCK_TAI minus CLOCK_MONOTONIC, which bpf_ktime_get_tai_ns adds to the monotonic clock.
export function taiOffsetNs(): bigint {
  return offsetFromMonotonicNs(CLOCK_TAI);
}

// `clockId` read between two CLOCK_MONOTONIC readings, minus their midpoint.
function offsetFromMonotonicNs(clockId: number): bigint {
  const c = loadLibc();
  const monotonic = c.clockNs(CLOCK_MONOTONIC);
  const other = c.clockNs(clockId);
  const monotonicAfter = c.clockNs(CLOCK_MONOTONIC);
  return other - (monotonic + (monotonicAfter - monotonic) / 2n);
}

// What bpf_get_current_pid_tgid answers under BPF_PROG_TEST_RUN from this process: the
// syscall runs on the main thread, whose thread id is the process id (tgid << 32 | pid).
export function currentPidTgid(): bigint {
  return (BigInt(process.pid) << 32n) | BigInt(process.pid);
}
