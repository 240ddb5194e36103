// The compiler's front end: IR, facts, liveness and stack layout of one
// program, computed once and shared by the capability check, the cost model,
// the partitioner and code generation.
import type { Program } from "../ebpf/index.ts";
import type { MapDef } from "../maps/types.ts";
import { analyze, type Analysis, type VerifierFacts } from "./analysis.ts";
import { buildIr } from "./build-ir.ts";
import type { IrProgram } from "./ir.ts";
import { computeLiveness, type Liveness } from "./liveness.ts";
import { sourceOf, type OffloadSource } from "./source.ts";
import { layoutStack, type StackLayout } from "./stack-layout.ts";

export interface FrontEnd {
  readonly source: OffloadSource;
  readonly maps: readonly MapDef[];
  readonly ir: IrProgram;
  readonly analysis: Analysis;
  readonly liveness: Liveness;
  readonly layout: StackLayout;
}

export function frontEnd(program: OffloadSource | Program, maps: readonly MapDef[], verifierFacts?: VerifierFacts): FrontEnd {
  const source = sourceOf(program);
  const ir = buildIr(source);
  const analysis = analyze(ir, verifierFacts);
  const liveness = computeLiveness(ir, analysis, maps);
  const layout = layoutStack(ir, analysis, maps, verifierFacts);
  return { source, maps, ir, analysis, liveness, layout };
}
