// The verifier's per-instruction facts (src/verifier, verify()) as the
// compiler's optional input: the proven range and known bits of every scalar
// register, intersected with the compiler's own facts (analysis.ts).
import type { VerifierResult } from "../verifier/index.ts";
import * as S from "../verifier/scalar.ts";
import type { Scalar } from "../verifier/scalar.ts";
import * as T from "../verifier/tnum.ts";
import type { VerifierFacts } from "./analysis.ts";

export function factsFromVerifier(result: VerifierResult): VerifierFacts {
  const byPc = new Map(result.insns.map((i) => [i.pc, i]));
  const cache = new Map<string, Scalar | undefined>();
  const depthByFunction = new Map(result.functions.map((f) => [f.startPc, f.stackDepthBytes]));
  return {
    stackDepthBytes: (functionPc: number): number | undefined => depthByFunction.get(functionPc),
    scalarAt(pc: number, reg: number): Scalar | undefined {
      const key = `${pc}:${reg}`;
      if (cache.has(key)) return cache.get(key);
      const fact = byPc.get(pc)?.regs[reg];
      let s: Scalar | undefined;
      if (fact?.kind === "scalar") {
        const r = fact.range;
        s = S.sync({ ...S.unknown, bits: T.tnum(r.bitsValue, r.bitsMask), umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax });
        if (S.isEmpty(s)) s = undefined;
      }
      cache.set(key, s);
      return s;
    },
  };
}
