// A BpfObject made by hand from assembly text and map definitions, so the
// kernel-check harness (src/oracle/kernel-check.ts) can run small programs
// written for one helper's semantics exactly as it runs clang's objects.
// Map references in the text are `ld_pseudo rN, 5, I` (BPF_PSEUDO_MAP_IDX, map I).
import { assemble } from "../../src/ebpf/index.ts";
import type { BpfObject } from "../../src/elf/bpf-object.ts";
import type { MapDef } from "../../src/maps/index.ts";

const XDP_PROG_TYPE = 6;

export function handObject(name: string, source: string, maps: readonly MapDef[]): BpfObject {
  const insns = assemble(source, { sourceName: name });
  return {
    fileName: `${name} (hand-written)`,
    littleEndian: true,
    programs: [
      {
        name,
        section: "xdp",
        type: "xdp",
        typeId: XDP_PROG_TYPE,
        sectionMatch: "libbpf",
        sleepable: false,
        xdpFrags: false,
        autoload: true,
        insns,
        ownInsnSlots: insns.length,
        functions: [{ name, startPc: 0, slots: insns.length }],
        externs: [],
      },
    ],
    maps,
    relocations: [],
    license: "GPL",
    warnings: [],
  };
}

// A frame: a 14-byte Ethernet header (locally administered MACs, EtherType 0x88b5, "local experimental")
// followed by `body`, padded with zeros to at least `minBytes`.
export function frame(body: Uint8Array, minBytes = 0): Uint8Array {
  const header = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5];
  const out = new Uint8Array(Math.max(minBytes, header.length + body.length));
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

export function le(value: bigint | number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
