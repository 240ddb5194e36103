// The eBPF stack rule on a production-style object (test/fixtures/realworld/lb_maps.c):
// a main function, a static __noinline callee and a global __noinline callee. The kernel
// accepts it; its check_max_stack_depth (kernel/bpf/verifier.c) adds each function's stack
// depth rounded up by round_up_stack_depth (16 bytes when the program is JITed, as here)
// along every call chain. By hand from `llvm-objdump -d lb_maps.o`: xdp_balancer reaches
// r10-56 (56 -> 64 bytes), count_vip stores a u32 at r10-4 (the kernel counts whole 8-byte
// slots: 8 -> 16 bytes), flow_hash never touches r10 (0 bytes); the deepest chain is
// xdp_balancer -> count_vip, 64 + 16 = 80 bytes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Preset } from "../../hw-model/presets/types.ts";
import { loadObject } from "../../src/elf/index.ts";
import { checkCapabilities } from "../../src/offload/capability.ts";
import { verifiedFacts } from "../../src/offload/verified.ts";
import { preset as loadPreset } from "./corpus.ts";

const FIXTURE = "test/fixtures/realworld/lb_maps.o";
const object = loadObject(new Uint8Array(readFileSync(FIXTURE)), FIXTURE);
const program = object.programs.find((p) => p.name === "xdp_balancer")!;
const nfp = loadPreset();
const KERNEL_CHAIN_BYTES = 64 + 16;

const stackBlockers = (preset: Preset, withFacts: boolean) => {
  const report = checkCapabilities(program, object.maps, preset, withFacts ? verifiedFacts(object, program) : undefined);
  return { report, stack: report.blockers.filter((b) => b.rule === "stack") };
};

describe("the eBPF stack of lb_maps.o, as the kernel counts it", () => {
  it("fits the card's 512 bytes: 80 bytes along its deepest call chain", () => {
    const { report, stack } = stackBlockers(nfp, true);
    expect(nfp.offload.stackBytes).toBe(512);
    expect(report.stackBytes).toBe(KERNEL_CHAIN_BYTES);
    expect(stack).toEqual([]);
  });

  it("is refused by a card whose stack is smaller than the chain, with the chain and its count named", () => {
    const small: Preset = { ...nfp, offload: { ...nfp.offload, stackBytes: 64 } };
    const { stack } = stackBlockers(small, true);
    expect(stack).toHaveLength(1);
    expect(stack[0].reason).toMatch(/^its call chain xdp_balancer 56 B -> count_vip 8 B needs 80 bytes of eBPF stack as the kernel counts it \(each function rounded up to 16 bytes\)/);
    expect(stack[0].reason).toContain("more than the card's 64 bytes");
  });

  it("a card exactly as large as the chain takes it", () => {
    const exact: Preset = { ...nfp, offload: { ...nfp.offload, stackBytes: KERNEL_CHAIN_BYTES } };
    expect(stackBlockers(exact, true).stack).toEqual([]);
  });

  // Without the verifier's depths the compiler cannot bound the key of the inner-map lookup at
  // pc 114 (`call 1` with r1 the map found in vip_rings or tenant_rings: its key size is not
  // known here), so it keeps main's whole 512-byte frame; count_vip's frame then goes past 512.
  it("without the verifier's facts, names the unbounded access rather than a stack the kernel would refuse", () => {
    const { report, stack } = stackBlockers(nfp, false);
    expect(report.stackBytes).toBe(KERNEL_CHAIN_BYTES);
    expect(stack).toHaveLength(1);
    expect(stack[0].reason).toMatch(/^the compiler cannot bound how deep the stack access at pc 114 \(call 1\) reaches in xdp_balancer, so it keeps xdp_balancer's whole 512-byte frame/);
    expect(stack[0].reason).not.toMatch(/as the kernel counts it/);
  });
});
