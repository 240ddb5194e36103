// Traffic for running the sample programs: a generated mix (TCP, UDP, ICMP,
// IPv6, VLAN tags, SYN floods) plus frames that reach the parts a generator
// cannot address: TCP and UDP to xdp_l4_lb's virtual IPs
// (programs/maps/xdp_l4_lb.vips.json: 10.0.0.100:80/tcp, 10.0.0.100:53/udp, 10.0.0.101:80/tcp).
import { writeFileSync } from "node:fs";
import { encodePcap, eth, generateTraffic } from "../../src/traffic/index.ts";

export const SAMPLE_SPEC = "mix=udp:1,tcp:1,icmp:1 ipv6=0.3 vlan=0.3 flows=64 size=64..512 synflood=0.2";

const MAC = { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" };

// One frame to a virtual IP of xdp_l4_lb; `n` varies the client.
export function vipFrame(n: number): Uint8Array {
  const client = `192.0.2.${1 + (n % 200)}`;
  const base = eth(MAC).ipv4({ src: client, dst: n % 3 === 1 ? "10.0.0.100" : n % 3 === 2 ? "10.0.0.101" : "10.0.0.100" });
  return (n % 3 === 1 ? base.udp({ srcPort: 40_000 + n, dstPort: 53 }) : base.tcp({ srcPort: 40_000 + n, dstPort: 80, flags: "S" })).payload(18).build();
}

// `generated` frames of SAMPLE_SPEC (seed 7, not the run's default seed) with a VIP frame after every tenth.
export function sampleFrames(generated: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const packet of generateTraffic(SAMPLE_SPEC, { packets: generated, seed: 7 })) {
    frames.push(packet.data);
    if (packet.index % 10 === 9) frames.push(vipFrame(packet.index));
  }
  return frames;
}

export function writeCapture(file: string, frames: readonly Uint8Array[]): void {
  writeFileSync(file, encodePcap(frames.map((data, i) => ({ timestampNs: BigInt(i) * 1_000n, data }))));
}
