// The retries libbpf makes around bpf(), checked with an injected syscall
// (no kernel needed): BPF_PROG_LOAD again on EAGAIN, 5 calls in all
// (tools/lib/bpf/libbpf_internal.h PROG_LOAD_ATTEMPTS, bpf.c sys_bpf_prog_load),
// no other command retried on EAGAIN; a map created once more without BTF when
// the kernel refuses it with BTF (libbpf.c bpf_object__create_map); log
// buffers grown on ENOSPC.
import { describe, expect, it } from "vitest";
import { Errno } from "../../src/maps/errno.ts";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { BtfLoadAttr, MapCreateAttr, ProgLoadAttr } from "../../src/kernel/attr-layout.ts";
import { withEagainRetries, type BpfOutcome } from "../../src/kernel/bpf-call.ts";
import { loadBtfFd } from "../../src/kernel/btf-load.ts";
import { KernelError } from "../../src/kernel/kernel-error.ts";
import { createMapFd } from "../../src/kernel/map-commands.ts";
import { loadProgramFd } from "../../src/kernel/prog-load.ts";
import { BpfCmd } from "../../src/kernel/uapi.ts";
import { fakeNative } from "./fake-native.ts";
import { exit, movImm } from "./hand-asm.ts";

const eagain = { result: -1, errno: Errno.EAGAIN };
const einval = { result: -1, errno: Errno.EINVAL };
const enospc = { result: -1, errno: Errno.ENOSPC };
const fd = (n: number) => ({ result: n, errno: 0 });
const u32At = (bytes: Uint8Array, offset: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);

// A syscall answering from a script, counting its calls.
function scripted(answers: readonly BpfOutcome[]): { syscall: () => BpfOutcome; calls: () => number } {
  let n = 0;
  return { syscall: () => answers[Math.min(n++, answers.length - 1)], calls: () => n };
}

describe("withEagainRetries", () => {
  it("issues BPF_PROG_LOAD again after 4 EAGAINs, and the 5th call's fd is the result", () => {
    const s = scripted([...Array(4).fill({ ok: false, errno: Errno.EAGAIN }), { ok: true, result: 7 }]);
    expect(withEagainRetries(BpfCmd.PROG_LOAD, s.syscall)).toEqual({ ok: true, result: 7 });
    expect(s.calls()).toBe(5);
  });

  it("gives up on BPF_PROG_LOAD after 5 EAGAINs and reports EAGAIN", () => {
    const s = scripted([{ ok: false, errno: Errno.EAGAIN }]);
    expect(withEagainRetries(BpfCmd.PROG_LOAD, s.syscall)).toEqual({ ok: false, errno: Errno.EAGAIN });
    expect(s.calls()).toBe(5);
  });

  it("does not retry BPF_PROG_LOAD on another errno", () => {
    const s = scripted([{ ok: false, errno: Errno.EINVAL }]);
    withEagainRetries(BpfCmd.PROG_LOAD, s.syscall);
    expect(s.calls()).toBe(1);
  });

  it.each([
    ["BPF_MAP_CREATE", BpfCmd.MAP_CREATE],
    ["BPF_MAP_UPDATE_ELEM", BpfCmd.MAP_UPDATE_ELEM],
    ["BPF_BTF_LOAD", BpfCmd.BTF_LOAD],
    ["BPF_PROG_TEST_RUN", BpfCmd.PROG_TEST_RUN],
  ])("does not retry %s on EAGAIN", (_name, cmd) => {
    const s = scripted([{ ok: false, errno: Errno.EAGAIN }]);
    expect(withEagainRetries(cmd, s.syscall)).toEqual({ ok: false, errno: Errno.EAGAIN });
    expect(s.calls()).toBe(1);
  });
});

