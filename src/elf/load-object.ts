import { slice, u32 } from "./byte-region.ts";
import type { BpfObject, BpfProgram, BtfSummary } from "./bpf-object.ts";
import { readBtfExt, type BtfExt } from "./btf-ext.ts";
import { readBtf, type Btf } from "./btf.ts";
import { functionLinkage } from "./func-signatures.ts";
import { readInitialSlots } from "./map-slots.ts";
import { coreSlot, patchedValue, resolveCoreRecord, type CoreRelocation } from "./core-relocations.ts";
import { functionAt } from "./program-sources.ts";
import { INSN_BYTES } from "../ebpf/opcode.ts";
import { readBtfMaps } from "./btf-maps.ts";
import { collectCodeRelocations } from "./code-relocations.ts";
import { contents, readElf, type ElfFile } from "./elf-file.ts";
import { ElfError, elfError } from "./errors.ts";
import { readGlobalDataMaps } from "./global-data-maps.ts";
import { readLegacyMaps } from "./legacy-maps.ts";
import { linkProgram, type LinkInput } from "./link-program.ts";
import { layoutOf, type ObjectLayout } from "./object-layout.ts";
import type { PlacedMap } from "./placed-map.ts";
import { progTypeId } from "./prog-types.ts";
import { readProgramSources, type ProgramSource } from "./program-sources.ts";
import { matchSection } from "./section-defs.ts";

// libbpf keeps the license in a 64-byte buffer (struct bpf_object.license), so at most 63 characters.
const LICENSE_MAX_CHARS = 63;
const VERSION_BYTES = 4;

// Loads an eBPF object the way libbpf's bpf_object__open and relocation
// would, without touching the kernel. Throws ElfError on anything malformed.
export function loadObject(bytes: Uint8Array, fileName: string): BpfObject {
  const elf = readElf(bytes, fileName);
  const layout = layoutOf(elf);
  const warnings: string[] = [];
  const { btf: btfSection, btfExt: btfExtSection } = layout;
  const btf = btfSection && readOptional(() => readBtf(contents(elf, btfSection)), needsBtf(layout), warnings, "the .BTF section");
  const btfExt =
    btf && btfExtSection ? readOptional(() => readBtfExt(contents(elf, btfExtSection), btf), false, warnings, "the .BTF.ext section") : undefined;

  const placed: PlacedMap[] = [
    ...(layout.legacyMaps ? readLegacyMaps(elf, layout.legacyMaps) : []),
    ...(layout.btfMaps ? readBtfMaps(elf, layout.btfMaps, btf) : []),
    ...readGlobalDataMaps(elf, layout.data, btf),
  ];
  const sources = readProgramSources(elf, layout);
  const relocations = collectCodeRelocations(elf, layout, sources, placed);
  const programs = sources
    .filter((source) => !source.isSubprogram)
    .map((source) => toProgram(elf, layout, source, sources, relocations.byFunction, btf, btfExt, warnings));

  const coreRelocations = btf && btfExt ? applyCoreRelocations(elf, btf, btfExt, sources) : [];
  const initialSlots = readInitialSlots(elf, layout, placed, sources, btf);
  return {
    fileName,
    littleEndian: elf.littleEndian,
    programs,
    maps: placed.map((m) => m.def),
    relocations: relocations.records,
    ...(coreRelocations.length > 0 ? { coreRelocations } : {}),
    ...(initialSlots.length > 0 ? { initialSlots } : {}),
    license: readLicense(elf, layout),
    ...optionalVersion(elf, layout),
    ...(btf ? { btf: summarize(btf, btfExt) } : {}),
    warnings,
  };
}

// libbpf needs BTF only for BTF-defined maps; otherwise a broken .BTF is logged and ignored.
const needsBtf = (layout: ObjectLayout): boolean => layout.btfMaps !== undefined;

function readOptional<T>(read: () => T, required: boolean, warnings: string[], what: string): T | undefined {
  try {
    return read();
  } catch (failure) {
    if (required || !(failure instanceof ElfError)) throw failure;
    warnings.push(`${what} was ignored: ${failure.message}`);
    return undefined;
  }
}

