// Where packets leave the card: at the blocked instruction itself, even when a
// map value pointer is live there (the host resumes with the value the card's
// handle stands for). xdp_l4_lb (llvm-objdump -d programs/xdp_l4_lb.o):
//   131: call 1          ch_ring lookup (xdp_l4_lb.c:180)
//   136: r2 = r0         its value pointer is the key of ...
//   137: call 1          ... the backends lookup (xdp_l4_lb.c:183), blocked:
//                        a key must be on the stack (nfp_bpf_stack_arg_ok).
import { describe, expect, it } from "vitest";
import { disassembleInstructions } from "../../src/ebpf/index.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { generate, planOffload } from "../../src/offload/plan.ts";
import { caseMaps, compareOne, explainMismatch, hex, preset, subjects } from "./corpus.ts";

const nfp = preset();

describe("host exits with a live map value pointer", () => {
  const s = subjects.find((x) => x.program.name === "xdp_l4_lb")!;
  const listing = disassembleInstructions(s.program.insns);
  const lookups = listing.filter((d) => d.form.kind === "callHelper" && d.form.helperId === HelperId.MAP_LOOKUP_ELEM).map((d) => d.pc);
  // The backends lookup is the one keyed by the previous lookup's result (r2 = r0 just before it); that one is ch_ring's.
  const at = lookups.findIndex((pc) => listing.find((d) => d.pc === pc - 1)?.text === "r2 = r0");
  const [ringLookup, backendLookup] = [lookups[at - 1], lookups[at]];

  it("xdp_l4_lb leaves the card at the blocked backends lookup, with the ch_ring lookup on the card", () => {
    expect([ringLookup, backendLookup]).toEqual([131, 137]);
    const plan = planOffload(s.program, s.object.maps, nfp, { cores: 8 });
    expect(plan.capability.blockers.map((b) => b.pc)).toEqual([backendLookup]);
    expect(plan.host!.exits.map((e) => e.resumePc)).toEqual([backendLookup]);
    const nicPcs = new Set(plan.stages.flatMap((st) => st.ebpfPcs));
    expect(nicPcs.has(ringLookup), "the ch_ring lookup runs on the card").toBe(true);
    expect(nicPcs.has(backendLookup - 1), "r2 = r0 runs on the card").toBe(true);
    // r2, the ch_ring value pointer, crosses to the host as a map value.
    const exit = generate(plan, nfp).hostExits[0];
    expect(exit.registers.find((r) => r.reg === 2)?.kind).toEqual({ kind: "value" });
  });

  it("every xdp_l4_lb case that reaches the host ends as on the host alone", () => {
    const image = generate(planOffload(s.program, s.object.maps, nfp, { cores: 8 }), nfp);
    let crossed = 0;
    for (const c of s.cases.cases) {
      const packet = hex(c.packet);
      const cmp = compareOne(s.program.insns, image, caseMaps(s, c), packet);
      if (cmp.nicRun.hostExit !== undefined) crossed++;
      expect(cmp.nic, `${c.name}\n${explainMismatch(s.program.insns, image, packet, cmp)}`).toEqual(cmp.host);
    }
    // The corpus has frames to a virtual IP (programs/expectations.json), and they reach the backends lookup.
    expect(crossed).toBeGreaterThan(0);
  });
});
