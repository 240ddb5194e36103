// The kernel-check harness itself: it must say so when the two sides differ
// (here an interpreter given a deliberately wrong helper), report a program
// the verifier refuses as a refusal with its log, and accept the kernel's
// legitimate freedom (clock and random values) where docs/kernel.md says it
// does, without accepting anything else.
import { describe, expect, it } from "vitest";
import { helperImplementations, HelperId, type HelperTable } from "../../src/helpers/index.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { MapType } from "../../src/maps/index.ts";
import { kernelCheck, type KernelCheckReport } from "../../src/oracle/kernel-check.ts";
import { formatKernelCheck, kernelCheckJson } from "../../src/oracle/kernel-check-report.ts";
import type { TestPacket } from "../../src/oracle/packet-generator.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";
import { frame, handObject } from "./hand-object.ts";

const packets = (count: number): TestPacket[] => Array.from({ length: count }, (_, i) => ({ packet: frame(Uint8Array.of(i, i * 3, i * 7), 60), label: `packet ${i}` }));
const counterDef = { name: "out", type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0 };

// Stores what helper `id` returns into element 0 of map 0 and returns XDP_PASS.
const storeHelperResult = (id: number): string => `
  call ${id}
  r6 = r0
  *(u32 *)(r10 - 4) = 0
  ld_pseudo r1, 5, 0
  r2 = r10
  r2 += -4
  call 1
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = r6
  r1 = *(u64 *)(r0 + 8)
  r1 += 1
  *(u64 *)(r0 + 8) = r1
out:
  r0 = 2
  exit
`;

async function check(object: ReturnType<typeof handObject>, count: number, helpers?: HelperTable): Promise<KernelCheckReport> {
  return withKernel((k) => kernelCheck(k, { object, packets: packets(count), traceSteps: 20, ...(helpers ? { helpers } : {}) }));
}

describe.skipIf(!kernelAvailable)("the kernel-check harness", () => {
  it("finds a wrong helper at the first packet and shows the packet, both outcomes and the trace", async () => {
    // bpf_get_smp_processor_id answers the pinned CPU; this broken copy answers 7.
    const broken = new Map(helperImplementations);
    broken.set(HelperId.GET_SMP_PROCESSOR_ID, () => ({ kind: "return", value: 7n }));
    const object = handObject("cpu_id", `call ${HelperId.GET_SMP_PROCESSOR_ID}\nexit\n`, []);
    expect((await check(object, 5)).kind).toBe("agree");
    const report = await check(object, 5, broken);
    expect(report.kind).toBe("mismatch");
    if (report.kind !== "mismatch") return;
    expect(report.mismatch.index).toBe(0);
    expect(report.mismatch.action).toBe(true);
    expect(report.mismatch.interpreter?.action).toBe(7);
    expect(report.mismatch.kernel?.action).toBe(report.cpu);
    const text = formatKernelCheck(report, "cpu_id");
    expect(text).toContain("MISMATCH at packet #0 (packet 0)");
    expect(text).toMatch(/0000 {2}02 00 00 00 00 02 02 00 00 00 00 01 88 b5 00 00/);
    expect(text).toContain("call 8");
    expect(kernelCheckJson(report, "cpu_id")).toMatchObject({ verdict: "mismatch", mismatch: { index: 0, interpreter: { action: 7 } } });
  });

  it("finds a map that differs after a packet", async () => {
    const broken = new Map(helperImplementations);
    broken.set(HelperId.KTIME_GET_NS, () => ({ kind: "return", value: 42n }));
    const object = handObject("ktime", storeHelperResult(HelperId.KTIME_GET_NS), [counterDef]);
    const report = await check(object, 3, broken);
    expect(report.kind).toBe("mismatch");
    if (report.kind === "mismatch") expect(report.mismatch.maps.map((d) => d.map)).toEqual(["out"]);
  });

  it("reports a program the verifier refuses as a refusal, with the verifier's log", async () => {
    const object = handObject("no_init", "r0 = r2\nexit\n", []);
    const report = await check(object, 1);
    expect(report.kind).toBe("rejected");
    if (report.kind !== "rejected") return;
    expect(report.errno).toBe("EACCES");
    expect(report.verifierLog).toContain("R2 !read_ok");
    expect(formatKernelCheck(report, "no_init")).toMatch(/^REJECTED: the kernel verifier refuses program 'no_init'/);
  });

  it("accepts timestamps written into maps: the clock is bracketed and the kernel's value kept", async () => {
    const object = handObject("ktime", storeHelperResult(HelperId.KTIME_GET_NS), [counterDef]);
    const report = await check(object, 40);
    expect(report.kind, formatKernelCheck(report, "ktime")).toBe("agree");
    if (report.kind === "agree") expect(report.bracketed).toBe(40);
  });

  it("accepts random numbers written into maps and does not compare packets whose action depends on them", async () => {
    const stored = handObject("prandom", storeHelperResult(HelperId.GET_PRANDOM_U32), [counterDef]);
    expect((await check(stored, 20)).kind).toBe("agree");
    const coin = handObject("coin", `call ${HelperId.GET_PRANDOM_U32}\nr0 &= 1\nr0 += 1\nexit\n`, []);
    const report = await check(coin, 40);
    expect(report.kind).toBe("agree");
  });
});
