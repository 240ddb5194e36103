// bpf_tail_call through a prog_array. The limit test is the kernel selftest
// tailcall3 (tools/testing/selftests/bpf/progs/tailcall3.c): an entry program
// tail-calls a program that increments a counter and tail-calls itself; with
// MAX_TAIL_CALL_CNT = 33 the counter ends at 33 and the program returns 1.
import { describe, expect, it } from "vitest";
import type { Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, AtomicOp, JmpOp, Size } from "../../src/ebpf/opcode.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { run } from "../../src/interp/index.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType, type BpfMap } from "../../src/maps/types.ts";
import { createXdpBuffer } from "../../src/xdp/buffer.ts";
import { R, alu64Imm, atomic, callHelper, exit, jmpImm, ldMap, ldx, mov64, movReg, program, st } from "../interp/program.ts";

const PROGS = 0; // map index of the prog_array
const COUNTER = 1; // map index of the counter array

const tailCall = (index: number): Insn[] => program(ldMap(R.r2, PROGS), mov64(R.r3, index), callHelper(HelperId.TAIL_CALL));

function maps(slots: Record<number, number>): BpfMap[] {
  const progArray = createMap({ name: "jmp_table", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
  for (const [index, programId] of Object.entries(slots)) {
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, programId, true);
    expect(progArray.sysUpdate(Uint8Array.of(Number(index), 0, 0, 0), value, 0)).toBe(0);
  }
  const counter = createMap({ name: "count", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 });
  return [progArray, counter];
}

const xdpInput = () => ({ kind: "xdp", buffer: createXdpBuffer(new Uint8Array(64)) } as const);

describe("bpf_tail_call", () => {
  // count++ (atomically, in the counter map), then tail-call slot 0, then return 1.
  const classifier = program(
    movReg(R.r6, R.r1),
    st(Size.W, R.r10, -4, 0),
    ldMap(R.r1, COUNTER),
    movReg(R.r2, R.r10),
    alu64Imm(AluOp.ADD, R.r2, -4),
    callHelper(HelperId.MAP_LOOKUP_ELEM),
    jmpImm(JmpOp.JEQ, R.r0, 0, 2),
    mov64(R.r1, 1),
    atomic(Size.DW, R.r0, R.r1, 0, AtomicOp.ADD),
    movReg(R.r1, R.r6),
    tailCall(0),
    mov64(R.r0, 1),
    exit(),
  );
  const entry = program(tailCall(0), mov64(R.r0, 0), exit());

  it("stops after 33 tail calls, as the kernel's tailcall3 selftest expects", () => {
    const env = { maps: maps({ 0: 7 }), programs: new Map([[7, classifier]]), input: xdpInput() };
    const result = run(entry, env);
    expect(result).toMatchObject({ kind: "exit", r0: 1n });
    const count = env.maps[COUNTER].lookup(new Uint8Array(4), 0)!;
    expect(new DataView(count.buffer, count.byteOffset).getBigUint64(0, true)).toBe(33n);
  });

  it("falls through, r0 untouched, when the index is past max_entries", () => {
    const slots = program(mov64(R.r0, 5), ldMap(R.r2, PROGS), mov64(R.r3, 2), callHelper(HelperId.TAIL_CALL), exit());
    expect(run(slots, { maps: maps({ 0: 7 }), programs: new Map([[7, entry]]), input: xdpInput() })).toMatchObject({ kind: "exit", r0: 5n });
  });

  it("falls through when the slot is empty", () => {
    const slots = program(mov64(R.r0, 6), tailCall(1), exit());
    expect(run(slots, { maps: maps({ 0: 7 }), programs: new Map([[7, entry]]), input: xdpInput() })).toMatchObject({ kind: "exit", r0: 6n });
  });

  it("runs the target with the caller's registers and never returns", () => {
    // The target returns r7, which only the caller set.
    const target = program(movReg(R.r0, R.r7), exit());
    const caller = program(mov64(R.r7, 42), tailCall(0), mov64(R.r0, 0), exit());
    expect(run(caller, { maps: maps({ 0: 3 }), programs: new Map([[3, target]]), input: xdpInput() })).toMatchObject({ kind: "exit", r0: 42n });
  });

  it("faults when the context argument is not the context", () => {
    const slots = program(mov64(R.r1, 0), tailCall(0), exit());
    expect(run(slots, { maps: maps({ 0: 3 }), input: xdpInput() })).toMatchObject({ kind: "fault", fault: { kind: "helper" } });
  });

  it("reads the target's packet through the same context", () => {
    const target = program(ldx(Size.W, R.r2, R.r1, 0), ldx(Size.B, R.r0, R.r2, 0), exit());
    const input = { kind: "xdp", buffer: createXdpBuffer(Uint8Array.of(9, 8, 7)) } as const;
    expect(run(program(tailCall(0), exit()), { maps: maps({ 0: 1 }), programs: new Map([[1, target]]), input })).toMatchObject({ kind: "exit", r0: 9n });
  });
});
