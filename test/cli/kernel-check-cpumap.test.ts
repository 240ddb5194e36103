// kernel-check (and run) with a cpumap entry read from a --map file: the entry is accepted
// for every CPU the machine may have and refused (ENODEV) past them, as the
// kernel's cpu_map_update_elem does (kernel/bpf/cpumap.c: !cpu_possible(key_cpu)).
// The machine's possible CPUs are read here from sysfs, not from the code under test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KernelError, withKernel } from "../../src/kernel/index.ts";
import { MapType } from "../../src/maps/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";
import { u32le } from "../kernel/hand-asm.ts";
import { runInProcess } from "../support/cli-in-process.ts";
import { equivalenceCounts } from "../sim/cli-in-process.ts";

const FIXTURES = new URL("../fixtures/realworld2/", import.meta.url).pathname;
const OBJECT = join(FIXTURES, "multi_stage.o");
// multi_stage.c: cpu_steer is a cpumap of 4 entries, struct bpf_cpumap_val values (8 bytes).
const CPU_STEER_ENTRIES = 4;
const QUEUE_SIZE = 192;

// "0-1" -> [0, 1]; "0,2-3" -> [0, 2, 3].
const possibleCpus: number[] = readFileSync("/sys/devices/system/cpu/possible", "utf8")
  .trim()
  .split(",")
  .flatMap((part) => {
    const [first, last = first] = part.split("-").map(Number);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
const lastPossible = possibleCpus.filter((cpu) => cpu < CPU_STEER_ENTRIES).at(-1)!;
const firstImpossible = Array.from({ length: CPU_STEER_ENTRIES }, (_, cpu) => cpu).find((cpu) => !possibleCpus.includes(cpu));

const dir = mkdtempSync(join(tmpdir(), "kernel-check-cpumap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cpuSteerFile(cpu: number): string {
  const path = join(dir, `cpu_steer.${cpu}.json`);
  writeFileSync(path, JSON.stringify({ entries: [{ key: { u32: cpu }, value: [{ u32: QUEUE_SIZE }, { u32: 0 }] }] }));
  return path;
}

const kernelCheck = (cpu: number) =>
  runInProcess(["kernel-check", OBJECT, "--prog", "stage_ipv4", "--packets", "40", "--map", `cpu_steer=${cpuSteerFile(cpu)}`]);

// What the kernel answers to the same update on a cpumap of its own.
async function kernelAccepts(cpu: number): Promise<boolean> {
  return withKernel((k) => {
    const map = k.createMap({ name: "cpu_steer", type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: CPU_STEER_ENTRIES, flags: 0 });
    const value = new Uint8Array([...u32le(QUEUE_SIZE), ...u32le(0)]);
    try {
      k.update(map, u32le(cpu), value);
      return true;
    } catch (error) {
      if (error instanceof KernelError && error.errnoName === "ENODEV") return false;
      throw error;
    }
  });
}

describe.skipIf(!kernelAvailable)("kernel-check --map with a cpumap entry", () => {
  it(`accepts an entry for the last possible CPU (${lastPossible}), as the kernel does, and redirects to it`, async () => {
    expect(await kernelAccepts(lastPossible)).toBe(true);
    const out = await kernelCheck(lastPossible);
    expect(out.crash).toBeUndefined();
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^AGREE: .*XDP_REDIRECT [1-9]/m);
  });

  it.skipIf(firstImpossible === undefined)(`refuses an entry for CPU ${firstImpossible}, which the machine cannot have, as the kernel does (ENODEV)`, async () => {
    expect(await kernelAccepts(firstImpossible!)).toBe(false);
    const out = await kernelCheck(firstImpossible!);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/map "cpu_steer", entries\[0\]: the update fails with ENODEV/);
  });
});

describe("run --map with a cpumap entry", () => {
  it(`accepts an entry for the last possible CPU (${lastPossible}) and compares every packet`, async () => {
    const out = await runInProcess(["run", OBJECT, "--prog", "stage_ipv4", "--cores", "2", "--packets", "50", "--map", `cpu_steer=${cpuSteerFile(lastPossible)}`]);
    expect(out.crash).toBeUndefined();
    expect(out.stderr).not.toContain("ENODEV");
    expect(out.status).toBe(0);
    expect(equivalenceCounts(out.stdout)?.compared).toBe(50);
  });
});
