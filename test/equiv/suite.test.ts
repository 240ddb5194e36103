// The suite's own machinery, with stand-in NIC sides whose behaviour the
// test defines: a NIC that is the interpreter agrees; a NIC with a planted
// bug is caught, the counterexample shrinks to what the bug needs, prints
// readably, and its replay token runs exactly that case again; a NIC side
// that throws or a compiler that fails is a difference, never a crash.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePacket } from "../../src/traffic/index.ts";
import { XdpAction } from "../../src/xdp/index.ts";
import { formatCounterexample } from "../../src/equiv/counterexample.ts";
import { decodeReplayToken } from "../../src/equiv/replay-token.ts";
import { runHostSide } from "../../src/equiv/host-side.ts";
import type { Compiled, NicBackend, NicTarget } from "../../src/equiv/nic-target.ts";
import { subjectFromObject, type EquivSubject } from "../../src/equiv/subject.ts";
import { runSuite } from "../../src/equiv/suite.ts";

const PASS_OBJECT = "programs/xdp_pass.o";
const VLAN_OBJECT = "programs/xdp_vlan.o";

// A NIC side that runs the host interpreter, with an optional planted bug deciding the action instead.
function interpreterBackend(bug?: (packet: Uint8Array) => number | undefined, compiled?: Compiled): NicBackend {
  return {
    name: "interpreter stand-in",
    cutCount: () => 3,
    compile: (subject: EquivSubject, variation): Compiled => {
      if (compiled) return compiled;
      const target: NicTarget = {
        variation,
        planLines: [`stand-in plan ${variation.cores}/${variation.cut}`],
        run: (packet, maps, env) => {
          const host = runHostSide(subject, packet, maps, env).outcome;
          const action = bug?.(packet);
          return { outcome: { ...host, side: "nic", ...(action === undefined ? {} : { action }) } };
        },
      };
      return { kind: "target", target };
    },
  };
}

// The planted bug: IPv4 packets whose TTL is 1 are dropped.
function ttlOf(packet: Uint8Array): number | undefined {
  const ip = decodePacket(packet).layers.find((l) => l.kind === "ipv4");
  return ip && "ttl" in ip ? (ip as { ttl: number }).ttl : undefined;
}
const dropsTtlOne = (packet: Uint8Array): number | undefined => (ttlOf(packet) === 1 ? XdpAction.DROP : undefined);

const options = { runs: 300, seed: 1234, cores: [1, 8], preset: "nfp-4000" };

