// The kfuncs the interpreter runs, on both tiers, and kernel-check agreeing
// with the kernel packet by packet on programs that call them.
import { describe, expect, it } from "vitest";
import type { BpfObject } from "../../src/elf/bpf-object.ts";
import { createMap } from "../../src/maps/create.ts";
import type { Tier } from "../../src/interp/index.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { kernelOracleAvailability } from "../../src/kernel/availability.ts";
import { runInProcess } from "../support/cli-in-process.ts";
import { clangAvailable, compileFixture, kernelBtfAvailable, loadFixture } from "./fixtures.ts";

const kernel = kernelOracleAvailability();
const TIERS: readonly Tier[] = ["reference", "compiled"];
// include/uapi/asm-generic/errno*.h
const ENOENT = 2;
const EINVAL = 22;
const EPROTO = 71;
const EAFNOSUPPORT = 97;

function run(object: BpfObject, packet: Uint8Array, tier: Tier) {
  const program = object.programs[0];
  const maps = object.maps.map((def) => createMap(def));
  const out = runXdp(program.insns, packet, maps, { tier, externs: program.externs });
  const s32At = (map: number, key: number): number => {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, key, true);
    const v = maps[map].lookup(k, 0);
    return v ? new DataView(v.buffer, v.byteOffset).getInt32(0, true) : NaN;
  };
  return { out, s32At };
}

// An Ethernet/IPv4/TCP frame (RFC 791, RFC 9293 header layouts) from 10.0.0.1:12345 to 10.0.0.2:80.
function tcpFrame(): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 20);
  frame.set([0x08, 0x00], 12);
  frame.set([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  frame.set([0x30, 0x39, 0x00, 0x50], 34);
  frame[46] = 0x50;
  return frame;
}

describe.runIf(clangAvailable && kernelBtfAvailable)("kfuncs in the interpreter", () => {
  for (const tier of TIERS) {
    it(`${tier}: bpf_xdp_ct_lookup finds no entry: NULL with opts->error = -ENOENT (nf_conntrack_bpf.c), so XDP_DROP`, () => {
      const { out, s32At } = run(loadFixture("ct_lookup"), tcpFrame(), tier);
      expect(out.fault).toBeUndefined();
      expect(out.actionName).toBe("XDP_DROP");
      expect(s32At(0, 0)).toBe(-ENOENT);
    });

    it(`${tier}: bpf_xdp_metadata_rx_hash answers -EOPNOTSUPP (net/core/xdp.c), so XDP_PASS`, () => {
      const { out } = run(loadFixture("rx_hash"), tcpFrame(), tier);
      expect(out.fault).toBeUndefined();
      expect(out.actionName).toBe("XDP_PASS");
    });

    it(`${tier}: __bpf_nf_ct_lookup's argument errors, in its order`, () => {
      // Combination i = packet length & 255 (ct_errors.c): bit 0 reserved byte, bit 1 and 7 opts size,
      // bits 2-3 l4proto, bits 4-5 tuple size, bits 6-7 netns_id.
      const cases: readonly [number, number, string][] = [
        [0, -ENOENT, "valid: 16-byte opts, TCP, IPv4 tuple, current netns"],
        [4, -ENOENT, "UDP"],
        [1, -EINVAL, "a reserved byte set"],
        [8, -EPROTO, "l4proto ICMP"],
        [32, -EAFNOSUPPORT, "a 13-byte tuple"],
        [64, -EINVAL, "netns_id -2"],
        [128, -EINVAL, "8-byte opts"],
      ];
      const object = loadFixture("ct_errors");
      for (const [i, error, why] of cases) {
        const { out, s32At } = run(object, new Uint8Array(256 + i), tier);
        expect(out.fault, why).toBeUndefined();
        expect(s32At(0, i), why).toBe(error);
      }
    });
  }
});

describe.runIf(clangAvailable && kernelBtfAvailable && kernel.available)("kernel-check agrees with the kernel", () => {
  for (const [name, packets] of [["ct_lookup", 200], ["ct_errors", 600]] as const) {
    it(`${name}.c: every packet, maps included`, async () => {
      const outcome = await runInProcess(["kernel-check", compileFixture(name), "--packets", String(packets)]);
      expect(outcome.crash).toBeUndefined();
      expect(outcome.stdout).toContain(`${packets} of ${packets} packets agree`);
      expect(outcome.status).toBe(0);
    });
  }
});
