// test/fixtures/syncookie/synproxy.o (an IPv4/IPv6 SYN proxy, see its C source) through
// the interpreter and every command. What a user checks: a SYN comes back out (XDP_TX) as
// a well-formed SYN-ACK (addresses and ports swapped, ack = ISN + 1, the MSS the SYN asked
// for rounded down to the kernel's table, both checksums good); the ACK answering it
// passes, a forged one is dropped; the counters say so (stats: 0 SYN-ACKs sent, 1 ACKs
// valid, 2 ACKs invalid, 3 gen failures, 4 passed). The card does not offer the helpers,
// so offload-check names the four calls, and run/equiv keep the NIC identical to the host.
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { instantiateObject, KernelSession } from "../../src/kernel/index.ts";
import type { BpfMap } from "../../src/maps/types.ts";
import { createObjectMaps } from "../../src/oracle/object-setup.ts";
import { decodePacket, encodePcap, eth, TcpFlag, type DecodedLayer } from "../../src/traffic/index.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { runInProcess } from "../support/cli-in-process.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const OBJECT = "test/fixtures/syncookie/synproxy.o";
const object = loadObject(new Uint8Array(readFileSync(OBJECT)), "synproxy.o");
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const mac = { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" };
const asRoot = kernelAvailable && process.getuid?.() === 0;
if (!asRoot) console.warn("\n*** synproxy kernel tests (kernel-check, equiv --kernel) SKIPPED: they need the kernel's bpf() as root ***\n");

const syn4 = (seq: number, mssValue?: number): Uint8Array =>
  eth(mac)
    .ipv4({ src: "198.51.100.7", dst: "192.0.2.1" })
    .tcp({ srcPort: 51_000, dstPort: 443, seq, flags: "S", options: mssValue === undefined ? [] : [{ kind: "mss", value: mssValue }] })
    .build();
const syn6 = (seq: number, mssValue?: number): Uint8Array =>
  eth(mac)
    .ipv6({ src: "2001:db8::7", dst: "2001:db8::1" })
    .tcp({ srcPort: 51_000, dstPort: 443, seq, flags: "S", options: mssValue === undefined ? [] : [{ kind: "mss", value: mssValue }] })
    .build();
const ack = (v6: boolean, seq: number, ackNumber: number): Uint8Array =>
  (v6 ? eth(mac).ipv6({ src: "2001:db8::7", dst: "2001:db8::1" }) : eth(mac).ipv4({ src: "198.51.100.7", dst: "192.0.2.1" }))
    .tcp({ srcPort: 51_000, dstPort: 443, seq, ack: ackNumber, flags: "A" })
    .build();

function layer<K extends DecodedLayer["kind"]>(packet: Uint8Array, kind: K): Extract<DecodedLayer, { kind: K }> {
  const found = decodePacket(packet).layers.find((l) => l.kind === kind);
  if (!found) throw new Error(`no ${kind} layer in ${Buffer.from(packet).toString("hex")}`);
  return found as Extract<DecodedLayer, { kind: K }>;
}

function counters(maps: readonly BpfMap[]): number[] {
  const stats = maps[object.maps.findIndex((d) => d.name === "stats")];
  return [0, 1, 2, 3, 4].map((i) => {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, i, true);
    return Number(new DataView(stats.lookup(key, 0)!.buffer, stats.lookup(key, 0)!.byteOffset).getBigUint64(0, true));
  });
}

