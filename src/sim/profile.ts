// A profile of the program on the first packets of the traffic, before the
// offload is planned: how often the host interpreter runs each eBPF
// instruction (the planner weighs blocks by it, the listing shows it) and the
// mean frame size (the planner's line-rate and PCIe predictions use it). It
// runs on its own copy of the maps, so the run proper starts from the same state.
import { cloneMaps } from "../maps/index.ts";
import { HostReference, type HostReferenceSetup } from "./host-reference.ts";
import type { TrafficPacket } from "./traffic-source.ts";

export interface TrafficProfile {
  readonly hits: Uint32Array;
  readonly packets: number;
  readonly meanFrameBytes: number;
}

export function profileTraffic(traffic: Iterable<TrafficPacket>, setup: HostReferenceSetup, packets: number, ports: number, seed: number): TrafficProfile {
  const reference = new HostReference({ ...setup, maps: cloneMaps(setup.maps) });
  reference.reseed(seed);
  let bytes = 0;
  let n = 0;
  for (const packet of traffic) {
    if (n >= packets) break;
    reference.run(packet.data, n % ports, true);
    bytes += packet.data.length;
    n++;
  }
  return { hits: reference.hits, packets: n, meanFrameBytes: n > 0 ? Math.round(bytes / n) : 0 };
}
