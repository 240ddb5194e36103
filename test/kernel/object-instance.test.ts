// Objects compiled by clang (programs/*.o), loaded by src/elf and brought to
// life in the kernel by instantiateObject; expectations come from the C sources.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { dumpMaps, instantiateObject, withKernel } from "../../src/kernel/index.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { readU64le } from "./hand-asm.ts";

const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;

const object = (name: string) => loadObject(readFileSync(new URL(`../../programs/${name}.o`, import.meta.url)), `${name}.o`);

// Ethernet (EtherType given) + IPv4 header (IHL 5, protocol, flags/fragment field) + 8 payload bytes.
function ipv4Frame(protocol: number, fragField: number, payload: readonly number[]): Uint8Array {
  const ethernet = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
  const totalLength = 20 + payload.length;
  const ip = [0x45, 0, totalLength >> 8, totalLength & 0xff, 0, 1, fragField >> 8, fragField & 0xff, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  return new Uint8Array([...ethernet, ...ip, ...payload]);
}
// A UDP header from port 40000 to `port`, length 8, checksum 0.
const udpTo = (port: number): number[] => [0x9c, 0x40, port >> 8, port & 0xff, 0, 8, 0, 0];
const ipv6Frame = new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd, 0x60, ...new Array(39).fill(0)]);
const IPPROTO_UDP = 17;
const IP_MF = 0x2000;

describe.skipIf(!kernelAvailable)("eBPF objects in the kernel", () => {
  it("xdp_mac_swap sends the frame back with its addresses exchanged", async () => {
    await withKernel((k) => {
      const instance = instantiateObject(k, object("xdp_mac_swap"));
      const verdict = instance.verdicts.get("xdp_mac_swap")!;
      if (!verdict.accepted) throw verdict.error;
      const frame = ipv4Frame(IPPROTO_UDP, 0, udpTo(53));
      const result = k.testRunXdp(verdict.program, { packet: frame });
      expect(result.retval).toBe(XDP_TX);
      expect(result.packet).toEqual(new Uint8Array([...frame.subarray(6, 12), ...frame.subarray(0, 6), ...frame.subarray(12)]));
    });
  });

  it("xdp_tailcall drops IPv4 fragments through the stage in slot 0, and passes IPv6 through the empty slot 1", async () => {
    await withKernel((k) => {
      const instance = instantiateObject(k, object("xdp_tailcall"), {
        progArraySlots: [{ map: "stages", index: 0, program: "xdp_ipv4_stage" }],
      });
      const dispatch = instance.verdicts.get("xdp_dispatch")!;
      if (!dispatch.accepted) throw dispatch.error;
      expect(k.testRunXdp(dispatch.program, { packet: ipv4Frame(IPPROTO_UDP, IP_MF, udpTo(53)) }).retval).toBe(XDP_DROP);
      expect(k.testRunXdp(dispatch.program, { packet: ipv4Frame(IPPROTO_UDP, 0, udpTo(53)) }).retval).toBe(XDP_PASS);
      expect(k.testRunXdp(dispatch.program, { packet: ipv6Frame }).retval).toBe(XDP_PASS);
    });
  });

  it("xdp_tailcall without its slot filled passes even a fragment (the tail call falls through)", async () => {
    await withKernel((k) => {
      const dispatch = instantiateObject(k, object("xdp_tailcall")).verdicts.get("xdp_dispatch")!;
      if (!dispatch.accepted) throw dispatch.error;
      expect(k.testRunXdp(dispatch.program, { packet: ipv4Frame(IPPROTO_UDP, IP_MF, udpTo(53)) }).retval).toBe(XDP_PASS);
    });
  });

  it("xdp_udp_guard allows port 53, drops port 80, and counts both in .bss; .rodata holds the object's allowlist", async () => {
    await withKernel((k) => {
      const guard = object("xdp_udp_guard");
      const instance = instantiateObject(k, guard);
      const verdict = instance.verdicts.get("xdp_udp_guard")!;
      if (!verdict.accepted) throw verdict.error;
      expect(k.testRunXdp(verdict.program, { packet: ipv4Frame(IPPROTO_UDP, 0, udpTo(53)) }).retval).toBe(XDP_PASS);
      expect(k.testRunXdp(verdict.program, { packet: ipv4Frame(IPPROTO_UDP, 0, udpTo(80)) }).retval).toBe(XDP_DROP);
      expect(k.testRunXdp(verdict.program, { packet: ipv4Frame(IPPROTO_UDP, 0, udpTo(80)) }).retval).toBe(XDP_DROP);
      const dumps = dumpMaps(k, instance);
      const bssName = guard.maps.find((def) => def.name.endsWith(".bss"))!.name;
      const bss = dumps.get(bssName)!;
      if (bss.perCpu) throw new Error(".bss is not per-CPU");
      // udp_allowed then udp_dropped, two u64s in declaration order.
      expect([readU64le(bss.entries[0].value, 0), readU64le(bss.entries[0].value, 8)]).toEqual([1n, 2n]);
      const rodataName = guard.maps.find((def) => def.name.endsWith(".rodata"))!.name;
      const rodata = dumps.get(rodataName)!;
      if (rodata.perCpu) throw new Error(".rodata is not per-CPU");
      // allowed_ports[4] = {53, 123, 0, 0} as little-endian u16s.
      expect(Array.from(rodata.entries[0].value.subarray(0, 8))).toEqual([53, 0, 123, 0, 0, 0, 0, 0]);
    });
  });

  it("loads every sample object's programs, all of which the kernel accepts", async () => {
    const names = readdirSync(new URL("../../programs/", import.meta.url))
      .filter((file) => file.endsWith(".o"))
      .map((file) => file.slice(0, -2));
    expect(names.length).toBeGreaterThan(10);
    await withKernel((k) => {
      for (const name of names) {
        for (const [program, verdict] of instantiateObject(k, object(name)).verdicts) {
          expect(verdict.accepted ? "accepted" : verdict.error.message, `${name}: ${program}`).toBe("accepted");
        }
      }
    });
  });
});
