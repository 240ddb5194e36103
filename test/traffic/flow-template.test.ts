import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { eth, patternBytes, type PacketBuilder } from "../../src/traffic/packet/builder.ts";
import { parseMac } from "../../src/traffic/packet/address.ts";
import { sumWords } from "../../src/traffic/packet/checksum.ts";
import { IcmpType, Icmpv6Type } from "../../src/traffic/packet/icmp.ts";
import { FlowTemplate, patternWordSum } from "../../src/traffic/gen/flow-template.ts";
import type { Flow } from "../../src/traffic/gen/flows.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// A flow's frame as the packet builder makes it, fields given by hand (TTL/hop limit 64, TCP flags PSH+ACK, ICMP echo request).
function built(flow: Flow, index: number, seq: number, payloadBytes: number | undefined): PacketBuilder {
  const link = eth({ src: parseMac("02:00:00:00:00:01"), dst: parseMac("02:00:00:00:00:02") });
  const tagged = flow.vlanId === undefined ? link : link.vlan(flow.vlanId);
  const ip = flow.ipVersion === 4 ? tagged.ipv4({ src: flow.src, dst: flow.dst, ttl: 64, identification: index & 0xffff }) : tagged.ipv6({ src: flow.src, dst: flow.dst, hopLimit: 64 });
  const echo = { identifier: flow.icmpIdentifier, sequence: index & 0xffff };
  const l4 =
    flow.protocol === "udp"
      ? ip.udp({ srcPort: flow.srcPort, dstPort: flow.dstPort })
      : flow.protocol === "tcp"
        ? ip.tcp({ srcPort: flow.srcPort, dstPort: flow.dstPort, seq, ack: flow.tcpAck, flags: "PA" })
        : flow.ipVersion === 4
          ? ip.icmp({ type: IcmpType.ECHO_REQUEST, ...echo })
          : ip.icmpv6({ type: Icmpv6Type.ECHO_REQUEST, ...echo });
  return payloadBytes === undefined ? l4 : l4.payload(payloadBytes, index);
}

const flowArbitrary = fc.record({
  index: fc.nat(1000),
  protocol: fc.constantFrom("udp" as const, "tcp" as const, "icmp" as const),
  ipVersion: fc.constantFrom(4 as const, 6 as const),
  vlanId: fc.option(fc.integer({ min: 1, max: 4094 }), { nil: undefined }),
  srcPort: fc.integer({ min: 0, max: 0xffff }),
  dstPort: fc.integer({ min: 0, max: 0xffff }),
  tcpSeq: fc.nat(0xffffffff),
  tcpAck: fc.nat(0xffffffff),
  icmpIdentifier: fc.integer({ min: 0, max: 0xffff }),
  v4: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  v6: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

describe("flow frame templates", () => {
  it("sum the payload pattern's words as a loop over its bytes does (every start byte, lengths across cycles, odd and even)", () => {
    for (let first = 0; first < 256; first++) {
      for (const count of [0, 1, 2, 3, 17, 255, 256, 257, 511, 512, 513, 1500, 9213]) {
        expect(patternWordSum(first, count), `first ${first}, ${count} bytes`).toBe(sumWords(patternBytes(count, first), 0, count));
      }
    }
  });

  it("write the frame the packet builder builds, for any flow, packet number and payload length", () => {
    fc.assert(
      fc.property(flowArbitrary, fc.nat(200_000), fc.nat(1500), fc.nat(0xffffffff), (f, index, payloadBytes, seq) => {
        const flow: Flow = { ...f, src: f.ipVersion === 4 ? f.v4.subarray(0, 4) : f.v6.subarray(0, 16), dst: f.ipVersion === 4 ? f.v4.subarray(4) : f.v6.subarray(16) };
        const template = new FlowTemplate(flow, built(flow, 0, flow.tcpSeq, undefined), 14 + (flow.vlanId === undefined ? 0 : 4));
        // A buffer with old bytes in it, as a reused one has.
        const into = new Uint8Array(2048).fill(0xa5);
        const length = template.write(into, index, payloadBytes, seq);
        const expected = built(flow, index, seq, payloadBytes).build();
        expect(hex(into.subarray(0, length)), `${flow.protocol} IPv${flow.ipVersion} vlan ${flow.vlanId}, packet ${index}, ${payloadBytes} bytes of payload`).toBe(hex(expected));
      }),
      { numRuns: 300 },
    );
  });
});
