// The one place that touches native code: libc's syscall(2) and close(2)
// through koffi, plus native memory blocks whose addresses go into bpf_attr;
// and for reading events, perf_event_open(2), mmap(2)/munmap(2) and the
// calling thread's CPU affinity (sched_setaffinity(2)).
// Everything is loaded lazily so that importing the kernel binding on a
// machine without koffi or without Linux costs nothing and fails only when a
// caller asks for the kernel (availability.ts turns that into a reason).
import { createRequire } from "node:module";

// __NR_bpf per architecture: arch/x86/entry/syscalls/syscall_64.tbl (321) and
// the asm-generic table used by arm64 (include/uapi/asm-generic/unistd.h, 280).
export const BPF_SYSCALL_NR: Readonly<Record<string, number>> = { x64: 321, arm64: 280 };
// __NR_perf_event_open in the same tables (x86_64: 298, asm-generic: 241).
export const PERF_EVENT_OPEN_SYSCALL_NR: Readonly<Record<string, number>> = { x64: 298, arm64: 241 };
// mmap(2)'s MAP_FAILED, ((void *) -1), as the address koffi returns.
const MAP_FAILED = (1n << 64n) - 1n;
// Bytes of the cpu_set_t passed to sched_{get,set}affinity (glibc's CPU_SETSIZE, 1024 CPUs).
const CPU_SET_BYTES = 128;

interface Koffi {
  load(path: string): { func(definition: string): (...args: unknown[]) => unknown };
  alloc(type: string, length: number): unknown;
  free(ptr: unknown): void;
  view(ptr: unknown, length: number): ArrayBuffer;
  address(ptr: unknown): bigint;
  errno(): number;
  readonly os: { readonly errno: Readonly<Record<string, number>> };
}

export interface Native {
  readonly koffi: Koffi;
  readonly bpfSyscallNr: number;
  readonly pageBytes: number;
  // Returns the syscall's result and errno, read on the same thread right after the call.
  bpf(cmd: number, attr: NativeBlock, attrSize: number): { readonly result: number; readonly errno: number };
  close(fd: number): { readonly result: number; readonly errno: number };
  // perf_event_open(attr, pid, cpu, group_fd, flags).
  perfEventOpen(attr: NativeBlock, pid: number, cpu: number, groupFd: number, flags: number): { readonly result: number; readonly errno: number };
  // A shared mapping of `fd` (address 0n and errno on failure).
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): { readonly address: bigint; readonly errno: number };
  munmap(address: bigint, length: number): { readonly result: number; readonly errno: number };
  // The bytes at a mapped address (no copy: reads see what the kernel writes).
  view(address: bigint, length: number): Uint8Array;
  // The calling thread's CPU mask (bit i: CPU i), and setting it.
  getAffinity(): Uint8Array;
  setAffinity(mask: Uint8Array): { readonly result: number; readonly errno: number };
}

// A zero-filled block of C heap memory; stable address, freed explicitly.
export class NativeBlock {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private ptr: unknown;

  constructor(
    private readonly koffi: Koffi,
    readonly byteLength: number,
  ) {
    // koffi.alloc of zero bytes is not meaningful; a 1-byte block keeps the address valid.
    const length = Math.max(1, byteLength);
    this.ptr = koffi.alloc("uint8_t", length);
    this.address = koffi.address(this.ptr);
    this.bytes = new Uint8Array(koffi.view(this.ptr, length), 0, byteLength);
    this.bytes.fill(0);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  free(): void {
    if (this.ptr !== undefined) {
      this.koffi.free(this.ptr);
      this.ptr = undefined;
    }
  }
}

// Blocks allocated for one syscall, all freed together in a finally.
export class NativeArena {
  private readonly blocks: NativeBlock[] = [];
  constructor(private readonly native: Native) {}

  alloc(byteLength: number): NativeBlock {
    const block = new NativeBlock(this.native.koffi, byteLength);
    this.blocks.push(block);
    return block;
  }

