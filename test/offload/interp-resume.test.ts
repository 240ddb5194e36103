// RunEnv.resume, the interpreter's entry point for host parts: a run resumed at
// a pc with the registers and stack a full run had there ends exactly as the
// full run does.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/index.ts";
import { run, Segment, segmentBase, type RegisterSeed } from "../../src/interp/index.ts";
import { createMap, MapType } from "../../src/maps/index.ts";
import { createXdpBuffer, XDP_PACKET_HEADROOM } from "../../src/xdp/index.ts";

describe("interpreter resume", () => {
  it("continues at a pc with seeded registers, stack bytes, a packet pointer and a map value", () => {
    const map = createMap({ name: "values", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 });
    map.sysUpdate(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0), 0);
    // pc 0..8 look up value 1 (lddw takes two slots); from pc 9 the packet, the stack and the value are combined.
    const program = assemble(`
      r6 = *(u32 *)(r1 + 0)
      *(u32 *)(r10 - 4) = 1
      *(u64 *)(r10 - 16) = 40
      r1 = 0 ll
      r2 = r10
      r2 += -4
      call 1
      r7 = r0
      r0 = *(u8 *)(r6 + 1)
      r3 = *(u64 *)(r10 - 16)
      r0 += r3
      r4 = *(u64 *)(r7 + 0)
      r0 += r4
      lock *(u64 *)(r7 + 0) += r0
      exit`).map((slot, pc) => (pc === 3 ? { ...slot, src: 5 } : slot));
    const packet = Uint8Array.of(9, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    const full = run(program, { maps: [map], input: { kind: "xdp", buffer: createXdpBuffer(packet) } });
    expect(full.kind === "exit" && full.r0).toBe(7n + 40n + 5n);
    expect(map.lookup(Uint8Array.of(1, 0, 0, 0), 0)![0]).toBe(5 + 52);

    map.sysUpdate(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0), 0);
    const stack = new Uint8Array(512);
    new DataView(stack.buffer).setBigUint64(512 - 16, 40n, true);
    const registers: RegisterSeed[] = [];
    registers[6] = { kind: "packet", offset: XDP_PACKET_HEADROOM };
    registers[7] = { kind: "map-value", index: 0, value: map.lookup(Uint8Array.of(1, 0, 0, 0), 0)!, offset: 0 };
    const pcOfResume = 9;
    const resumed = run(program, { maps: [map], input: { kind: "xdp", buffer: createXdpBuffer(packet) }, resume: { pc: pcOfResume, registers, stack } });
    expect(resumed.kind === "exit" && resumed.r0).toBe(52n);
    expect(map.lookup(Uint8Array.of(1, 0, 0, 0), 0)![0]).toBe(5 + 52);
    expect(segmentBase(Segment.STACK)).toBeGreaterThan(0n);
  });

  it("places spilled pointers on the stack (stackValues) so a reload dereferences them", () => {
    const program = assemble(`
      r2 = *(u64 *)(r10 - 8)
      r0 = *(u8 *)(r2 + 0)
      exit`);
    const packet = Uint8Array.of(42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const result = run(program, {
      input: { kind: "xdp", buffer: createXdpBuffer(packet) },
      resume: { pc: 0, registers: [], stack: new Uint8Array(512), stackValues: [{ offset: 504, seed: { kind: "packet", offset: XDP_PACKET_HEADROOM } }] },
    });
    expect(result.kind === "exit" && result.r0).toBe(42n);
  });
});
