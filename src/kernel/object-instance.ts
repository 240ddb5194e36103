// An eBPF object (as src/elf loads it) brought to life in the kernel, the way
// libbpf's bpf_object__load would: the object's BTF fixed up and loaded
// (object-btf.ts; rewritten for a kernel lacking BTF kinds, btf-sanitize.ts),
// every map created with its key and value types (global data populated,
// .rodata frozen), every autoloaded program loaded against those maps with the
// object's func and line info and its section's prog flags, and the prog_array
// slots filled. When the BTF cannot be had, maps and programs go without it, as
// libbpf goes on when BTF is optional. Loading never throws for a rejected
// program: each program's verdict is kept, so a caller can compare it with our
// verifier's. When it throws (a map the kernel refuses, a prog_array slot), it
// first closes every map and program it made.
import { readFileSync, statSync } from "node:fs";
import type { BpfObject, BpfProgram } from "../elf/bpf-object.ts";
import { attachTypeId } from "../elf/prog-types.ts";
import { OffloadSimError } from "../errors.ts";
import { isDumpableMapType } from "./map-commands.ts";
import type { KernelBtf, KernelHandle, KernelMap, KernelSession, LoadVerdict, MapDump, LoadedObjectBtf, ObjectBtfProblem } from "./session.ts";
import type { LineInfo, ProgramBtf } from "./prog-load.ts";
import { kernelVersionCode } from "./kernel-version.ts";
import { internalMapName, libbpfObjectName } from "./map-names.ts";
import { ProgFlag, type VerifierLogLevel } from "./uapi.ts";

// A program placed in a prog_array slot once everything is loaded (libbpf does this
// for a PROG_ARRAY's static initializer, which MapDef does not carry).
export interface ProgArraySlot {
  readonly map: string;
  readonly index: number;
  readonly program: string;
}

export interface InstantiateOptions {
  readonly logLevel?: VerifierLogLevel;
  readonly progArraySlots?: readonly ProgArraySlot[];
  // Load these programs only (by name); default: every program with autoload set.
  readonly programs?: readonly string[];
  // The object file's bytes, for its .BTF (maps whose values hold a bpf_spin_lock, a bpf_timer
  // or kptrs need it). Default: the file object.fileName names, when it can be read.
  readonly objectBytes?: Uint8Array;
}

export interface KernelObjectInstance {
  readonly object: BpfObject;
  // Index i is the kernel map for object.maps[i], the index the program's map references use.
  readonly maps: readonly KernelMap[];
  readonly verdicts: ReadonlyMap<string, LoadVerdict>;
  // Why the maps were created without the object's BTF, when they were.
  readonly btfProblem?: string;
}

export function instantiateObject(k: KernelSession, object: BpfObject, options: InstantiateOptions = {}): KernelObjectInstance {
  const btf = objectBtf(k, object, options.objectBytes);
  try {
    return instantiateWith(k, object, options, "handle" in btf ? btf : undefined, "problem" in btf ? btf : undefined);
  } finally {
    // Maps and programs hold their own references to the BTF object; the fd is needed no longer.
    if ("handle" in btf) k.release(btf.handle);
  }
}

function instantiateWith(
  k: KernelSession,
  object: BpfObject,
  options: InstantiateOptions,
  btf: LoadedObjectBtf | undefined,
  btfProblem: ObjectBtfProblem | undefined,
): KernelObjectInstance {
  // Everything made so far, closed again if a later step throws.
  const made: KernelHandle[] = [];
  try {
    const objectName = libbpfObjectName(object.fileName);
    const maps: KernelMap[] = [];
    for (const def of object.maps) {
      const map = k.createMap(def, {
        ...(btf === undefined ? {} : { btf }),
        // libbpf ignores a .BTF the kernel refused and then creates every map without BTF.
        ...(btfProblem?.refusedByKernel ? { withoutBtf: true } : {}),
        // Global data maps carry the object's name in the kernel, as libbpf names them.
        ...(def.initialValue === undefined ? {} : { kernelName: internalMapName(objectName, def.name) }),
      });
      made.push(map);
      maps.push(map);
    }
    const mapFds = maps.map((map) => map.fd);
    const wanted = options.programs === undefined ? object.programs.filter((p) => p.autoload) : options.programs.map((name) => programNamed(object, name));
    const verdicts = new Map<string, LoadVerdict>();
    for (const program of wanted) {
      const verdict = loadOne(k, object, program, mapFds, options, btf);
      if (verdict.accepted) made.push(verdict.program);
      verdicts.set(program.name, verdict);
    }
    const instance = { object, maps, verdicts, ...(btfProblem === undefined ? {} : { btfProblem: btfProblem.problem }) };
    for (const slot of options.progArraySlots ?? []) {
      const verdict = verdicts.get(slot.program);
      if (verdict === undefined || !verdict.accepted) {
        throw new OffloadSimError(`${object.fileName}: prog_array slot ${slot.map}[${slot.index}] names program '${slot.program}', which was not loaded.`);
      }
      k.setProgArraySlot(kernelMapNamed(instance, slot.map), slot.index, verdict.program);
    }
    return instance;
  } catch (error) {
    k.releaseAfterFailure(made);
    throw error;
  }
}

