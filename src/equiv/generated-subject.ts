// A generated program as a subject of the suite: its maps empty at first (the
// case's map state fills them), no tail calls, GPL.
import { createMap } from "../maps/index.ts";
import type { GeneratedProgram } from "./program-compile.ts";
import { attachPerfReaders } from "./perf-readers.ts";
import type { EquivSubject } from "./subject.ts";

export function generatedSubject(program: GeneratedProgram): EquivSubject {
  return {
    label: `generated program (${program.insns.length} instructions)`,
    insns: program.insns,
    functions: program.functions,
    mapDefs: program.mapDefs,
    baseMaps: attachPerfReaders(program.mapDefs.map((def) => createMap(def, { cpus: 1 }))),
    baseWrites: [],
    tailCalls: new Map(),
    license: "GPL",
    programName: "generated_xdp",
  };
}
