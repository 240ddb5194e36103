// Maps of maps on every side: the object's initial slots (an inner map in an
// array of maps, a hash of maps filled at load) reach the kernel as the inner
// maps' fds, as libbpf does, so NIC, host interpreter and kernel start alike.
import { afterAll, describe, expect, it } from "vitest";
import { formatEquivReport, OffloadBackend, runEquivalence } from "../../src/equiv/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const backend = OffloadBackend.forPreset("nfp-4000", { compileTimeoutMs: 30_000 });
afterAll(() => backend.close());

const objects = ["test/fixtures/elf/map_in_map.o", "test/interp/fixtures/backend_rings.o"];

describe.skipIf(!kernelAvailable)("maps of maps through equiv --kernel", () => {
  for (const objectFile of objects) {
    it(`${objectFile}: NIC, host and kernel agree`, async () => {
      const report = await runEquivalence({ objectFile, runs: 30, seed: 3, cores: [1, 8], kernel: true, backend });
      expect(report.result.agreed, formatEquivReport(report)).toBe(true);
    });
  }
});
