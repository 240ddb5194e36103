// What `offload-sim disasm` does, loaded only when the command runs (see disasm.ts for its options).
import { type AsmSyntax, LDDW, PseudoLd, listRawBytes, listing } from "../../ebpf/index.ts";
import type { BpfObject, BpfProgram } from "../../elf/bpf-object.ts";
import { loadObject } from "../../elf/load-object.ts";
import { selectProgram } from "../../oracle/object-setup.ts";
import type { DisasmArgs } from "./disasm.ts";
import { readInputBytes } from "../../input-file.ts";

export interface DisasmInputOptions {
  readonly syntax: AsmSyntax;
  readonly littleEndian: boolean;
  // ELF objects: list only this program.
  readonly program?: string;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

// The listing for one input file: an ELF object per program, anything else as raw instruction bytes.
export function disassembleInput(path: string, bytes: Uint8Array, opts: DisasmInputOptions): string {
  if (ELF_MAGIC.every((byte, i) => bytes[i] === byte)) return disassembleObject(loadObject(bytes, path), opts);
  return disassembleRaw(path, bytes, opts);
}

// As llvm-objdump -d prints a section, but per linked program: a header naming the
// program and its section, `<function>:` at each function start, map references named.
export function disassembleObject(object: BpfObject, opts: DisasmInputOptions): string {
  const programs = opts.program === undefined ? object.programs : [selectProgram(object, opts.program)];
  const parts = [`${object.fileName}:\tfile format elf64-bpf${object.littleEndian ? "" : "eb"}\n`];
  for (const program of programs) parts.push(`\nDisassembly of program ${program.name} (section ${program.section}):\n${programListing(object, program, opts)}`);
  return parts.join("");
}

function programListing(object: BpfObject, program: BpfProgram, opts: DisasmInputOptions): string {
  const lines = listing(program.insns, { syntax: opts.syntax }).split("\n");
  const out: string[] = [];
  for (const line of lines) {
    if (line === "") continue;
    const pc = Number(line.slice(0, line.indexOf(":")));
    const fn = program.functions.find((f) => f.startPc === pc);
    if (fn !== undefined) out.push(`\n${(pc * 8).toString(16).padStart(16, "0")} <${fn.name}>:`);
    const insn = program.insns[pc];
    const refersToMap = insn.opcode === LDDW && (insn.src === PseudoLd.MAP_IDX || insn.src === PseudoLd.MAP_IDX_VALUE);
    out.push(refersToMap && object.maps[insn.imm] !== undefined ? `${line}\t# map '${object.maps[insn.imm].name}'` : line);
  }
  return `${out.join("\n")}\n`;
}

// Raw bytes: the whole file is one program, 8 bytes per slot.
export function disassembleRaw(path: string, bytes: Uint8Array, opts: DisasmInputOptions): string {
  return listRawBytes(bytes, { sourceName: path, syntax: opts.syntax, littleEndian: opts.littleEndian });
}

// The disasm command once its arguments are parsed.
export function disasmHandler(args: DisasmArgs): void {
  const bytes = readInputBytes(args.input);
  process.stdout.write(disassembleInput(args.input, bytes, { syntax: args.syntax, littleEndian: !args["big-endian"], ...(args.prog === undefined ? {} : { program: args.prog }) }));
}
