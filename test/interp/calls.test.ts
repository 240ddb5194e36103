// Calls and control: bpf-to-bpf frames (RFC 9669 §4.3.2, the kernel's calling
// convention), callx, helpers through the one table, kfuncs, the instruction
// budget, the legacy packet loads and the trace hook.
import { describe, expect, it } from "vitest";
import { insn } from "../../src/ebpf/instruction.ts";
import { AluOp, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source } from "../../src/ebpf/opcode.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { MAX_CALL_FRAMES, run, type TraceStep } from "../../src/interp/index.ts";
import { createXdpBuffer } from "../../src/xdp/buffer.ts";
import { R, alu64Imm, alu64Reg, callHelper, callLocal, exit, ja, jmpImm, ldx, mov64, movReg, program, st } from "./program.ts";

// At pc 3: f(n) = n == 0 ? 0 : f(n - 1) + 1
const recursive = program(
  jmpImm(JmpOp.JNE, R.r1, 0, 2),
  mov64(R.r0, 0),
  exit(),
  alu64Imm(AluOp.ADD, R.r1, -1),
  callLocal(-5),
  alu64Imm(AluOp.ADD, R.r0, 1),
  exit(),
);

describe("bpf-to-bpf calls", () => {
  it("passes r1-r5, returns r0 and preserves the caller's r6-r9", () => {
    const slots = program(
      [mov64(R.r1, 1), mov64(R.r2, 2), mov64(R.r3, 3), mov64(R.r4, 4), mov64(R.r5, 5)],
      [mov64(R.r6, 60), mov64(R.r7, 70), mov64(R.r8, 80), mov64(R.r9, 90)],
      callLocal(6),
      // r0 = callee's sum (15) + r6 + r7 + r8 + r9 (300)
      alu64Reg(AluOp.ADD, R.r0, R.r6),
      alu64Reg(AluOp.ADD, R.r0, R.r7),
      alu64Reg(AluOp.ADD, R.r0, R.r8),
      alu64Reg(AluOp.ADD, R.r0, R.r9),
      exit(),
      // callee (pc 16): clobbers r6-r9, sums its arguments
      [mov64(R.r6, 0), mov64(R.r7, 0), mov64(R.r8, 0), mov64(R.r9, 0)],
      movReg(R.r0, R.r1),
      [alu64Reg(AluOp.ADD, R.r0, R.r2), alu64Reg(AluOp.ADD, R.r0, R.r3), alu64Reg(AluOp.ADD, R.r0, R.r4), alu64Reg(AluOp.ADD, R.r0, R.r5)],
      exit(),
    );
    expect(run(slots)).toMatchObject({ kind: "exit", r0: 315n });
  });

  it("gives the callee a fresh stack and its own r10", () => {
    const slots = program(
      st(Size.DW, R.r10, -8, 11),
      callLocal(2),
      ldx(Size.DW, R.r0, R.r10, -8),
      exit(),
      // callee: overwrites its own [r10-8], returns
      st(Size.DW, R.r10, -8, 22),
      exit(),
    );
    expect(run(slots)).toMatchObject({ kind: "exit", r0: 11n });
  });

  it("lets the callee read the caller's stack through a pointer argument", () => {
    const slots = program(st(Size.DW, R.r10, -8, 33), movReg(R.r1, R.r10), alu64Imm(AluOp.ADD, R.r1, -8), callLocal(1), exit(), ldx(Size.DW, R.r0, R.r1, 0), exit());
    expect(run(slots)).toMatchObject({ kind: "exit", r0: 33n });
  });

  it("allows 8 frames: main and 7 nested calls", () => {
    // f(n): if n == 0 return 0; return f(n - 1) + 1. f(6)..f(0) are frames 2..8.
    const slots = program(mov64(R.r1, MAX_CALL_FRAMES - 2), callLocal(1), exit(), recursive);
    expect(run(slots)).toMatchObject({ kind: "exit", r0: 6n });
  });

  it("faults on the call that would make a ninth frame", () => {
    const slots = program(mov64(R.r1, MAX_CALL_FRAMES - 1), callLocal(1), exit(), recursive);
    const result = run(slots);
    expect(result).toMatchObject({ kind: "fault", fault: { kind: "call-depth", pc: 7, maxFrames: 8 } });
  });
});

