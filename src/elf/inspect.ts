import { LDDW } from "../ebpf/opcode.ts";
import type { Program } from "../ebpf/instruction.ts";
import { MapType } from "../maps/types.ts";
import type { BpfObject, Relocation, RelocationTarget } from "./bpf-object.ts";
import type { KernelBtf } from "./kernel-btf.ts";

// A summary of a loaded object for people: what `offload-sim inspect` prints.

export interface InspectProgram {
  readonly name: string;
  readonly section: string;
  readonly type: string;
  readonly instructions: number; // of the entry function, a 64-bit load counted once (as llvm-objdump prints)
  readonly slots: number; // 8-byte slots after subprograms are appended (what the kernel receives)
  readonly subprograms: readonly string[];
  readonly autoload: boolean;
}

export interface InspectMap {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly inner?: string;
}

export interface InspectRelocation {
  readonly section: string;
  readonly insnIndex: number;
  readonly program: string;
  readonly type: string;
  readonly symbol: string;
  readonly target: string;
}

export interface InspectReport {
  readonly file: string;
  readonly byteOrder: "little-endian" | "big-endian";
  readonly license: string;
  readonly kernelVersion?: string;
  readonly programs: readonly InspectProgram[];
  readonly maps: readonly InspectMap[];
  readonly relocations: readonly InspectRelocation[];
  readonly coreRelocations: readonly InspectCoreRelocation[];
  // "stages[0] = program stage_v4": slots libbpf fills after loading.
  readonly initialSlots: readonly string[];
  readonly warnings: readonly string[];
}

export interface InspectCoreRelocation {
  readonly section: string;
  readonly insnIndex: number;
  readonly program: string;
  readonly kind: string;
  readonly access: string; // "iphdr.saddr (0:9:0:1)"
  readonly value: number;
}

const mapTypeNames = new Map<number, string>(Object.entries(MapType).map(([name, id]) => [id, name.toLowerCase()]));
export const mapTypeName = (type: number): string => mapTypeNames.get(type) ?? `unknown(${type})`;

// Instructions as a disassembler lists them: the two slots of a 64-bit immediate load are one.
export function instructionCount(insns: Program, slots = insns.length): number {
  let count = 0;
  for (let pc = 0; pc < slots; pc++, count++) if (insns[pc].opcode === LDDW) pc++;
  return count;
}

// KERNEL_VERSION(a, b, c) = (a << 16) + (b << 8) + c, as in <linux/version.h>.
const kernelVersionText = (code: number): string => `${code >>> 16}.${(code >>> 8) & 0xff}.${code & 0xff}`;

function targetText(target: RelocationTarget, kernel: KernelBtf | undefined): string {
  switch (target.kind) {
    case "map":
      return `map #${target.mapIndex} ${target.mapName}`;
    case "global-data":
      return `map #${target.mapIndex} ${target.mapName} + ${target.offsetBytes}`;
    case "subprog-call":
      return `call ${target.functionName}`;
    case "subprog-address":
      return `address of ${target.functionName}`;
    case "kfunc": {
      if (!kernel) return `kfunc ${target.name} (unresolved: no kernel BTF)`;
      const func = kernel.findFunc(target.name);
      return func ? `kfunc ${target.name} = btf_id ${func.btfId}: ${func.prototype}` : `kfunc ${target.name} (not in the kernel BTF at ${kernel.path})`;
    }
    case "ksym": {
      if (!kernel) return `ksym ${target.name} (unresolved: no kernel BTF)`;
      const variable = kernel.findVar(target.name);
      return variable ? `ksym ${target.name} = btf_id ${variable.btfId}: ${variable.typeText}` : `ksym ${target.name} (no variable of that name in the kernel BTF at ${kernel.path})`;
    }
    default: {
      const unreachable: never = target;
      return String(unreachable);
    }
  }
}

