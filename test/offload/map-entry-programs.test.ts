// Programs the kernel runs from devmap and cpumap entries, and redirects into
// maps whose entries carry such programs (fixtures/xdp_map_entry_progs.c). The
// kernel never attaches an xdp/devmap or xdp/cpumap program to a device
// (net/core/dev.c dev_xdp_attach) and a map entry refuses a device-bound
// program (kernel/bpf/devmap.c __dev_map_alloc_node, kernel/bpf/cpumap.c
// __cpu_map_load_bpf_program with attach_drv false; syscall.c bpf_prog_get_ok),
// so both stay on the host. Expectations come from the C source (sections, map
// value types: struct bpf_devmap_val is 8 bytes, a bare __u32 is 4) and from the
// disassembly of src/ebpf, not from the checker.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { disassembleInstructions, type Program } from "../../src/ebpf/index.ts";
import { loadObject, type BpfProgram } from "../../src/elf/index.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { checkCapabilities } from "../../src/offload/capability.ts";
import { preset } from "./corpus.ts";

const FIXTURE = "test/offload/fixtures/xdp_map_entry_progs.o";
const object = loadObject(new Uint8Array(readFileSync(FIXTURE)), FIXTURE);
const nfp = preset();
const programNamed = (name: string): BpfProgram => object.programs.find((p) => p.name === name)!;
const check = (name: string) => checkCapabilities(programNamed(name), object.maps, nfp);

function redirectCalls(program: Program): number[] {
  return disassembleInstructions(program)
    .filter((d) => d.form.kind === "callHelper" && d.form.helperId === HelperId.REDIRECT_MAP)
    .map((d) => d.pc);
}

const BIN = join(import.meta.dirname, "../../bin/offload-sim.js");
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

describe("programs run from devmap and cpumap entries", () => {
  it("keeps an xdp/devmap and an xdp/cpumap program whole on the host, blocked at pc 0", () => {
    for (const [name, attach] of [["egress_filter", "BPF_XDP_DEVMAP"], ["cpu_filter", "BPF_XDP_CPUMAP"]] as const) {
      const r = check(name);
      expect(r.fullyOffloadable, name).toBe(false);
      expect(r.blockers.map((b) => [b.pc, b.rule]), name).toEqual([[0, "mapEntryProgram"]]);
      expect(r.blockers[0].reason, name).toContain(attach);
      expect(r.blockers[0].hostResumePc, name).toBe(0);
      expect(r.blockers[0].disassembly, name).toBe(disassembleInstructions(programNamed(name).insns)[0].text);
      expect(r.blockers[0].ruleSource, name).toContain("bpf_prog_get_ok");
    }
  });

  it("blocks a redirect into a devmap or cpumap whose 8-byte values carry a program, naming the map", () => {
    for (const [name, map] of [["redirect_to_progs", "ports_with_progs"], ["redirect_to_cpus", "cpus_with_progs"]] as const) {
      const calls = redirectCalls(programNamed(name).insns);
      expect(calls, name).toHaveLength(1);
      const r = check(name);
      expect(r.blockers.map((b) => [b.pc, b.rule]), name).toEqual([[calls[0], "mapEntryProgram"]]);
      expect(r.blockers[0].reason, name).toContain(`'${map}'`);
      expect(r.blockers[0].reason, name).toContain("8-byte values");
    }
  });

  it("leaves a redirect into a devmap of bare ifindexes to the helper rule (the card has no bpf_redirect_map)", () => {
    const calls = redirectCalls(programNamed("redirect_to_plain").insns);
    expect(check("redirect_to_plain").blockers.map((b) => [b.pc, b.rule])).toEqual([[calls[0], "helper"]]);
  });

  it("prints the blocker line with pc, instruction, C line and reason; exit 1", () => {
    const r = run("offload-check", FIXTURE, "--prog", "egress_filter");
    expect(r.status).toBe(1);
    const first = disassembleInstructions(programNamed("egress_filter").insns)[0].text;
    const line = r.stdout.split("\n").find((l) => l.includes(first))!;
    expect(line).toMatch(/^\s*0\s/);
    expect(line).toContain("xdp_map_entry_progs.c:");
    expect(line).toContain("devmap entry's program");
  });
});
