// A --map file for .rodata acts as a libbpf skeleton's `skel->rodata->x = ...` between open
// and load: the frozen map's initial value becomes the file's, on the interpreter's side and
// (through the object handed to the kernel side) in the kernel; nothing is written after
// freezing (the kernel would answer EPERM). .data/.bss files stay ordinary syscall updates.
// syn_guard.o's .rodata is syn_threshold (u32) then min_mss (u16), per llvm-objdump -t.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { createObjectMaps, loadMapContent } from "../../src/oracle/object-setup.ts";
import { runInProcess } from "../support/cli-in-process.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const SYN_GUARD = "test/fixtures/realworld2/syn_guard.o";
const object = loadObject(new Uint8Array(readFileSync(SYN_GUARD)), "syn_guard.o");
const rodataIndex = object.maps.findIndex((d) => d.name === ".rodata");
const bssIndex = object.maps.findIndex((d) => d.name === ".bss");
// syn_threshold 0 (every SYN over it), min_mss 536.
const PATCH = { entries: [{ key: { u32: 0 }, value: [{ u32: 0 }, { u16: 536 }] }] };

describe(".rodata patched before load", () => {
  it("becomes the object's initial value and the map's contents, with no write to replay", () => {
    const setup = loadMapContent(createObjectMaps(object, 1), ".rodata", PATCH, "patch");
    expect(Array.from(setup.object.maps[rodataIndex].initialValue ?? [])).toEqual([0, 0, 0, 0, 0x18, 0x02]);
    expect(setup.object.maps[rodataIndex].frozen).toBe(true);
    expect(Array.from(setup.maps[rodataIndex].sysLookup(new Uint8Array(4)) as Uint8Array)).toEqual([0, 0, 0, 0, 0x18, 0x02]);
    expect(setup.writes).toEqual([]);
    // The object as loaded says 16 (0x10) and 536.
    expect(Array.from(object.maps[rodataIndex].initialValue ?? [])).toEqual([0x10, 0, 0, 0, 0x18, 0x02]);
  });

  it("leaves .bss files as updates recorded for the kernel side", () => {
    const zeros = Array.from({ length: object.maps[bssIndex].valueSize }, () => 0);
    const setup = loadMapContent(createObjectMaps(object, 1), ".bss", { entries: [{ key: { u32: 0 }, value: [7, ...zeros.slice(1)] }] }, "bss");
    expect(setup.writes).toHaveLength(1);
    expect(setup.object).toBe(object);
  });

  it.skipIf(!kernelAvailable || process.getuid?.() !== 0)("changes what the kernel runs too: more SYNs dropped, both sides agreeing", async () => {
    const file = "/tmp/offload-sim-rodata-patch.json";
    (await import("node:fs")).writeFileSync(file, JSON.stringify(PATCH));
    const drops = async (extra: string[]): Promise<number> => {
      const out = await runInProcess(["kernel-check", SYN_GUARD, "--packets", "600", ...extra]);
      expect(out.status, out.stdout + out.stderr).toBe(0);
      return Number(/XDP_DROP (\d+)/.exec(out.stdout)?.[1] ?? 0);
    };
    expect(await drops(["--map", `.rodata=${file}`])).toBeGreaterThan(await drops([]));
  }, 60_000);
});
