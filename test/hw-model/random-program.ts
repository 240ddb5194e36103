// Random valid microprograms for the regression digest: every format of the ISA
// with operands in range and branch targets inside the program, ending in a
// verdict. (The same shape of generator as fuzz.test.ts, kept here so the digest
// does not depend on a test file.)
import fc from "fast-check";
import { Op, opTable, Flag, mk, microprogram, validateInsn, type MicroInsn, type Microprogram } from "../../hw-model/index.ts";
import { IMM, NONE } from "../../hw-model/isa/register.ts";
import { fwRoutines } from "../../hw-model/isa/fwcall.ts";

const reg = fc.integer({ min: 0, max: 47 });
const gprA = fc.integer({ min: 0, max: 15 });
const gprB = fc.integer({ min: 16, max: 31 });
const xfer = fc.integer({ min: 32, max: 40 });
const sig = fc.integer({ min: 0, max: 15 });

function anyInsn(length: number): fc.Arbitrary<MicroInsn> {
  const target = fc.integer({ min: 0, max: length - 1 });
  const byFormat = opTable.map((info): fc.Arbitrary<MicroInsn> => {
    const op = info.op;
    switch (info.format) {
      case "none":
        return fc.constant(mk(op));
      case "alu3":
        return fc.oneof(fc.record({ d: reg, a: gprA, b: gprB }), fc.record({ d: reg, a: reg, b: fc.constant(IMM), imm: fc.integer({ min: 0, max: 255 }) })).map((f) => mk(op, f));
      case "alu1":
        return fc.record({ d: reg, b: reg }).map((f) => mk(op, f));
      case "shift":
        return fc.record({ d: reg, a: gprA, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(op, f));
      case "dblshift":
        return fc.record({ d: reg, a: gprA, b: gprB, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(op, f));
      case "byteext":
        return fc.record({ d: reg, a: reg, imm: fc.integer({ min: 0, max: 3 }) }).map((f) => mk(op, f));
      case "ldfield":
        return fc.record({ d: reg, n: fc.integer({ min: 1, max: 15 }), b: reg, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(op, f));
      case "mulstart":
        return fc.record({ a: gprA, b: gprB }).map((f) => mk(op, f));
      case "dest":
        return fc.record({ d: reg }).map((f) => mk(op, f));
      case "immed":
        return fc.record({ d: reg, imm: fc.integer({ min: 0, max: 0xffff }), n: op === Op.IMMED ? fc.constantFrom(0, 8, 16) : fc.constant(0) }).map((f) => mk(op, f));
      case "branch":
        return target.map((x) => mk(op, { x }));
      case "bitbranch":
        return fc.record({ a: reg, imm: fc.integer({ min: 0, max: 31 }), x: target }).map((f) => mk(op, f));
      case "link":
        return fc.record({ d: reg, x: target }).map((f) => mk(op, f));
      case "jumpreg":
        return fc.record({ a: reg }).map((f) => mk(op, f));
      case "lmbase":
        return fc.record({ n: fc.integer({ min: 0, max: 1 }), a: reg }).map((f) => mk(op, f));
      case "lmload":
        return fc.record({ d: reg, n: fc.integer({ min: 0, max: 1 }), imm: fc.integer({ min: -64, max: 600 }), c: fc.constantFrom(1, 2, 4) }).map((f) => mk(op, f));
      case "lmstore":
        return fc.record({ a: reg, n: fc.integer({ min: 0, max: 1 }), imm: fc.integer({ min: -64, max: 600 }), c: fc.constantFrom(1, 2, 4) }).map((f) => mk(op, f));
      case "mem": {
        const bytes = op === Op.MEM_RD || op === Op.MEM_WR ? fc.constantFrom(1, 2, 4, 8, 16) : op === Op.MEM_TAS ? fc.constant(4) : fc.constantFrom(4, 8);
        return fc.record({ d: xfer, a: reg, imm: fc.integer({ min: -16, max: 200 }), c: bytes, x: sig, flags: fc.integer({ min: 0, max: Flag.LE | Flag.SWAP }) }).map((f) => mk(op, f));
      }
      case "arb":
        return fc.integer({ min: 1, max: 0xffff }).map((x) => mk(op, { x }));
      case "fwcall":
        return fc
          .record({ routine: fc.integer({ min: 0, max: fwRoutines.length - 1 }), d: reg, imm: fc.integer({ min: 0, max: 2 }), args: fc.array(reg, { minLength: 4, maxLength: 4 }) })
          .map((f) => {
            const n = fwRoutines[f.routine].args.length;
            const arg = (k: number): number => (k < n ? f.args[k] : NONE);
            return mk(op, { n: f.routine, d: f.d, imm: f.imm, a: arg(0), b: arg(1), c: arg(2), x: arg(3) });
          });
      case "csr":
        return fc.record({ d: reg, n: fc.integer({ min: 0, max: 5 }) }).map((f) => mk(op, f));
      case "handover":
        return fc.record({ n: fc.integer({ min: 0, max: 1 }), imm: fc.integer(), x: fc.integer({ min: 0, max: 64 }), c: fc.integer({ min: 0, max: 64 }) }).map((f) => mk(op, f));
      case "tohost":
        return fc.record({ imm: fc.integer(), x: fc.integer({ min: 0, max: 64 }), c: fc.integer({ min: 0, max: 64 }) }).map((f) => mk(op, f));
      case "verdict":
        return fc.oneof(fc.integer({ min: 0, max: 4 }).map((n) => mk(op, { n })), reg.map((a) => mk(op, { n: -1, a })));
    }
  });
  return fc.oneof(...byFormat).filter((i) => validateInsn(i, length) === undefined);
}

export const randomProgram = (length: number): fc.Arbitrary<Microprogram> =>
  fc.array(anyInsn(length + 1), { minLength: length, maxLength: length }).map((insns) => microprogram([...insns, mk(Op.VERDICT, { n: 1 })]));
