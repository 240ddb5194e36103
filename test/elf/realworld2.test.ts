// The second production-style set (test/fixtures/realworld2, built by its
// build.sh): skeleton-style .rodata/.bss/.data, __noinline and global
// functions, xdp.frags / xdp/devmap / xdp/cpumap programs sharing maps, tail
// calls through __array slots, pinned maps, LPM tries with IPv6 keys, LRU
// per-CPU hashes, a hash of maps, queue/stack/bloom filter maps, metadata,
// encapsulation with bpf_csum_diff, bpf_fib_lookup, redirect maps, bpf_loop,
// bpf_strtol/strtoul, -mcpu=v1/v2/v3, -O1, no -g, DWARF only, and an object
// linked by `bpftool gen object`. Checked as a user would:
//  - inspect's instruction counts equal llvm-objdump's;
//  - verify's verdict is the kernel's through libbpf (root only);
//  - kernel-check agrees with BPF_PROG_TEST_RUN on every packet (root only), with
//    the map contents beside each object; devmap and cpumap programs, which
//    BPF_PROG_TEST_RUN refuses, end in exit 2 naming the program;
//  - run reports every compared packet identical to the host interpreter.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { runInProcess } from "../support/cli-in-process.ts";
import { realworld2Dir as dir, realworld2Objects, removeRealworld2Pins, objdumpCounts, toolMissing } from "./fixtures.ts";
import { libbpfVerdict, oracleUnavailable } from "./libbpf-oracle.ts";

const objects = realworld2Objects();
const llvmMissing = toolMissing("llvm-objdump");
if (llvmMissing) console.log(`realworld2: SKIPPING the llvm-objdump comparison: ${llvmMissing}`);
const kernelMissing = process.getuid?.() !== 0 ? "loading programs into the kernel needs root" : oracleUnavailable();
if (kernelMissing) console.log(`realworld2: SKIPPING the kernel comparisons (verify verdicts, kernel-check): ${kernelMissing}`);

afterAll(removeRealworld2Pins);

// Map contents each object is checked with: `<object>.<map>.json` beside it.
function mapArgs(object: string): string[] {
  const stem = basename(object, ".o");
  return readdirSync(dir).filter((f) => f.startsWith(`${stem}.`) && f.endsWith(".json")).flatMap((f) => ["--map", `${f.slice(stem.length + 1, -5)}=${join(dir, f)}`]);
}

// Mixed traffic for `run` (the default is one UDP flow): both IP versions, VLANs, SYN floods, many flows and sizes.
const RUN_TRAFFIC = "udp tcp icmp ipv6=30% vlan=10% synflood=10% flows=64 size=64..1518";

// Programs the kernel's BPF_PROG_TEST_RUN refuses to run (net/bpf/test_run.c: devmap and cpumap attach types).
const NOT_TEST_RUNNABLE = new Set(["xdp_egress", "xdp_on_cpu"]);
// libbpf fills multi_stage's `stages` slots after loading, so both stages load with any of its programs.
const COMPANIONS: Readonly<Record<string, readonly string[]>> = { "multi_stage.o": ["stage_ipv4", "stage_ipv6"] };

const programsOf = (path: string) => loadObject(new Uint8Array(readFileSync(path)), basename(path)).programs;


