import type { BpfObject, BpfProgram } from "../elf/index.ts";
import type { VerifyOptions } from "./env.ts";

// The options under which libbpf would have the kernel verify `program` of
// `object`: its license, expected attach type, BTF func info when the object
// has some (clang writes it with -g), whether its maps get BTF value types
// (an object with .BTF), the global functions that info makes
// the kernel verify on their own, and the program's name for messages.
export function verifyOptionsFor(object: BpfObject, program: BpfProgram): VerifyOptions {
  const attach = program.expectedAttachType;
  return {
    license: object.license,
    expectedAttachType: attach === "xdp_devmap" || attach === "xdp_cpumap" ? attach : "xdp",
    btfFuncInfo: (object.btf?.funcInfoCount ?? 0) > 0,
    mapValueBtf: object.btf !== undefined,
    globalFunctions: program.functions.filter((f) => f.global === true).map((f) => ({ name: f.name, startPc: f.startPc, ...(f.signature ? { signature: f.signature } : {}) })),
    programName: program.name,
    ...(program.externs.length > 0 ? { externs: program.externs } : {}),
  };
}
