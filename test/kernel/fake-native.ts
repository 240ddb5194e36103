// A Native whose bpf() is a function the test supplies: native memory is
// plain ArrayBuffers, so the binding's own code (attr filling, retries, log
// growth) runs without a kernel, koffi or root.
import type { Native, NativeBlock } from "../../src/kernel/native.ts";

export interface FakeCall {
  readonly cmd: number;
  // A copy of the attr bytes as the binding passed them.
  readonly attr: Uint8Array;
}

// What the fake kernel answers: a result (>= 0) or an errno; it may write into the attr (outputs).
export type FakeBpf = (cmd: number, attr: NativeBlock, call: number) => { readonly result: number; readonly errno: number };

// `closed`: every fd passed to close(), in order.
export function fakeNative(bpf: FakeBpf): { native: Native; calls: FakeCall[]; closed: number[] } {
  const calls: FakeCall[] = [];
  const closed: number[] = [];
  let nextAddress = 0x1000n;
  const koffi = {
    load: () => {
      throw new Error("the fake native has no libraries");
    },
    alloc: (_type: string, length: number) => {
      const block = { buffer: new ArrayBuffer(length), address: nextAddress };
      nextAddress += BigInt(length + 16);
      return block;
    },
    free: () => undefined,
    view: (ptr: unknown) => (ptr as { buffer: ArrayBuffer }).buffer,
    address: (ptr: unknown) => (ptr as { address: bigint }).address,
    errno: () => 0,
    os: { errno: {} },
  };
  const unsupported = (): never => {
    throw new Error("not part of the fake native");
  };
  const native: Native = {
    koffi,
    bpfSyscallNr: -1,
    pageBytes: 4096,
    bpf(cmd, attr) {
      calls.push({ cmd, attr: attr.bytes.slice() });
      return bpf(cmd, attr, calls.length - 1);
    },
    close: (fd) => {
      closed.push(fd);
      return { result: 0, errno: 0 };
    },
    perfEventOpen: unsupported,
    mmap: unsupported,
    munmap: unsupported,
    view: unsupported,
    getAffinity: unsupported,
    setAffinity: unsupported,
  };
  return { native, calls, closed };
}