describe("equivalence suite", () => {
  it("agrees when the NIC side is the interpreter itself", () => {
    const subject = subjectFromObject({ objectFile: VLAN_OBJECT });
    const result = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, runs: 60, backend: interpreterBackend() });
    expect(result.agreed).toBe(true);
    expect(result.casesRun).toBe(60);
  });

  it("finds a NIC that drops IPv4 packets with TTL 1, shrunk to such a packet", () => {
    const subject = subjectFromObject({ objectFile: PASS_OBJECT });
    const result = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, backend: interpreterBackend(dropsTtlOne) });
    expect(result.agreed).toBe(false);
    const failing = result.counterexample!.report.inputs.at(-1)!;
    expect(ttlOf(failing.prepared.packet)).toBe(1);
    expect(failing.differences.map((d) => d.text)).toEqual(["action: host interpreter XDP_PASS, NIC XDP_DROP"]);
    // Shrunk: no VLAN tag, no payload beyond the headers, no damage.
    const source = failing.input.packet;
    if (source.kind !== "generated") throw new Error(`a generated packet was expected, not ${source.kind}`);
    expect(source.recipe.vlans).toEqual([]);
    expect(source.recipe.payloadBytes).toBe(0);
    expect(source.recipe.damage).toEqual({ kind: "none" });
  });

  it("prints the counterexample readably: differences, plan, packet by layer and in hex, maps, outcomes, replay command", () => {
    const subject = subjectFromObject({ objectFile: PASS_OBJECT });
    const result = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, backend: interpreterBackend(dropsTtlOne) });
    const text = formatCounterexample(result.counterexample!, { prefix: `offload-sim equiv ${PASS_OBJECT}` });
    const packet = result.counterexample!.report.inputs.at(-1)!.prepared.packet;
    expect(text).toMatch(/^DIFFERENCE: the NIC and the host interpreter disagree on xdp_pass\.o: xdp_pass\n/);
    expect(text).toContain("what differs:\n  action: host interpreter XDP_PASS, NIC XDP_DROP\n");
    expect(text).toMatch(/\nplan: \d+ cores?, stage cut #\d+\n  stand-in plan /);
    expect(text).toContain(`packet in (${packet.length} bytes):\n  Ethernet `);
    expect(text).toMatch(/ttl 1\b/);
    // First hex row: offset, then the first 16 bytes in two groups of eight.
    const row = Array.from(packet.subarray(0, 16), (b) => b.toString(16).padStart(2, "0"));
    expect(text).toContain(`  0000  ${row.slice(0, 8).join(" ")}  ${row.slice(8).join(" ")}\n`);
    expect(text).toContain("initial maps: none");
    expect(text).toContain("outcomes:\n  host interpreter: XDP_PASS\n    packet out: unchanged\n  NIC: XDP_DROP\n");
    expect(text).toContain(`replay:\n  offload-sim equiv ${PASS_OBJECT} --replay ${result.counterexample!.token}\n`);
  });

  it("says so when the shrunk case agreed on the run that made the report (a side that is not deterministic)", () => {
    const subject = subjectFromObject({ objectFile: PASS_OBJECT });
    const result = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, backend: interpreterBackend(dropsTtlOne) });
    const cx = result.counterexample!;
    const inputs = cx.report.inputs.map((input) => ({ ...input, differences: [] }));
    const text = formatCounterexample({ ...cx, report: { ...cx.report, inputs } }, { prefix: `offload-sim equiv ${PASS_OBJECT}` });
    expect(text).toMatch(/^DIFFERENCE: a side and the host interpreter disagree on xdp_pass\.o: xdp_pass\n/);
    expect(text).toContain("what differs:\n  nothing, when the case ran again for this report: a side's outcome on it varies from run to run (replay it to see it differ again)\n");
  });

  it("replays exactly the shrunk case from its token", () => {
    const subject = subjectFromObject({ objectFile: PASS_OBJECT });
    const first = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, backend: interpreterBackend(dropsTtlOne) });
    const token = decodeReplayToken(first.counterexample!.token);
    expect(token).toMatchObject({ seed: options.seed, cores: options.cores, preset: "nfp-4000", kernel: false, generated: false });
    const again = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, runs: 1, seed: token.seed, path: token.path, backend: interpreterBackend(dropsTtlOne) });
    const hex = (r: typeof first): string => Buffer.from(r.counterexample!.report.inputs.at(-1)!.prepared.packet).toString("hex");
    expect(again.agreed).toBe(false);
    expect(hex(again)).toBe(hex(first));
    expect(again.counterexample!.report.variation).toEqual(first.counterexample!.report.variation);
  });

  it("reports a NIC side that throws as a difference", () => {
    const subject = subjectFromObject({ objectFile: PASS_OBJECT });
    const throwing = interpreterBackend(() => {
      throw new Error("stage 0 exploded");
    });
    const result = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, runs: 5, backend: throwing });
    expect(result.counterexample!.report.inputs.at(-1)!.differences[0].text).toBe("action: host interpreter XDP_PASS, NIC fault (the NIC side threw: stage 0 exploded)");
  });

  it("reports a compiler failure as a difference, and a refusal as a case run without the NIC", () => {
    const subject = subjectFromObject({ objectFile: PASS_OBJECT });
    const failed = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, runs: 5, backend: interpreterBackend(undefined, { kind: "failed", error: "InsnError: bad operand" }) });
    expect(failed.counterexample!.report.inputs.at(-1)!.differences[0].text).toBe("the offload compiler failed on this plan: InsnError: bad operand");
    const refused = runSuite(fc.constant(subject), subject.mapDefs, false, { ...options, runs: 5, backend: interpreterBackend(undefined, { kind: "refused", reason: "needs more cores" }) });
    expect(refused.agreed).toBe(true);
    expect(refused.casesOnNic).toBe(0);
    expect(refused.refusals.get("needs more cores")).toBe(5);
  });
});
