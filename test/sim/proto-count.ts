// The hw-model's hand-written demo microcode (hw-model/demo/proto-count.ts) and
// the same behaviour written as an eBPF program, read off the demo's comment:
// shorter than an Ethernet header -> drop; EtherType not IPv4 -> pass; IPv4
// shorter than 34 bytes -> drop; else counters[protocol] += 1, UDP -> drop,
// others -> pass. The two together stand in for the offload compiler when
// testing the driver: the eBPF side runs on the host interpreter, the
// microcode on the NIC model.
import { assemble } from "../../src/ebpf/index.ts";
import { createMap, MapType, type SimMap } from "../../src/maps/index.ts";
import { protoCountImage, type NicImage } from "../../hw-model/index.ts";

export const PROTO_COUNT_EBPF = `
    r2 = *(u32 *)(r1 + 4)
    r1 = *(u32 *)(r1 + 0)
    r3 = r1
    r3 += 14
    if r3 > r2 goto drop
    r4 = *(u16 *)(r1 + 12)
    if r4 != 8 goto pass
    r3 = r1
    r3 += 34
    if r3 > r2 goto drop
    r6 = *(u8 *)(r1 + 23)
    *(u32 *)(r10 - 4) = r6
    r2 = r10
    r2 += -4
    ld_pseudo r1, 5, 0
    call 1
    if r0 == 0 goto pass
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    if r6 == 17 goto drop
pass:
    r0 = 2
    exit
drop:
    r0 = 1
    exit
`;

export function protoCountProgram() {
  return assemble(PROTO_COUNT_EBPF, { sourceName: "proto-count.s" });
}

export function countersMap(): SimMap {
  return createMap({ name: "counters", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 256, flags: 0 }, { cpus: 1 });
}

// The demo image on `cores` with its own counters map, and that map.
export function protoCountNic(cores: readonly number[], counters: SimMap = countersMap()): { image: NicImage; counters: SimMap } {
  return { image: protoCountImage(counters, cores), counters };
}