function toProgram(
  elf: ElfFile,
  layout: ObjectLayout,
  source: ProgramSource,
  sources: readonly ProgramSource[],
  relocations: LinkInput["relocations"],
  btf: Btf | undefined,
  btfExt: BtfExt | undefined,
  warnings: string[],
): BpfProgram {
  const autoload = !source.section.name.startsWith("?");
  const section = autoload ? source.section.name : source.section.name.slice(1);
  const match = matchSection(section);
  if (match.kind === "legacy-prefix") {
    warnings.push(`program '${source.name}': section '${section}' is matched as libbpf 0.x did ('${match.def.pattern}' as a prefix); libbpf 1.x rejects this name`);
  } else if (match.kind === "unknown") {
    warnings.push(`program '${source.name}': section '${section}' names no known program type, so its type is unspec`);
  }
  const linked = linkProgram(source, { fileName: elf.fileName, text: layout.text, sources, relocations, btfExt });
  const type = match.kind === "unknown" ? "unspec" : match.def.progType;
  const def = match.kind === "unknown" ? undefined : match.def;
  return {
    name: source.name,
    section,
    type,
    typeId: progTypeId(type),
    ...(def?.attachType ? { expectedAttachType: def.attachType } : {}),
    sectionMatch: match.kind,
    sleepable: def?.sleepable ?? false,
    xdpFrags: def?.xdpFrags ?? false,
    autoload,
    insns: linked.insns,
    ownInsnSlots: source.insns.length,
    // The entry function is the program itself; only subprograms can be global functions.
    functions: linked.functions.map((fn, i) => {
      const linkage = i > 0 && btf ? functionLinkage(btf, fn.name) : undefined;
      return { ...fn, global: linkage?.global ?? false, ...(linkage?.signature ? { signature: linkage.signature } : {}) };
    }),
    ...(linked.lineInfo ? { lineInfo: linked.lineInfo } : {}),
    externs: linked.externs,
  };
}

function readLicense(elf: ElfFile, layout: ObjectLayout): string {
  if (!layout.license) return "";
  const text = slice(contents(elf, layout.license));
  const end = text.indexOf(0);
  return new TextDecoder().decode(end < 0 ? text : text.subarray(0, end)).slice(0, LICENSE_MAX_CHARS);
}

function optionalVersion(elf: ElfFile, layout: ObjectLayout): { kernelVersion?: number } {
  const section = layout.version;
  if (!section) return {};
  if (section.size !== VERSION_BYTES) {
    throw elfError({ file: elf.fileName, section: section.name, offset: section.offset }, `the section is ${section.size} bytes, expected a ${VERSION_BYTES}-byte kernel version`);
  }
  return { kernelVersion: u32(contents(elf, section), 0, "kernel version") };
}

function summarize(btf: Btf, ext: BtfExt | undefined): BtfSummary {
  const count = (sections: readonly { records: readonly unknown[] }[] | undefined): number =>
    (sections ?? []).reduce((n, s) => n + s.records.length, 0);
  return {
    typeCount: btf.types.length - 1,
    stringBytes: btf.strings.length,
    datasecs: btf.types.filter((t) => t.kind === "datasec").map((t) => t.name),
    funcInfoCount: count(ext?.funcInfo),
    lineInfoCount: count(ext?.lineInfo),
    coreRelocationCount: ext?.coreRelocationCount ?? 0,
  };
}

// Every CO-RE record is resolved against the object's own BTF and must name an instruction that holds
// the value it computes (libbpf's bpf_core_patch_insn check); the instructions stay as compiled.
function applyCoreRelocations(elf: ElfFile, btf: Btf, ext: BtfExt, sources: readonly ProgramSource[]): (CoreRelocation & { program: string })[] {
  return ext.coreRecords.map((record, i) => {
    const section = elf.sections.find((s) => s.name === record.sectionName);
    const slot = coreSlot(record);
    const where = { file: elf.fileName, section: record.sectionName, ...(section ? { offset: section.offset + record.insnOffsetBytes } : {}) };
    const fail = (problem: string): ElfError => elfError(where, `CO-RE relocation ${i} (instruction ${slot}, ${record.accessString}): ${problem}`);
    const owner = section && Number.isInteger(slot) ? functionAt(sources, section, slot) : undefined;
    if (!owner) throw fail(`names byte ${record.insnOffsetBytes} of section '${record.sectionName}', where no function's instruction starts`);
    const resolved = resolveCoreRecord(btf, record, elf.littleEndian, fail);
    const local = slot - owner.firstSlot;
    const held = patchedValue(owner.insns, local);
    if (held === undefined) throw fail(`patches instruction ${local} of '${owner.name}' (opcode 0x${owner.insns[local].opcode.toString(16)}), which has no immediate or offset libbpf can patch`);
    const expected = held.field === "imm64" ? BigInt(resolved.value) : resolved.value;
    if (held.value !== expected) {
      throw fail(`instruction ${local} of '${owner.name}' holds ${held.field} ${held.value}, but ${resolved.kind} of ${resolved.accessPath} is ${resolved.value} in the object's BTF`);
    }
    return { section: record.sectionName, program: owner.name, insnIndex: slot, ...resolved };
  });
}
