import { readFileSync, statSync } from "node:fs";
import { structWithTwoSpinLocks } from "../elf/btf-maps.ts";
import { readBtf } from "../elf/btf.ts";
import { contents, readElf } from "../elf/elf-file.ts";
import { OffloadSimError } from "../errors.ts";
import type { BpfObject, BpfProgram } from "../elf/index.ts";
import { layoutOf } from "../elf/object-layout.ts";
import type { MapDef } from "../maps/types.ts";
import type { VerifyOptions } from "./env.ts";

export interface ObjectOptionsSource {
  // The object file's bytes, for its .BTF; default: the file object.fileName names, when it can be read.
  readonly objectBytes?: Uint8Array;
}

// The options under which libbpf would have the kernel verify `program` of
// `object`: its license, expected attach type, BTF func info when the object
// has some (clang writes it with -g), whether its maps get BTF value types
// (an object with .BTF the kernel accepts), the global functions that info
// makes the kernel verify on their own, and the program's name for messages.
export function verifyOptionsFor(object: BpfObject, program: BpfProgram, source: ObjectOptionsSource = {}): VerifyOptions {
  const attach = program.expectedAttachType;
  return {
    license: object.license,
    expectedAttachType: attach === "xdp_devmap" || attach === "xdp_cpumap" ? attach : "xdp",
    btfFuncInfo: (object.btf?.funcInfoCount ?? 0) > 0,
    // libbpf creates every map without BTF when the kernel refuses the object's .BTF.
    mapValueBtf: object.btf !== undefined && !kernelRefusesObjectBtf(object, source.objectBytes),
    globalFunctions: program.functions.filter((f) => f.global === true).map((f) => ({ name: f.name, startPc: f.startPc, ...(f.signature ? { signature: f.signature } : {}) })),
    programName: program.name,
    ...(program.externs.length > 0 ? { externs: program.externs } : {}),
  };
}

// The object's maps as the kernel holds them once libbpf has created them: without their BTF (so without
// the lock offset the BTF gave) when the kernel refuses the object's .BTF, else as loaded. Verify with
// these beside verifyOptionsFor's options, so a lock in a map without BTF is refused as the kernel does.
export function verifierMapsFor(object: BpfObject, source: ObjectOptionsSource = {}): readonly MapDef[] {
  if (object.btf === undefined || !kernelRefusesObjectBtf(object, source.objectBytes)) return object.maps;
  return object.maps.map(withoutLockOffset);
}

function withoutLockOffset(def: MapDef): MapDef {
  const { spinLockOffsetBytes: _fromBtf, inner, ...rest } = def;
  return { ...rest, ...(inner === undefined ? {} : { inner: withoutLockOffset(inner) }) };
}

// Per object (and per bytes given), whether the kernel would refuse its .BTF; an object's programs share the answer.
const refusals = new WeakMap<BpfObject | Uint8Array, boolean>();

// Whether loading the object's .BTF would fail in the kernel, as far as our BTF reading can tell: a struct
// with two locks of its own (structWithTwoSpinLocks). False when the .BTF cannot be had again (a file no
// longer there or no longer the one loaded); the object's maps then keep their BTF value types.
function kernelRefusesObjectBtf(object: BpfObject, given: Uint8Array | undefined): boolean {
  const key = given ?? object;
  const known = refusals.get(key);
  if (known !== undefined) return known;
  const bytes = given ?? readObjectFile(object.fileName);
  const refused = bytes !== undefined && hasTwoLockStruct(bytes, object);
  refusals.set(key, refused);
  return refused;
}

function hasTwoLockStruct(bytes: Uint8Array, object: BpfObject): boolean {
  try {
    const elf = readElf(bytes, object.fileName);
    const section = layoutOf(elf).btf;
    if (section === undefined) return false;
    const btf = readBtf(contents(elf, section));
    // Bytes read again that are not the object's own say nothing about it.
    if (btf.types.length - 1 !== object.btf?.typeCount || btf.strings.length !== object.btf.stringBytes) return false;
    return structWithTwoSpinLocks(btf) !== undefined;
  } catch (error) {
    // A .BTF our reader refuses was ignored by the loader too (object.btf tells whether it was read).
    if (error instanceof OffloadSimError) return false;
    throw error;
  }
}

function readObjectFile(fileName: string): Uint8Array | undefined {
  try {
    return statSync(fileName).isFile() ? new Uint8Array(readFileSync(fileName)) : undefined;
  } catch {
    return undefined;
  }
}