describe("program loading through an injected syscall", () => {
  const program = [movImm(0, 2), exit()];

  it("loads a program the kernel refuses with EAGAIN 4 times", () => {
    const { native, calls } = fakeNative((_cmd, _attr, call) => (call < 4 ? eagain : fd(9)));
    expect(loadProgramFd(native, { program, name: "p" }, "program 'p'").fd).toBe(9);
    expect(calls.map((c) => c.cmd)).toEqual(Array(5).fill(BpfCmd.PROG_LOAD));
    // Every attempt is the same load: 2 instructions.
    expect(new Set(calls.map((c) => u32At(c.attr, ProgLoadAttr.insn_cnt)))).toEqual(new Set([2]));
  });

  it("reports EAGAIN once the 5 attempts are used up", () => {
    const { native, calls } = fakeNative(() => eagain);
    expect(() => loadProgramFd(native, { program, name: "p" }, "program 'p'")).toThrow(/EAGAIN/);
    expect(calls).toHaveLength(5);
  });

  it("doubles the verifier log buffer on ENOSPC, or takes the size the kernel says it needs", () => {
    const neededBytes = 1 << 20;
    const { native, calls } = fakeNative((_cmd, attr, call) => {
      if (call === 0) return enospc;
      if (call === 1) {
        attr.view.setUint32(ProgLoadAttr.log_true_size, neededBytes, true);
        return enospc;
      }
      return fd(3);
    });
    loadProgramFd(native, { program, name: "p" }, "program 'p'");
    const sizes = calls.map((c) => u32At(c.attr, ProgLoadAttr.log_size));
    // 64 KiB first (prog-load.ts), then twice that, then the 1 MiB the kernel asked for.
    expect(sizes).toEqual([64 << 10, 128 << 10, 1 << 20]);
  });
});

describe("BTF loading through an injected syscall", () => {
  it("loads once without a log, then with a log that doubles while the kernel answers ENOSPC", () => {
    const { native, calls } = fakeNative((_cmd, _attr, call) => (call === 0 ? einval : call < 3 ? enospc : einval));
    expect(() => loadBtfFd(native, new Uint8Array(24), "BTF")).toThrow(KernelError);
    const sizes = calls.map((c) => u32At(c.attr, BtfLoadAttr.btf_log_size));
    expect(sizes).toEqual([0, 1 << 20, 2 << 20, 4 << 20]);
    expect(calls.map((c) => u32At(c.attr, BtfLoadAttr.btf_log_level))).toEqual([0, 1, 1, 1]);
  });
});

describe("map creation with BTF", () => {
  const hash: MapDef = { name: "buckets", type: MapType.HASH, keySize: 4, valueSize: 32, maxEntries: 16, flags: 0 };
  const btf = { btfFd: 5, keyTypeId: 8, valueTypeId: 24 };

  it("passes btf_fd and the key and value type ids", () => {
    const { native, calls } = fakeNative(() => fd(4));
    expect(createMapFd(native, hash, undefined, "map 'buckets'", btf)).toBe(4);
    expect(calls).toHaveLength(1);
    const attr = calls[0].attr;
    expect([MapCreateAttr.btf_fd, MapCreateAttr.btf_key_type_id, MapCreateAttr.btf_value_type_id].map((o) => u32At(attr, o))).toEqual([5, 8, 24]);
  });

  it("creates the map once more without BTF when the kernel refuses it with BTF", () => {
    const { native, calls } = fakeNative((_cmd, _attr, call) => (call === 0 ? einval : fd(6)));
    expect(createMapFd(native, hash, undefined, "map 'buckets'", btf)).toBe(6);
    expect(calls.map((c) => u32At(c.attr, MapCreateAttr.btf_value_type_id))).toEqual([24, 0]);
    expect(u32At(calls[1].attr, MapCreateAttr.btf_fd)).toBe(0);
  });

  it("reports the second refusal when the map fails without BTF too", () => {
    const { native, calls } = fakeNative((_cmd, _attr, call) => (call === 0 ? einval : { result: -1, errno: Errno.ENOMEM }));
    expect(() => createMapFd(native, hash, undefined, "map 'buckets'", btf)).toThrow(/ENOMEM/);
    expect(calls).toHaveLength(2);
  });

  it.each([
    ["a ring buffer", MapType.RINGBUF],
    ["a perf event array", MapType.PERF_EVENT_ARRAY],
    ["an array of maps", MapType.ARRAY_OF_MAPS],
    ["a devmap", MapType.DEVMAP],
    ["a queue", MapType.QUEUE],
  ])("creates %s without BTF, as libbpf does", (_name, type) => {
    const { native, calls } = fakeNative(() => fd(4));
    createMapFd(native, { ...hash, type }, undefined, "map", btf);
    expect(u32At(calls[0].attr, MapCreateAttr.btf_fd)).toBe(0);
    expect(u32At(calls[0].attr, MapCreateAttr.btf_value_type_id)).toBe(0);
  });
});
