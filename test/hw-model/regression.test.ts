// Regression guard for performance work on the hardware model: the digest of
// each scenario's per-packet records, summary and final map state (digest.ts)
// must stay what the model produced before the work began. The pinned values
// were computed by the code at commit 3289093 (before any speed change), so
// this compares the new code with the old one; when a deliberate change of
// behaviour moves a digest, re-pin it in the commit that makes the change and
// say why.
import { describe, expect, it } from "vitest";
import { scenarios } from "./digest.ts";

const pinned: ReadonlyMap<string, string> = new Map([
  ["bench50, nfp-4000, 8 cores, timed arrivals", "a79c8002dd8943e4ca48dc07715feb31b79c3d20c77a1e5c3bc6932c67cbfb23"],
  ["proto-count, nfp-4000-small, 3 cores, line rate, mixed traffic", "7fed488f994a66a0050abac6d51bfb7ca4acb3a2395a1fdb8d102e5f701281ec"],
  ["proto-count, nfp-6000, 24 cores, streamed with ports", "8ddbd06d260d854c052b892c67655491b29c11cbc7bbf451e0fbc3c57b7d713d"],
  ["l4lb, nfp-4000, 48 cores, 40G, one port", "70b056549d33e4eaf0f09a27fd84c0e1426dcb36acc95f1d7eaf62e2b7286851"],
  ["perf events, nfp-4000, 48 cores", "9892dc06bf8e1c8647b3240f90172882f37b12795725542eaab6ec9992854ffe"],
  ["two stages with a host stage, nfp-4000, ring policy wait", "a60bbebeb20a816b49ab1cb6950a61a38423cb935a5a0516c41947108a644557"],
  ["two stages with a host stage, nfp-4000, ring policy drop", "3f66f5a789b41808855b6ea87022b1106a97b7f2a393b93bc56ee85155d1c006"],
  ["random programs, nfp-4000-small (faults included)", "82f18d56b254d9283bf5f7259295c22cdeae562f22b3ee16dbd63be94618502c"],
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