describe("synproxy.o in the interpreter", () => {
  const program = object.programs[0];

  it.each([
    ["IPv4", false, 1460, 1460],
    ["IPv4", false, 1400, 1300],
    ["IPv4", false, undefined, 536],
    ["IPv6", true, 1440, 1440],
    ["IPv6", true, undefined, 1220],
  ])("answers an %s SYN (IPv6 %s, MSS option %s) with a SYN-ACK carrying MSS %i, whose ACK then passes", (_family, v6, asked, expectedMss) => {
    const { maps } = createObjectMaps(object, 1);
    const isn = 0xfedc_ba98;
    const reply = runXdp(program.insns, v6 ? syn6(isn, asked) : syn4(isn, asked), maps);
    expect(reply.action, reply.fault?.message).toBe(XDP_TX);
    const out = reply.packetOut;
    const ethernet = layer(out, "ethernet");
    expect([ethernet.src, ethernet.dst]).toEqual([mac.dst, mac.src]);
    if (v6) {
      const ip = layer(out, "ipv6");
      expect([ip.src, ip.dst]).toEqual(["2001:db8::1", "2001:db8::7"]);
    } else {
      const ip = layer(out, "ipv4");
      expect([ip.src, ip.dst, ip.expectedChecksum]).toEqual(["192.0.2.1", "198.51.100.7", undefined]);
    }
    const tcp = layer(out, "tcp");
    expect(tcp).toMatchObject({ srcPort: 443, dstPort: 51_000, ack: (isn + 1) >>> 0, flags: TcpFlag.SYN | TcpFlag.ACK, payloadLength: 0 });
    expect(tcp.checksumVerdict.kind).toBe("ok");
    expect(tcp.options).toEqual([`mss ${expectedMss}`]);
    expect(counters(maps)).toEqual([1, 0, 0, 0, 0]);

    const good = runXdp(program.insns, ack(v6, (isn + 1) >>> 0, (tcp.seq + 1) >>> 0), maps);
    expect(good.action).toBe(XDP_PASS);
    // The cookie's MSS index sits in its low bits: + 4 always leaves the table (index 4 or more).
    const forged = runXdp(program.insns, ack(v6, (isn + 1) >>> 0, (tcp.seq + 5) >>> 0), maps);
    expect(forged.action).toBe(XDP_DROP);
    expect(counters(maps)).toEqual([1, 1, 1, 0, 0]);
  });

  it("gives the compiled tier the same SYN-ACKs and verdicts as the reference interpreter", () => {
    const reference = createObjectMaps(object, 1).maps;
    const compiled = createObjectMaps(object, 1).maps;
    for (const packet of [syn4(1, 1460), syn6(2), ack(false, 2, 12345), ack(true, 3, 678)]) {
      const a = runXdp(program.insns, packet, reference);
      const b = runXdp(program.insns, packet, compiled, { tier: "compiled" });
      expect([b.action, Buffer.from(b.packetOut).toString("hex")]).toEqual([a.action, Buffer.from(a.packetOut).toString("hex")]);
    }
    expect(counters(compiled)).toEqual(counters(reference));
  });

  it("passes what is not TCP", () => {
    const { maps } = createObjectMaps(object, 1);
    const udp = eth(mac).ipv4({ src: "198.51.100.7", dst: "192.0.2.1" }).udp({ srcPort: 1, dstPort: 53 }).payload(20).build();
    expect(runXdp(program.insns, udp, maps).action).toBe(XDP_PASS);
    expect(counters(maps)).toEqual([0, 0, 0, 0, 1]);
  });
});

