// Every fd a session opens is closed: on success, when the body throws, and
// one by one with release(). Counted in /proc/self/fd, not by the session.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MapType } from "../../src/maps/types.ts";
import { KernelSession, withKernel } from "../../src/kernel/index.ts";
import { DISABLE_ENV } from "../../src/kernel/availability.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { exit, ldMap, movImm } from "./hand-asm.ts";

const openFdCount = (): number => readdirSync("/proc/self/fd").length;

describe.skipIf(!kernelAvailable)("kernel resources", () => {
  it("closes every map, program and BTF fd when the body returns", async () => {
    const before = openFdCount();
    let opened = 0;
    await withKernel((k) => {
      const map = k.createMap({ name: "m", type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 });
      k.createMap({ name: "outer", type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, inner: map.def });
      k.loadProgram({ program: [...ldMap(1, 0), movImm(0, 2), exit()], mapFds: [map.fd] });
      k.funcInfoBtf([{ name: "main", startPc: 0 }]);
      opened = openFdCount() - before;
      expect(k.openFds).toHaveLength(4);
    });
    expect(opened).toBe(4);
    expect(openFdCount()).toBe(before);
  });

  it("closes them when the body throws, and passes the body's error on", async () => {
    const before = openFdCount();
    await expect(
      withKernel((k) => {
        k.createMap({ name: "m", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
        k.loadProgram({ program: [movImm(0, 2), exit()] });
        k.loadProgram({ program: [exit()], name: "rejected" });
      }),
    ).rejects.toThrow(/program 'rejected' failed with EACCES/);
    expect(openFdCount()).toBe(before);
  });

  it("closes one object early with release() and refuses work after close()", () => {
    const before = openFdCount();
    const k = KernelSession.open();
    try {
      const map = k.createMap({ name: "m", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
      expect(openFdCount()).toBe(before + 1);
      k.release(map);
      expect(openFdCount()).toBe(before);
      expect(k.openFds).toEqual([]);
    } finally {
      k.close();
    }
    expect(() => k.createMap({ name: "m", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 })).toThrow(/already closed/);
    k.close();
  });
});

describe("kernel oracle availability", () => {
  it(`is refused, with the reason, when ${DISABLE_ENV}=1`, () => {
    const script = 'import { kernelOracleAvailability } from "./src/kernel/availability.ts"; console.log(JSON.stringify(kernelOracleAvailability()));';
    const output = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, [DISABLE_ENV]: "1" },
      encoding: "utf8",
    });
    expect(JSON.parse(output)).toEqual({ available: false, reason: `kernel oracle unavailable: disabled by ${DISABLE_ENV}=1` });
  });
});
