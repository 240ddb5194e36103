// The one place that touches native code: libc's syscall(2) and close(2)
// through koffi, plus native memory blocks whose addresses go into bpf_attr.
// Everything is loaded lazily so that importing the kernel binding on a
// machine without koffi or without Linux costs nothing and fails only when a
// caller asks for the kernel (availability.ts turns that into a reason).
import { createRequire } from "node:module";

// __NR_bpf per architecture: arch/x86/entry/syscalls/syscall_64.tbl (321) and
// the asm-generic table used by arm64 (include/uapi/asm-generic/unistd.h, 280).
export const BPF_SYSCALL_NR: Readonly<Record<string, number>> = { x64: 321, arm64: 280 };

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
  // Returns the syscall's result and errno, read on the same thread right after the call.
  bpf(cmd: number, attr: NativeBlock, attrSize: number): { readonly result: number; readonly errno: number };
  close(fd: number): { readonly result: number; readonly errno: number };
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
  try {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const libc = koffi.load("libc.so.6");
    const syscall = libc.func("long syscall(long nr, ...)");
    const closeFd = libc.func("int close(int fd)");
    return {
      koffi,
      bpfSyscallNr,
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
    };
  } catch (error) {
    return new Error(`koffi could not load libc's syscall(): ${error instanceof Error ? error.message : String(error)}`);
  }
}