// `kernel`: the kernel BTF kfunc and __ksym references are resolved against (shown unresolved without it).
export function inspectObject(obj: BpfObject, kernel?: KernelBtf): InspectReport {
  return {
    file: obj.fileName,
    byteOrder: obj.littleEndian ? "little-endian" : "big-endian",
    license: obj.license,
    ...(obj.kernelVersion !== undefined ? { kernelVersion: kernelVersionText(obj.kernelVersion) } : {}),
    programs: obj.programs.map((p) => ({
      name: p.name,
      section: p.section,
      type: p.type,
      instructions: instructionCount(p.insns, p.ownInsnSlots),
      slots: p.insns.length,
      subprograms: p.functions.slice(1).map((f) => f.name),
      autoload: p.autoload,
    })),
    maps: obj.maps.map((m, index) => ({
      index,
      name: m.name,
      type: mapTypeName(m.type),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      ...(m.inner ? { inner: `${m.inner.name}: ${mapTypeName(m.inner.type)} ${m.inner.keySize}/${m.inner.valueSize} x${m.inner.maxEntries}` } : {}),
    })),
    relocations: obj.relocations.map((r: Relocation) => ({
      section: r.section,
      insnIndex: r.insnIndex,
      program: r.program,
      type: r.type,
      symbol: r.symbol,
      target: targetText(r.target, kernel),
    })),
    coreRelocations: (obj.coreRelocations ?? []).map((c) => ({
      section: c.section,
      insnIndex: c.insnIndex,
      program: c.program,
      kind: c.kind,
      access: `${c.accessPath} (${c.accessString})`,
      value: c.value,
    })),
    initialSlots: (obj.initialSlots ?? []).map((s) => `${s.mapName}[${s.slot}] = ${s.target.kind} ${s.target.name}`),
    warnings: obj.warnings,
  };
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `  ${l}`);
}

export function formatInspect(report: InspectReport): string {
  const version = report.kernelVersion ? `, kernel version ${report.kernelVersion}` : "";
  const lines = [`${report.file}: ${report.byteOrder} eBPF object, license "${report.license}"${version}`, ""];
  lines.push(`programs (${report.programs.length}):`);
  if (report.programs.length > 0) {
    lines.push(
      ...table(
        ["name", "section", "type", "insns", "slots", "subprograms"],
        report.programs.map((p) => [
          p.autoload ? p.name : `${p.name} (not autoloaded)`,
          p.section,
          p.type,
          String(p.instructions),
          String(p.slots),
          p.subprograms.join(", ") || "-",
        ]),
      ),
    );
  }
  lines.push("", `maps (${report.maps.length}):`);
  if (report.maps.length > 0) {
    lines.push(
      ...table(
        ["#", "name", "type", "key", "value", "max_entries", "flags", "inner"],
        report.maps.map((m) => [
          String(m.index),
          m.name,
          m.type,
          String(m.keySize),
          String(m.valueSize),
          String(m.maxEntries),
          `0x${m.flags.toString(16)}`,
          m.inner ?? "-",
        ]),
      ),
    );
  }
  lines.push("", `relocations (${report.relocations.length}):`);
  if (report.relocations.length > 0) {
    lines.push(
      ...table(
        ["section", "insn", "function", "type", "symbol", "resolves to"],
        report.relocations.map((r) => [r.section, String(r.insnIndex), r.program, r.type, r.symbol || "-", r.target]),
      ),
    );
  }
  if (report.initialSlots.length > 0) lines.push("", `map slots filled at load (${report.initialSlots.length}):`, ...report.initialSlots.map((s) => `  ${s}`));
  if (report.coreRelocations.length > 0) {
    lines.push("", `CO-RE relocations (${report.coreRelocations.length}, resolved against the object's own BTF):`);
    lines.push(
      ...table(
        ["section", "insn", "function", "kind", "access", "value"],
        report.coreRelocations.map((c) => [c.section, String(c.insnIndex), c.program, c.kind, c.access, String(c.value)]),
      ),
    );
  }
  if (report.warnings.length > 0) lines.push("", "warnings:", ...report.warnings.map((w) => `  ${w}`));
  return `${lines.join("\n")}\n`;
}