describe("callx", () => {
  it("calls the helper whose id the register holds", () => {
    const slots = program(mov64(R.r2, HelperId.GET_SMP_PROCESSOR_ID), insn(Class.JMP | Source.X | JmpOp.CALL, R.r2), exit());
    expect(run(slots, { cpu: 3 })).toMatchObject({ kind: "exit", r0: 3n });
  });

  it("calls the function an ld_imm64 pseudo-func loaded", () => {
    const slots = program(insn(LDDW, R.r3, PseudoLd.FUNC, 0, 4), insn(0), mov64(R.r1, 5), insn(Class.JMP | Source.X | JmpOp.CALL, R.r3), exit(), movReg(R.r0, R.r1), alu64Imm(AluOp.MUL, R.r0, 3), exit());
    expect(run(slots)).toMatchObject({ kind: "exit", r0: 15n });
  });
});

describe("faults that name what happened", () => {
  it("a kfunc call names its BTF id", () => {
    const result = run(program(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, 0, 4242), exit()));
    expect(result).toMatchObject({ kind: "fault", fault: { kind: "kfunc", pc: 0, btfId: 4242 } });
    expect(result.kind === "fault" && result.message).toContain("4242");
  });

  it("a kfunc call is named when the loader reported the symbol at that pc", () => {
    const result = run(program(mov64(R.r0, 0), insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, 0, 77), exit()), {
      externs: [{ kind: "kfunc", name: "bpf_rcu_read_lock", pc: 1 }],
    });
    expect(result).toMatchObject({ kind: "fault", fault: { kind: "kfunc", pc: 1, name: "bpf_rcu_read_lock" } });
    expect(result.kind === "fault" && result.message).toContain("bpf_rcu_read_lock");
  });

  it("an unknown helper id names the id and the pc", () => {
    const result = run(program(mov64(R.r0, 0), callHelper(9999), exit()));
    expect(result).toMatchObject({ kind: "fault", pc: 1, fault: { kind: "unknown-helper", helperId: 9999 } });
    expect(result.kind === "fault" && result.message).toMatch(/pc 1: .*9999/);
  });

  it("a helper the kernel has but the simulator does not run is named", () => {
    const result = run(program(callHelper(181), exit()));
    expect(result.kind === "fault" && result.message).toContain("bpf_loop");
  });

  it("a runaway loop ends at the instruction budget", () => {
    const result = run(program(mov64(R.r0, 0), ja(-1)), {}, { maxSteps: 100 });
    expect(result).toMatchObject({ kind: "fault", steps: 100, fault: { kind: "budget", maxSteps: 100 } });
  });

  it("running off the end of the program is a fault at the last instruction", () => {
    expect(run(program(mov64(R.r0, 0)))).toMatchObject({ kind: "fault", fault: { kind: "pc-out-of-range", pc: 0 } });
  });

  it("an ld_imm64 without its second slot is an invalid instruction", () => {
    expect(run([insn(LDDW, R.r0, 0, 0, 1)])).toMatchObject({ kind: "fault", fault: { kind: "invalid-instruction", pc: 0 } });
  });
});

describe("LD_ABS and LD_IND", () => {
  const packet = Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66);
  const xdp = () => ({ input: { kind: "xdp", buffer: createXdpBuffer(packet) } as const });
  const ldAbs = (size: number, imm: number) => insn(Class.LD | Mode.ABS | size, 0, 0, 0, imm);

  it("loads big-endian from the packet start", () => {
    expect(run(program(ldAbs(Size.H, 1), exit()), xdp())).toMatchObject({ kind: "exit", r0: 0x2233n });
    expect(run(program(ldAbs(Size.W, 2), exit()), xdp())).toMatchObject({ kind: "exit", r0: 0x3344_5566n });
  });

  it("adds the source register for LD_IND", () => {
    expect(run(program(mov64(R.r7, 4), insn(Class.LD | Mode.IND | Size.B, 0, R.r7, 0, 1), exit()), xdp())).toMatchObject({ kind: "exit", r0: 0x66n });
  });

  it("ends the program with r0 = 0 when the load leaves the packet", () => {
    expect(run(program(mov64(R.r0, 7), ldAbs(Size.W, 3), mov64(R.r0, 9), exit()), xdp())).toMatchObject({ kind: "exit", r0: 0n, steps: 2 });
  });
});

describe("trace", () => {
  it("reports each executed instruction with the registers before it", () => {
    const steps: TraceStep[] = [];
    run(program(mov64(R.r0, 4), alu64Imm(AluOp.ADD, R.r0, 1), exit()), {}, { onStep: (step) => steps.push(step) });
    expect(steps.map((s) => [s.pc, s.regs[0]])).toEqual([
      [0, 0n],
      [1, 4n],
      [2, 5n],
    ]);
  });
});
