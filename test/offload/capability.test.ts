// The capability check: which instructions the card cannot run and why, with
// the rule taken from the preset's capability facts or from the nfp driver.
// Expectations are derived from the programs themselves (their helper calls
// and map types, read from the disassembly and the C sources) and from the
// preset, not from the checker's output.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Preset } from "../../hw-model/presets/types.ts";
import { assemble, disassembleInstructions, type Program } from "../../src/ebpf/index.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { checkCapabilities } from "../../src/offload/capability.ts";
import { preset, subjects } from "./corpus.ts";

const nfp = preset();
const subject = (name: string) => subjects.find((s) => s.program.name === name)!;

// The pcs of the calls to a helper, read from the disassembly.
function callsTo(program: Program, helper: number): number[] {
  return disassembleInstructions(program)
    .filter((d) => d.form.kind === "callHelper" && d.form.helperId === helper)
    .map((d) => d.pc);
}

function blockerAt(name: string, pc: number) {
  const s = subject(name);
  return checkCapabilities(s.program, s.object.maps, nfp).blockers.find((b) => b.pc === pc);
}

const withOffload = (changes: Partial<Preset["offload"]>): Preset => ({ ...nfp, offload: { ...nfp.offload, ...changes } });

describe("capability check on the sample programs", () => {
  it("offloads the programs that use only packet access, hash/array maps and the card's helpers in full", () => {
    for (const name of ["xdp_pass", "xdp_drop", "xdp_mac_swap", "xdp_icmp_echo", "xdp_firewall", "xdp_ipv6_exthdr", "xdp_ipv4_stage", "xdp_trim"]) {
      const s = subject(name);
      const r = checkCapabilities(s.program, s.object.maps, nfp);
      expect(r.blockers, name).toEqual([]);
      expect(r.fullyOffloadable, name).toBe(true);
    }
  });

  it("blocks the LPM trie lookup of xdp_lpm_filter by map type, citing the preset", () => {
    const s = subject("xdp_lpm_filter");
    const lookups = callsTo(s.program.insns, HelperId.MAP_LOOKUP_ELEM);
    expect(lookups.length).toBe(1);
    const b = blockerAt("xdp_lpm_filter", lookups[0])!;
    expect(b.rule).toBe("mapType");
    expect(b.reason).toContain("lpm_trie");
    expect(b.ruleSource).toContain("offload.mapTypes");
    // The C line of the call, found in the source independently.
    const line = readFileSync("programs/xdp_lpm_filter.c", "utf8").split("\n").findIndex((l) => l.includes("bpf_map_lookup_elem(&src_prefixes")) + 1;
    expect(b.source?.line).toBe(line);
  });

  it("blocks xdp_router's fib_lookup and redirect_map (not in the card's helper list) and its devmap lookup", () => {
    const s = subject("xdp_router");
    for (const pc of callsTo(s.program.insns, HelperId.FIB_LOOKUP)) expect(blockerAt("xdp_router", pc)?.rule).toBe("helper");
    for (const pc of callsTo(s.program.insns, HelperId.REDIRECT_MAP)) expect(blockerAt("xdp_router", pc)?.rule).toBe("helper");
    for (const pc of callsTo(s.program.insns, HelperId.MAP_LOOKUP_ELEM)) expect(blockerAt("xdp_router", pc)?.reason).toContain("devmap");
  });

  it("blocks xdp_dispatch's tail call, and the per-CPU and LRU maps of xdp_proto_count and xdp_syn_limit", () => {
    for (const pc of callsTo(subject("xdp_dispatch").program.insns, HelperId.TAIL_CALL)) expect(blockerAt("xdp_dispatch", pc)?.rule).toBe("helper");
    for (const pc of callsTo(subject("xdp_proto_count").program.insns, HelperId.MAP_LOOKUP_ELEM)) expect(blockerAt("xdp_proto_count", pc)?.reason).toContain("percpu_array");
    for (const pc of callsTo(subject("xdp_syn_limit").program.insns, HelperId.MAP_LOOKUP_ELEM)) expect(blockerAt("xdp_syn_limit", pc)?.reason).toContain("lru_hash");
    for (const pc of callsTo(subject("xdp_syn_limit").program.insns, HelperId.KTIME_GET_NS)) expect(blockerAt("xdp_syn_limit", pc)?.rule).toBe("helper");
  });

  it("blocks xdp_vlan's lookups because the u16 key sits at a stack offset that is not a multiple of 4 (nfp_bpf_stack_arg_ok)", () => {
    const s = subject("xdp_vlan");
    const lookups = callsTo(s.program.insns, HelperId.MAP_LOOKUP_ELEM);
    expect(lookups.length).toBeGreaterThan(0);
    for (const pc of lookups) {
      const b = blockerAt("xdp_vlan", pc)!;
      expect(b.rule).toBe("keyOnStack");
      expect(b.ruleSource).toContain("nfp_bpf_stack_arg_ok");
    }
  });

  it("blocks direct access to global data (.bss, .rodata): offloaded maps have no direct value address", () => {
    for (const name of ["xdp_flow_count", "xdp_udp_guard"]) {
      const s = subject(name);
      const direct = disassembleInstructions(s.program.insns).filter((d) => d.form.kind === "lddw" && (d.form.pseudo === "mapIdxValue" || d.form.pseudo === "mapValue"));
      expect(direct.length, name).toBeGreaterThan(0);
      for (const d of direct) expect(blockerAt(name, d.pc)?.rule, `${name} pc ${d.pc}`).toBe("directValue");
    }
  });

  it("takes its facts from the preset: allowing a map type or a larger value lifts the blocker", () => {
    const s = subject("xdp_lpm_filter");
    expect(checkCapabilities(s.program, s.object.maps, withOffload({ mapTypes: [...nfp.offload.mapTypes, "lpm_trie"] })).blockers.filter((b) => b.rule === "mapType")).toEqual([]);
    const big: MapDef = { name: "big", type: MapType.HASH, keySize: 4, valueSize: 64, maxEntries: 4, flags: 0 };
    const prog = assemble(`
      *(u32 *)(r10 - 4) = 0
      r1 = 0 ll
      r2 = r10
      r2 += -4
      call 1
      r0 = 2
      exit`);
    const withMap = prog.map((slot, pc) => (pc === 1 ? { ...slot, src: 5 } : slot));
    expect(checkCapabilities(withMap, [big], nfp).blockers[0]?.rule).toBe("mapSize");
    expect(checkCapabilities(withMap, [big], withOffload({ maxValueBytes: 64, maxEntryBytes: 128 })).blockers).toEqual([]);
  });
});