  // A block holding a copy of `bytes`.
  copyOf(bytes: Uint8Array): NativeBlock {
    const block = this.alloc(bytes.length);
    block.bytes.set(bytes);
    return block;
  }

  // A NUL-terminated C string.
  cString(text: string): NativeBlock {
    const encoded = new TextEncoder().encode(text);
    const block = this.alloc(encoded.length + 1);
    block.bytes.set(encoded);
    return block;
  }

  freeAll(): void {
    for (const block of this.blocks.splice(0)) block.free();
  }
}

let loaded: Native | Error | undefined;

// The native layer, or the Error that prevented loading it (cached either way).
export function loadNative(): Native | Error {
  loaded ??= tryLoadNative();
  return loaded;
}

function tryLoadNative(): Native | Error {
  if (process.platform !== "linux") return new Error(`bpf() exists only on Linux, this is ${process.platform}`);
  const bpfSyscallNr = BPF_SYSCALL_NR[process.arch];
  if (bpfSyscallNr === undefined) {
    return new Error(`no bpf() syscall number known for architecture ${process.arch} (known: x64, arm64)`);
  }
  const perfNr = PERF_EVENT_OPEN_SYSCALL_NR[process.arch];
  if (perfNr === undefined) return new Error(`no perf_event_open() syscall number known for architecture ${process.arch}`);
  try {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const libc = koffi.load("libc.so.6");
    const syscall = libc.func("long syscall(long nr, ...)");
    const closeFd = libc.func("int close(int fd)");
    const mmap = libc.func("void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)");
    const munmap = libc.func("int munmap(void *addr, size_t length)");
    const getAffinity = libc.func("int sched_getaffinity(int pid, size_t size, void *mask)");
    const setAffinity = libc.func("int sched_setaffinity(int pid, size_t size, void *mask)");
    const getpagesize = libc.func("int getpagesize()");
    return {
      koffi,
      bpfSyscallNr,
      pageBytes: Number(getpagesize()),
      bpf(cmd, attr, attrSize) {
        // Variadic arguments carry their C types: (int cmd, union bpf_attr *attr, unsigned int size).
        const result = Number(syscall(bpfSyscallNr, "int", cmd, "void *", attr.address, "unsigned int", attrSize));
        // koffi.errno() reads the calling thread's errno; nothing runs in between on this thread.
        const errno = result < 0 ? koffi.errno() : 0;
        return { result, errno };
      },
      close(fd) {
        const result = Number(closeFd(fd));
        return { result, errno: result < 0 ? koffi.errno() : 0 };
      },
      perfEventOpen(attr, pid, cpu, groupFd, flags) {
        const result = Number(syscall(perfNr, "void *", attr.address, "int", pid, "int", cpu, "int", groupFd, "unsigned long", flags));
        return { result, errno: result < 0 ? koffi.errno() : 0 };
      },
      mmap(length, prot, flags, fd, offset) {
        const address = BigInt(mmap(null, length, prot, flags, fd, offset) as bigint);
        return address === MAP_FAILED ? { address: 0n, errno: koffi.errno() } : { address, errno: 0 };
      },
      munmap(address, length) {
        const result = Number(munmap(address, length));
        return { result, errno: result < 0 ? koffi.errno() : 0 };
      },
      view(address, length) {
        return new Uint8Array(koffi.view(address, length));
      },
      getAffinity() {
        const mask = Buffer.alloc(CPU_SET_BYTES);
        // pid 0: the calling thread.
        if (Number(getAffinity(0, CPU_SET_BYTES, mask)) < 0) throw new Error(`sched_getaffinity failed (errno ${koffi.errno()})`);
        return new Uint8Array(mask);
      },
      setAffinity(mask) {
        const result = Number(setAffinity(0, mask.length, Buffer.from(mask)));
        return { result, errno: result < 0 ? koffi.errno() : 0 };
      },
    };
  } catch (error) {
    return new Error(`koffi could not load libc's syscall(): ${error instanceof Error ? error.message : String(error)}`);
  }
}
