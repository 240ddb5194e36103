// Regression guard for performance work on the hardware model: the digest of
// each scenario's per-packet records, summary and final map state (digest.ts)
// must stay what the model produced before the work began. The pinned values
// were computed by the code at commit 3289093 (before any speed change), so
// this compares the new code with the old one; when a deliberate change of
// behaviour moves a digest, re-pin it in the commit that makes the change and
// say why. Re-pinned once since: after commit 43de28b, which added the
// firmware's per-packet cycles on stage 0 and set the NFP-4000 ingress limit to
// 14.7 cycles per packet (Krude et al., CoNEXT '21 §4.1), a deliberate change
// of every timed scenario; the executor-only digest did not move.
import { describe, expect, it } from "vitest";
import { scenarios } from "./digest.ts";

const pinned: ReadonlyMap<string, string> = new Map([
  ["bench50, nfp-4000, 8 cores, timed arrivals", "919551e07ce60a84cb6eccfa1a039c9a4692b0c9917159849d5633f2fbc1ae9b"],
  ["proto-count, nfp-4000-small, 3 cores, line rate, mixed traffic", "519ac8d42f6cbda316e957ae2704af85a3c8007fe597bffb90c7a9cc612f4fc5"],
  ["proto-count, nfp-6000, 24 cores, streamed with ports", "321d13d8d2f219f49c1515da795d8268451c8a04aca0c57ee37ee47e3e40a072"],
  ["l4lb, nfp-4000, 48 cores, 40G, one port", "001c355c1d03e833905a80d933afba01b5e8a8af87076673b49961156820278a"],
  ["perf events, nfp-4000, 48 cores", "8d0ca057d324bd2dfcf7995b3036e812abae15753d9cb5b0af9fdcf7da2873ae"],
  ["two stages with a host stage, nfp-4000, ring policy wait", "12aca096832800cbd0fe084c1cf629cc0960a2bdbea66c3ad7ec0df04aa8c08a"],
  ["two stages with a host stage, nfp-4000, ring policy drop", "775beead7eb59e885b479a1b6e424fc42261bb51de6b43af8e75b3a22b19a049"],
  ["random programs, nfp-4000-small (faults included)", "b176c12944ca6bf9524299275f4c0226e37b1b1a1e204668e13c238277766012"],
  ["executor alone on random two-stage programs (outcome, data, trace)", "9fce256b03554d340b73c8f30581aba4a9df824c45f620661113b03e11a6e96b"],
]);

describe("simulation results stay bit-identical", () => {
  it("pins every scenario", () => {
    expect(scenarios.map((s) => s.name).sort()).toEqual([...pinned.keys()].sort());
  });
  for (const s of scenarios) {
    it(s.name, () => {
      expect(s.run()).toBe(pinned.get(s.name));
    });
  }
});
