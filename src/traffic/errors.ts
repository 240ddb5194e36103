// The traffic layer's user-facing errors, one class per kind of bad input.
// Each message is one sentence naming where the problem is.
import { OffloadSimError } from "../errors.ts";

// A capture file (pcap or pcapng) that is truncated or corrupt, or cannot be opened.
export class PcapError extends OffloadSimError {
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number, problem: string) {
    super(`${file}: ${problem} (at byte offset ${offset}).`, { file, offset });
    this.file = file;
    this.offset = offset;
  }
}

// A traffic generator spec (`udp flows=100 size=64..1500 ...`) that does not parse.
export class TrafficSpecError extends OffloadSimError {
  readonly token: string;

  constructor(token: string, expected: string) {
    super(`traffic spec: "${token}": ${expected}.`, { token });
    this.token = token;
  }
}

// A packet builder given a field it cannot encode (an address that does not parse, a port out of range...).
export class PacketBuildError extends OffloadSimError {
  readonly layer: string;

  constructor(layer: string, problem: string) {
    super(`${layer}: ${problem}.`, { layer });
    this.layer = layer;
  }
}

// A capture packet on a link type that cannot be turned into the Ethernet frame an XDP program sees.
export class LinkTypeError extends OffloadSimError {
  readonly file: string;
  readonly linkType: number;

  constructor(file: string, packetNumber: number, linkType: number, linkTypeName: string, convertible: string) {
    super(
      `${file}: packet ${packetNumber} has link type ${linkTypeName} (${linkType}), which offload-sim cannot turn into the Ethernet frame an XDP program sees (it converts ${convertible}).`,
      { file, packet: packetNumber },
    );
    this.file = file;
    this.linkType = linkType;
  }
}