describe("synproxy.o through the commands", () => {
  it("verify accepts it, as the kernel does (bpftool prog load on Linux 6.18)", async () => {
    const out = await runInProcess(["verify", OBJECT]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/synproxy: accepted/);
  });

  it("offload-check names the four SYN-cookie calls as what the card cannot run", async () => {
    const out = await runInProcess(["offload-check", OBJECT]);
    expect(out.status, out.stdout + out.stderr).toBe(1);
    for (const helper of ["gen_syncookie_ipv4", "gen_syncookie_ipv6", "check_syncookie_ipv4", "check_syncookie_ipv6"]) {
      expect(out.stdout).toMatch(new RegExp(`call 20[4-7] .*it calls bpf_tcp_raw_${helper}, which the card does not offer`));
    }
  });

  it("run sends SYN-ACKs and keeps every packet identical to the host", async () => {
    const out = await runInProcess(["run", OBJECT, "--cores", "4", "--packets", "400", "--traffic", "tcp flows=20 synflood=0.5 ipv6=0.3"]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Actions .*XDP_TX [1-9]/);
    const equivalence = /Equivalence (\S+)\/(\S+) packets identical, final maps identical/.exec(out.stdout);
    expect(equivalence, out.stdout).not.toBeNull();
    expect(equivalence![1]).toBe(equivalence![2]);
  }, 60_000);

  it("equiv finds the NIC and the host in agreement", async () => {
    const out = await runInProcess(["equiv", OBJECT, "--runs", "25", "--seed", "7", "--cores", "1,8"]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/agree on all 25 cases/);
  }, 60_000);

  // A SYN reaches bpf_tcp_raw_gen_syncookie_ipv4; a UDP packet is passed before any cookie helper.
  it.skipIf(!asRoot)("equiv --kernel leaves out the cases whose packet reaches a cookie helper, naming it, and compares the rest", async () => {
    const udp = eth(mac).ipv4({ src: "198.51.100.7", dst: "192.0.2.1" }).udp({ srcPort: 5_000, dstPort: 53 }).build();
    const capture = (name: string, packets: Uint8Array[]): string => {
      const file = join(tmpdir(), `offload-sim-synproxy-${name}-${process.pid}.pcap`);
      writeFileSync(file, encodePcap(packets.map((data, i) => ({ data, timestampNs: BigInt(i) * 1000n }))));
      return file;
    };
    const synOut = await runInProcess(["equiv", OBJECT, "--pcap", capture("syn", [syn4(77, 1460)]), "--runs", "1", "--seed", "7", "--cores", "1", "--kernel"]);
    expect(synOut.status, synOut.stdout + synOut.stderr).toBe(0);
    expect(synOut.stdout).toMatch(/1 cases? not compared with the kernel: its packet reaches bpf_tcp_raw_gen_syncookie_ipv4, whose cookies hash with a secret the kernel draws at boot/);
    const udpOut = await runInProcess(["equiv", OBJECT, "--pcap", capture("udp", [udp]), "--runs", "1", "--seed", "7", "--cores", "1", "--kernel"]);
    expect(udpOut.status, udpOut.stdout + udpOut.stderr).toBe(0);
    expect(udpOut.stdout).not.toMatch(/not compared with the kernel/);
    expect(udpOut.stdout).toMatch(/vs kernel agree on all 1 cases?/);
  }, 60_000);

  it.skipIf(!asRoot)("kernel-check agrees on generated traffic, the cookies' bytes masked", async () => {
    const out = await runInProcess(["kernel-check", OBJECT, "--packets", "300"]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^AGREE: .* 300 of 300 packets agree/);
    expect(out.stdout).toMatch(/XDP_TX [1-9]/);
  }, 60_000);

  it.skipIf(!asRoot)("kernel-check leaves out an ACK whose cookie the kernel made, instead of calling it a mismatch", async () => {
    const isn = 1234;
    const syn = syn4(isn, 1460);
    // The kernel's own SYN-ACK for this SYN: its cookie is good in the kernel for two minutes.
    const k = KernelSession.open();
    let kernelCookie: number;
    try {
      const instance = instantiateObject(k, object);
      const verdict = instance.verdicts.get("synproxy");
      if (!verdict?.accepted) throw new Error("the kernel refused synproxy");
      const run = k.testRunXdp(verdict.program, { packet: syn });
      expect(run.retval).toBe(XDP_TX);
      kernelCookie = layer(run.packet, "tcp").seq;
    } finally {
      k.close();
    }
    const file = join(tmpdir(), `offload-sim-synproxy-${process.pid}.pcap`);
    const packets = [syn, ack(false, isn + 1, (kernelCookie + 1) >>> 0)];
    writeFileSync(file, encodePcap(packets.map((data, i) => ({ data, timestampNs: BigInt(i) * 1000n }))));
    const out = await runInProcess(["kernel-check", OBJECT, "--pcap", file]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^AGREE: .* 1 of 2 packets agree, 1 not compared \(XDP_PASS 1, XDP_TX 1\)/);
    expect(out.stdout).toMatch(/1 packets depended on the kernel's random numbers \(bpf_get_prandom_u32, or the secret of the SYN-cookie helpers\) and were not compared/);
  }, 60_000);
});