function loadOne(
  k: KernelSession,
  object: BpfObject,
  program: BpfProgram,
  mapFds: readonly number[],
  options: InstantiateOptions,
  btf: LoadedObjectBtf | undefined,
): LoadVerdict {
  const programBtfs = programBtf(k, program, btf);
  try {
    return k.tryLoadProgram({
      program: program.insns,
      externs: program.externs,
      mapFds,
      name: program.name,
      progType: program.typeId,
      expectedAttachType: program.expectedAttachType === undefined ? 0 : attachTypeId(program.expectedAttachType),
      license: object.license,
      logLevel: options.logLevel,
      btf: programBtfs?.btf,
      progFlags: loadFlags(program),
      // libbpf passes the object's version section, else the running kernel's version.
      kernVersion: object.kernelVersion ?? kernelVersionCode(),
    });
  } finally {
    // The program holds its own reference to a synthetic func BTF.
    if (programBtfs?.synthetic !== undefined) k.release(programBtfs.synthetic);
  }
}

export function kernelMapNamed(instance: KernelObjectInstance, name: string): KernelMap {
  const index = instance.object.maps.findIndex((def) => def.name === name);
  if (index < 0) throw new OffloadSimError(`${instance.object.fileName} has no map named '${name}'.`);
  return instance.maps[index];
}

// The content of every map user space can read, by map name, e.g. to compare with the interpreter's after a run.
export function dumpMaps(k: KernelSession, instance: KernelObjectInstance): ReadonlyMap<string, MapDump> {
  return new Map(instance.maps.filter((map) => isDumpableMapType(map.def.type)).map((map) => [map.def.name, k.dumpMap(map)]));
}

// The prog_flags libbpf adds for the section kind (libbpf.c section_defs: SEC_XDP_FRAGS, SEC_SLEEPABLE).
const loadFlags = (program: BpfProgram): number =>
  (program.xdpFrags ? ProgFlag.XDP_HAS_FRAGS : 0) | (program.sleepable ? ProgFlag.SLEEPABLE : 0);

// Func info as libbpf passes it: each function's FUNC in the object's BTF, so global subprograms
// are verified on their own as the kernel does for libbpf. Without the object's BTF, a program
// with subprograms gets the synthetic BTF that subprograms with a tail call need (prog-load.ts),
// loaded for it alone (`synthetic`, to be released once the program is loaded).
function programBtf(
  k: KernelSession,
  program: BpfProgram,
  btf: LoadedObjectBtf | undefined,
): { readonly btf: ProgramBtf; readonly synthetic?: KernelBtf } | undefined {
  const typeIds = program.functions.map((fn) => btf?.funcTypeIds.get(fn.name));
  if (btf !== undefined && typeIds.every((id) => id !== undefined)) {
    const funcInfo = program.functions.map((fn, i) => ({ insnOff: fn.startPc, typeId: typeIds[i] ?? 0 })).sort((a, b) => a.insnOff - b.insnOff);
    const lineInfo = programLineInfo(program, btf.stringOffsets);
    return { btf: { btfFd: btf.handle.fd, funcInfo, ...(lineInfo === undefined ? {} : { lineInfo }) } };
  }
  if (program.functions.length <= 1) return undefined;
  const made = k.funcInfoBtf(program.functions);
  return { btf: made, synthetic: { kind: "btf", fd: made.btfFd } };
}

// The program's line info as the kernel checks it (kernel/bpf/verifier.c, check_btf_line): one
// record per instruction at most, in increasing order, every function's first instruction among
// them, the names in the BTF's strings. undefined when the object's line info does not meet that
// (the program then loads without, rather than being refused for it).
function programLineInfo(program: BpfProgram, strings: ReadonlyMap<string, number>): LineInfo[] | undefined {
  const records: LineInfo[] = [];
  for (const line of program.lineInfo ?? []) {
    if (records.length > 0 && records[records.length - 1].insnOff >= line.pc) continue;
    const fileNameOff = strings.get(line.fileName);
    const lineOff = strings.get(line.sourceLine);
    if (fileNameOff === undefined || lineOff === undefined || line.pc >= program.insns.length) return undefined;
    records.push({ insnOff: line.pc, fileNameOff, lineOff, line: line.line, column: line.column });
  }
  const starts = new Set(records.map((r) => r.insnOff));
  return records.length > 0 && program.functions.every((fn) => starts.has(fn.startPc)) ? records : undefined;
}

// The object's BTF from the bytes given, else from the file object.fileName names (the CLI loads
// objects by path) when it is still the one the object came from.
function objectBtf(k: KernelSession, object: BpfObject, given: Uint8Array | undefined): LoadedObjectBtf | ObjectBtfProblem {
  if (given !== undefined) return k.loadObjectBtf(given, object.fileName);
  if (object.btf === undefined) return { problem: `${object.fileName} was loaded without BTF.`, refusedByKernel: false };
  const bytes = readObjectFile(object.fileName);
  if (bytes === undefined) return { problem: `${object.fileName} could not be read again for its .BTF.`, refusedByKernel: false };
  return k.loadObjectBtf(bytes, object.fileName, object.btf);
}

function readObjectFile(fileName: string): Uint8Array | undefined {
  try {
    return statSync(fileName).isFile() ? new Uint8Array(readFileSync(fileName)) : undefined;
  } catch {
    return undefined;
  }
}

function programNamed(object: BpfObject, name: string): BpfProgram {
  const program = object.programs.find((p) => p.name === name);
  if (program === undefined) throw new OffloadSimError(`${object.fileName} has no program named '${name}'.`);
  return program;
}
