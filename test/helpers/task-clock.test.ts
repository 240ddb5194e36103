// bpf_ktime_get_tai_ns and bpf_get_current_pid_tgid on both tiers, by hand:
// task_clock.o (test/interp/fixtures) stores TAI seconds, (TAI - monotonic) >> 24,
// whether TAI is ahead, tgid and pid in .bss (offsets from llvm-objdump -t:
// 0, 8, 16, 24 (tgid), 28 (pid)). test/interp/task-clock-kernel.test.ts checks the
// same object against the kernel.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { createObjectMaps } from "../../src/oracle/object-setup.ts";
import { runXdp } from "../../src/xdp/index.ts";

const object = loadObject(new Uint8Array(readFileSync("test/interp/fixtures/task_clock.o")), "task_clock.o");
const program = object.programs[0];
const packet = new Uint8Array(64);

function bssAfter(tier: "reference" | "compiled", env: { taiOffsetNs?: bigint; currentPidTgid?: bigint }) {
  const { maps } = createObjectMaps(object, 1);
  const bss = maps.find((m) => m.def.name === ".bss")!;
  const result = runXdp(program.insns, packet, maps, {
    tier,
    clock: { startNs: 5_000_000_007n, nsPerInstruction: 0n, bootOffsetNs: 0n, ...(env.taiOffsetNs === undefined ? {} : { taiOffsetNs: env.taiOffsetNs }) },
    ...(env.currentPidTgid === undefined ? {} : { currentPidTgid: env.currentPidTgid }),
  });
  const value = bss.sysLookup(new Uint8Array(4)) as Uint8Array;
  const view = new DataView(value.buffer, value.byteOffset);
  return {
    action: result.actionName,
    taiSeconds: view.getBigUint64(0, true),
    offsetUnits: view.getBigUint64(8, true),
    ahead: view.getBigUint64(16, true),
    tgid: view.getUint32(24, true),
    pid: view.getUint32(28, true),
  };
}

describe.each(["reference", "compiled"] as const)("task and TAI helpers (%s tier)", (tier) => {
  it("answers the monotonic clock plus the TAI offset, and the given task", () => {
    const tai = 1_700_000_000_000_000_000n;
    const out = bssAfter(tier, { taiOffsetNs: tai, currentPidTgid: (42n << 32n) | 43n });
    // (5,000,000,007 + 1.7e18) / 1e9 = 1,700,000,005 s; 1.7e18 >> 24 = 101,327,896,118 (python3: 1700000000000000000 >> 24).
    expect(out).toEqual({ action: "XDP_DROP", taiSeconds: 1_700_000_005n, offsetUnits: 101_327_896_118n, ahead: 1n, tgid: 42, pid: 43 });
  });

  it("answers TAI = monotonic and task 0 (the idle task) when the run names neither", () => {
    const out = bssAfter(tier, {});
    expect(out).toEqual({ action: "XDP_PASS", taiSeconds: 5n, offsetUnits: 0n, ahead: 0n, tgid: 0, pid: 0 });
  });
});