describe("realworld2 objects", () => {
  it("are all here", () => {
    expect(objects.map((p) => basename(p))).toEqual([
      "acl6_pinned.o", "ascii_knobs.o", "ddos_sets.o", "fib_router.o", "flow_subprogs.o", "gue_encap.o",
      "linked.o", "meta_nobtf.o", "multi_stage.o", "rate_limit.o", "syn_guard.o",
    ]);
  });

  describe.skipIf(llvmMissing !== undefined)("inspect's instruction counts are llvm-objdump's", () => {
    for (const path of objects) {
      it(basename(path), async () => {
        const out = await runInProcess(["inspect", path, "--json"]);
        expect(out.status, out.stderr).toBe(0);
        const report = JSON.parse(out.stdout) as { programs: { name: string; instructions: number }[] };
        const counts = objdumpCounts(path);
        for (const p of report.programs) expect(p.instructions, p.name).toBe(counts.get(p.name));
      });
    }
  });

  describe.skipIf(kernelMissing !== undefined)("verify's verdict is the kernel's", () => {
    for (const path of objects) {
      const name = basename(path);
      for (const program of programsOf(path)) {
        it(`${name} ${program.name}`, async () => {
          const kernel = libbpfVerdict(path, program.name, COMPANIONS[name] ?? []);
          if (typeof kernel === "string") throw new Error(kernel);
          const ours = await runInProcess(["verify", path, "--prog", program.name]);
          expect(ours.status === 0, `ours: ${ours.stdout}${ours.stderr}`).toBe(kernel.accepted);
        });
      }
    }
  });

  describe.skipIf(kernelMissing !== undefined)("kernel-check agrees with the kernel on every packet", () => {
    for (const path of objects) {
      const name = basename(path);
      for (const program of programsOf(path)) {
        it(`${name} ${program.name}`, async () => {
          const out = await runInProcess(["kernel-check", path, "--prog", program.name, "--packets", "300", ...mapArgs(path)]);
          if (NOT_TEST_RUNNABLE.has(program.name)) {
            expect(out.status).toBe(2);
            expect(out.stderr).toContain("BPF_PROG_TEST_RUN does not run such programs");
            return;
          }
          expect(out.status, out.stdout.slice(0, 3000) + out.stderr).toBe(0);
          expect(out.stdout).toMatch(/^AGREE: .* 300 of 300 packets agree/);
        }, 60_000);
      }
    }
  });

  // The commands realworld.test.ts also runs, kept small: a result, a verdict exit code, or exit 2 with one
  // line naming the object or program; never a crash or a multi-line failure.
  describe("every other command ends with a result or one clear line", () => {
    for (const path of objects) {
      const name = basename(path);
      it(name, async () => {
        for (const program of programsOf(path)) {
          for (const args of [
            ["disasm", path, "--prog", program.name],
            ["offload-check", path, "--prog", program.name],
            ["partition", path, "--prog", program.name, "--cores", "8"],
            ["equiv", path, "--prog", program.name, "--runs", "3", "--cores", "8", "--seed", "1", ...mapArgs(path)],
          ]) {
            const out = await runInProcess(args);
            expect(out.crash, `${args.join(" ")} crashed`).toBeUndefined();
            expect([0, 1, 2], `${args.join(" ")}: ${out.stderr}`).toContain(out.status);
            if (out.status === 2) {
              const text = out.stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("offload-sim equiv: seed")).join("\n");
              expect(text.split("\n"), `${args.join(" ")}: one line`).toHaveLength(1);
              expect(text.includes(name) || text.includes(program.name), `${args.join(" ")}: names ${name} or ${program.name}: ${text}`).toBe(true);
            }
          }
        }
      }, 120_000);
    }
  });

  describe("run finds the offloaded program identical to the host interpreter", () => {
    for (const path of objects) {
      const name = basename(path);
      for (const program of programsOf(path)) {
        if (NOT_TEST_RUNNABLE.has(program.name)) continue;
        it(`${name} ${program.name}`, async () => {
          const out = await runInProcess(["run", path, "--prog", program.name, "--cores", "8", "--packets", "1000", "--traffic", RUN_TRAFFIC, ...mapArgs(path)]);
          expect(out.status, out.stderr).toBe(0);
          const m = /Equivalence\s+([\d,]+)\/([\d,]+) packets identical, final maps identical/.exec(out.stdout);
          expect(m, out.stdout.slice(-1500)).not.toBeNull();
          expect(m![1]).toBe(m![2]);
        }, 60_000);
      }
    }
  });
});
