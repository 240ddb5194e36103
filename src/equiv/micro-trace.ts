// The NIC's side of a lock-step trace: hw-model's executor calls the hook
// before every microcode instruction with the registers as they are; what an
// instruction wrote is the difference between its snapshot and the next one
// in the same stage (a stage's last instruction, a handover or verdict, writes
// no register), together with the instruction's destination register even
// when it was written with the value it held. Each step names the eBPF instruction it implements through
// the image's origins, the map `partition --explain` prints.
import { formatInsn } from "../../hw-model/isa/disasm.ts";
import { opInfo, type Format } from "../../hw-model/isa/opcode.ts";
import { isRegister, REG_COUNT, registerName } from "../../hw-model/isa/register.ts";
import type { InstructionHook } from "../../hw-model/exec/executor.ts";
import type { NicImage } from "../offload/nic-image.ts";
import type { MicroStep } from "./nic-target.ts";

// Steps kept: a packet that loops for the executor's whole budget keeps its last ones only.
export const MAX_MICRO_STEPS = 200_000;

// Instruction formats whose d field is a register they write (hw-model/isa/opcode.ts).
const WRITES_D: ReadonlySet<Format> = new Set<Format>(["alu3", "alu1", "shift", "dblshift", "byteext", "ldfield", "dest", "immed", "link", "lmload", "fwcall", "csr"]);

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

interface Pending {
  readonly stage: number;
  readonly pc: number;
}

export class MicroTraceRecorder {
  private steps: MicroStep[] = [];
  private pending: Pending | undefined;
  // The registers before the pending instruction.
  private before = new Int32Array(REG_COUNT);
  private dropped = 0;

  constructor(private readonly image: NicImage) {}

  readonly hook: InstructionHook = (stage, pc, regs) => {
    this.settle(this.pending !== undefined && this.pending.stage === stage ? regs : undefined);
    this.before.set(regs.subarray(0, REG_COUNT));
    this.pending = { stage, pc };
  };

  // The steps recorded (the last instruction closed with no writes), and how many early ones were dropped.
  finish(): { readonly steps: readonly MicroStep[]; readonly dropped: number } {
    this.settle(undefined);
    return { steps: this.steps, dropped: this.dropped };
  }

  // Closes the pending step; `after` is the register file after it, when it continued in the same stage.
  private settle(after: Int32Array | undefined): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    const stage = this.image.stages[p.stage];
    const insn = stage?.program.insns[p.pc];
    const writes: string[] = [];
    if (after !== undefined) {
      const dest = insn !== undefined && WRITES_D.has(opInfo[insn.op].format) && isRegister(insn.d) ? insn.d : -1;
      for (let r = 0; r < REG_COUNT; r++) if (r === dest || after[r] !== this.before[r]) writes.push(`${registerName(r)}=${hex32(after[r])}`);
    }
    this.steps.push({ stage: p.stage, pc: p.pc, ebpfPc: stage?.origins[p.pc]?.pc, text: insn ? formatInsn(insn) : "(outside the stage)", writes });
    if (this.steps.length > 2 * MAX_MICRO_STEPS) {
      this.dropped += this.steps.length - MAX_MICRO_STEPS;
      this.steps = this.steps.slice(-MAX_MICRO_STEPS);
    }
  }
}