describe("capability rules on small programs", () => {
  const check = (text: string, maps: readonly MapDef[] = []) => checkCapabilities(assemble(text), maps, nfp).blockers;

  it("keeps programs that compute with a pointer's value on the host (NIC pointers are model addresses)", () => {
    const blockers = check(`
      r2 = *(u32 *)(r1 + 0)
      r2 &= 7
      r0 = r2
      exit`);
    expect(blockers.map((b) => [b.pc, b.rule])).toEqual([[1, "pointerValue"]]);
  });

  it("allows pointer arithmetic and comparisons between packet pointers", () => {
    expect(check(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r2 += 14
      if r2 > r3 goto +1
      r3 -= r2
      r0 = 2
      exit`)).toEqual([]);
  });

  // The kernel's verifier forbids reading r1-r5 after a call and treats a move as a write of its destination only
  // (check_alu_op: BPF_MOV marks the destination, and a 32-bit move of a pointer register makes an unknown scalar).
  it("lets a 32-bit move of a constant overwrite a pointer, and keeps a 32-bit copy of a pointer on the host", () => {
    // pc 0 data, pc 1 data_end (packet pointers); pc 2 overwrites one, pc 3 copies the other whole, pc 4 truncates it.
    expect(check(`
      r6 = *(u32 *)(r1 + 0)
      r7 = *(u32 *)(r1 + 4)
      w6 = 1
      r6 = r7
      w1 = w6
      w0 = 2
      exit`).map((b) => [b.pc, b.rule])).toEqual([[4, "pointerValue"]]);
  });

  it("lets a 32-bit move of a constant follow a map lookup (r1 held the map, r0 the value pointer)", () => {
    const map: MapDef = { name: "verdicts", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 };
    // Slots: 0 store key, 1-2 key pointer, 3-4 the map (lddw), 5 the call, 6 and 7 the moves of acl6_pinned.o pcs 33, 44.
    const prog = assemble(`
      *(u32 *)(r10 - 4) = 0
      r2 = r10
      r2 += -4
      r1 = 0 ll
      call 1
      w1 = 1
      w0 = 2
      exit`).map((slot, pc) => (pc === 3 ? { ...slot, src: 5 } : slot));
    expect(checkCapabilities(prog, [map], nfp).blockers).toEqual([]);
  });

  it("allows the 32-bit length of a packet (data_end - data), but not other 32-bit arithmetic on a pointer", () => {
    // The low 32 bits of end - data are those of (end mod 2^32) - (data mod 2^32), whatever the addresses.
    expect(check(`
      r6 = *(u32 *)(r1 + 0)
      r7 = *(u32 *)(r1 + 4)
      w7 -= w6
      w0 = 2
      exit`)).toEqual([]);
    expect(check(`
      r6 = *(u32 *)(r1 + 0)
      w6 += 1
      w0 = 2
      exit`).map((b) => [b.pc, b.rule])).toEqual([[1, "pointerValue"]]);
  });

  it("refuses context fields the NIC has no status register for, and stores to the context", () => {
    expect(check(`
      r0 = *(u32 *)(r1 + 20)
      exit`)[0].rule).toBe("context");
    expect(check(`
      *(u32 *)(r1 + 16) = 1
      r0 = 2
      exit`)[0].rule).toBe("contextStore");
  });

  it("keeps stack accesses that may leave the frame on the host", () => {
    expect(check(`
      r0 = *(u64 *)(r10 - 520)
      exit`)[0].rule).toBe("stackBounds");
  });

  it("offloads atomic add on a map value, not atomic or, nor atomics on the stack", () => {
    const map: MapDef = { name: "counters", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 };
    const body = (atomic: string): Program => {
      const p = assemble(`
        *(u32 *)(r10 - 4) = 0
        r1 = 0 ll
        r2 = r10
        r2 += -4
        call 1
        if r0 == 0 goto +2
        r1 = 1
        ${atomic}
        r0 = 2
        exit`);
      return p.map((slot, pc) => (pc === 1 ? { ...slot, src: 5 } : slot));
    };
    expect(checkCapabilities(body("lock *(u64 *)(r0 + 0) += r1"), [map], nfp).blockers).toEqual([]);
    expect(checkCapabilities(body("lock *(u64 *)(r0 + 0) |= r1"), [map], nfp).blockers[0].rule).toBe("atomic");
    expect(check(`
      *(u64 *)(r10 - 8) = 0
      r1 = 1
      lock *(u64 *)(r10 - 8) += r1
      r0 = 2
      exit`)[0].rule).toBe("atomicTarget");
  });

  it("refuses adjust_head beyond the guaranteed headroom and adjust_tail that may grow the packet", () => {
    const head = (delta: number) => check(`
      r2 = ${delta}
      call 44
      r0 = 2
      exit`);
    expect(head(-nfp.offload.adjustHeadGuaranteedSubBytes)).toEqual([]);
    expect(head(-nfp.offload.adjustHeadGuaranteedSubBytes - 1)[0].rule).toBe("adjustHead");
    const tail = (delta: number) => check(`
      r2 = ${delta}
      call 65
      r0 = 2
      exit`);
    expect(tail(-4)).toEqual([]);
    expect(tail(4)[0].rule).toBe("adjustTail");
  });
});
