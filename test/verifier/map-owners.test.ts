// The load-time tie between programs that share a prog array, devmap or cpumap
// (kernel/bpf/core.c bpf_check_tail_call, __bpf_prog_map_compatible): `verify`
// rejects what the kernel refuses after verification. The expected verdicts
// come from the kernel itself, through libbpf (as test/elf/realworld2.test.ts
// loads programs) and through `bpftool prog loadall`.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { mapOwnerConflicts, slotCompanions, usedMaps } from "../../src/verifier/index.ts";
import { libbpfVerdict, oracleUnavailable } from "../elf/libbpf-oracle.ts";
import { runInProcess } from "../support/cli-in-process.ts";

const fixtures = join(import.meta.dirname, "fixtures");
// multi_stage.o with xdp_entry_frags tail-calling through `stages` like xdp_entry does.
const variant = join(fixtures, "multi_stage_frags.o");
const original = join(import.meta.dirname, "../fixtures/realworld2/multi_stage.o");
// A devmap and a cpumap shared by frags-aware and plain programs, a prog array by xdp and xdp/devmap programs.
const shared = join(fixtures, "shared_prog_maps.o");
const objectAt = (path: string) => loadObject(new Uint8Array(readFileSync(path)), basename(path));

const bpftool = spawnSync("bpftool", ["version"], { encoding: "utf8" });
const kernelMissing = process.getuid?.() !== 0 ? "loading programs needs root" : (oracleUnavailable() ?? (bpftool.status === 0 ? undefined : "bpftool is not installed"));
if (kernelMissing) console.log(`map owners: SKIPPING the kernel comparisons: ${kernelMissing}`);

describe("map owners in multi_stage_frags.o (read from the source)", () => {
  const object = objectAt(variant);
  const mapNames = (program: string) => usedMaps(object.programs.find((p) => p.name === program)!).map((i) => object.maps[i].name);

  it("xdp_entry and xdp_entry_frags both use the prog array stages", () => {
    expect(mapNames("xdp_entry")).toContain("stages");
    expect(mapNames("xdp_entry_frags")).toContain("stages");
  });

  it("loaded whole, xdp_entry (first in the object, not frags-aware) owns stages and xdp_entry_frags fails", () => {
    const all = object.programs.map((p) => p.name);
    expect(mapOwnerConflicts(object, all).map((c) => [c.program, c.mapName, c.ownerProgram])).toEqual([["xdp_entry_frags", "stages", "xdp_entry"]]);
  });

  it("xdp_entry_frags alone owns stages, so storing the stages in its slots fails", () => {
    expect(slotCompanions(object, "xdp_entry_frags")).toEqual(["xdp_entry_frags", "stage_ipv4", "stage_ipv6"]);
    const conflict = mapOwnerConflicts(object, slotCompanions(object, "xdp_entry_frags"))[0];
    expect([conflict.program, conflict.mapName, conflict.ownerProgram]).toEqual(["stage_ipv4", "stages", "xdp_entry_frags"]);
  });

  it("the original multi_stage.o has no conflict: its frags entry uses no map of programs", () => {
    const object2 = objectAt(original);
    expect(mapOwnerConflicts(object2, object2.programs.map((p) => p.name))).toEqual([]);
  });
});

describe.skipIf(kernelMissing !== undefined)("verify's verdict on multi_stage_frags.o is the kernel's", () => {
  const object = objectAt(variant);
  for (const program of object.programs.map((p) => p.name)) {
    it(`verify --prog ${program} (libbpf loads it with the programs its object stores in stages)`, async () => {
      const kernel = libbpfVerdict(variant, program, slotCompanions(object, program).slice(1));
      if (typeof kernel === "string") throw new Error(kernel);
      const ours = await runInProcess(["verify", variant, "--prog", program]);
      expect(ours.status === 0, `ours: ${ours.stdout}${ours.stderr}`).toBe(kernel.accepted);
    });
  }

  it.each([
    [variant, "xdp_entry_frags"],
    [original, undefined],
  ])("verify %s rejects exactly the program bpftool prog loadall fails on", async (path, failing) => {
    const pin = `/sys/fs/bpf/offload-sim-map-owners-${process.pid}`;
    try {
      const loadall = spawnSync("bpftool", ["-d", "prog", "loadall", path, pin], { encoding: "utf8" });
      const failed = /prog '([^']+)': failed to load: -22/.exec(loadall.stderr)?.[1];
      expect(failed, loadall.stderr.split("\n").filter((l) => l.includes("failed")).join("\n")).toBe(failing);
      expect(loadall.status === 0).toBe(failing === undefined);
    } finally {
      rmSync(pin, { recursive: true, force: true });
    }
    const ours = await runInProcess(["verify", path]);
    const rejected = [...ours.stdout.matchAll(/^(\w+): rejected/gm)].map((m) => m[1]);
    expect(rejected).toEqual(failing === undefined ? [] : [failing]);
    expect(ours.status).toBe(failing === undefined ? 0 : 1);
  });
});

describe.skipIf(kernelMissing !== undefined)("every pair of programs loaded together: our conflicts are the kernel's", () => {
  for (const path of [variant, shared]) {
    const object = objectAt(path);
    const names = object.programs.map((p) => p.name);
    const pairs = names.flatMap((a, i) => names.slice(i + 1).map((b) => [a, b] as const));
    it(`${basename(path)}: ${pairs.length} pairs (with the programs the object stores in its prog arrays)`, () => {
      const disagreements: string[] = [];
      let refused = 0;
      for (const [a, b] of pairs) {
        const set = [...new Set([a, b, ...slotCompanions(object, a).slice(1)])];
        const kernel = libbpfVerdict(path, set[0], set.slice(1));
        if (typeof kernel === "string") throw new Error(kernel);
        const conflicts = mapOwnerConflicts(object, set);
        if (!kernel.accepted) refused++;
        if ((conflicts.length === 0) !== kernel.accepted) {
          disagreements.push(`${set.join(" + ")}: kernel ${kernel.accepted ? "loads them" : "refuses"}, ours ${conflicts.map((c) => c.message).join("; ") || "no conflict"}`);
        }
      }
      expect(disagreements).toEqual([]);
      // Both outcomes occur, so the agreement is not trivial.
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThan(pairs.length);
    });
  }
});
