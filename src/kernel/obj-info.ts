// BPF_OBJ_GET_INFO_BY_FD for programs and maps: what the kernel made of them.
import { MapInfoLayout, ObjInfoAttr, ProgInfoLayout } from "./attr-layout.ts";
import { expectOk, invoke, readCString, setPointer, withArena } from "./bpf-call.ts";
import type { Native } from "./native.ts";
import { BPF_OBJ_NAME_LEN, BpfCmd } from "./uapi.ts";
import { INSN_BYTES } from "../ebpf/opcode.ts";

export interface ProgramInfo {
  readonly type: number;
  readonly id: number;
  // The program's tag: a hash of its instructions, as bpftool prints it (16 hex digits).
  readonly tag: string;
  readonly name: string;
  // Size of the program after the verifier's rewrites (xlated) and after the JIT.
  readonly xlatedBytes: number;
  readonly xlatedInsns: number;
  readonly jitedBytes: number;
  readonly mapCount: number;
  // Instructions the verifier processed (its "processed N insns"); undefined before Linux 5.16.
  readonly verifiedInsns: number | undefined;
  // The BTF object loaded with the program (its func info), 0 for none.
  readonly btfId: number;
}

export interface MapInfo {
  readonly type: number;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  // BPF_MAP_CREATE's map_extra as the kernel kept it (a bloom filter's hash-function count); 0 before Linux 5.16.
  readonly mapExtra: number;
  // The BTF object the map was created with (0: none) and its key and value type ids there.
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
}

// The info struct the kernel filled, cut to the length it reports in info_len.
function objInfo(native: Native, fd: number, infoBytes: number, label: string): DataView {
  return withArena(native, (arena) => {
    const attr = arena.alloc(ObjInfoAttr.size);
    const info = arena.alloc(infoBytes);
    attr.view.setUint32(ObjInfoAttr.bpf_fd, fd, true);
    attr.view.setUint32(ObjInfoAttr.info_len, infoBytes, true);
    setPointer(attr, ObjInfoAttr.info, info);
    expectOk(invoke(native, { cmd: BpfCmd.OBJ_GET_INFO_BY_FD, attrSize: ObjInfoAttr.size }, attr), {
      command: "BPF_OBJ_GET_INFO_BY_FD",
      object: label,
    });
    const filled = info.bytes.slice(0, attr.view.getUint32(ObjInfoAttr.info_len, true));
    return new DataView(filled.buffer);
  });
}

export function programInfo(native: Native, fd: number, label: string): ProgramInfo {
  const info = objInfo(native, fd, ProgInfoLayout.size, label);
  const bytes = new Uint8Array(info.buffer);
  const tagBytes = bytes.subarray(ProgInfoLayout.tag, ProgInfoLayout.tag + ProgInfoLayout.tagBytes);
  const xlatedBytes = info.getUint32(ProgInfoLayout.xlated_prog_len, true);
  return {
    type: info.getUint32(ProgInfoLayout.type, true),
    id: info.getUint32(ProgInfoLayout.id, true),
    tag: Array.from(tagBytes, (b) => b.toString(16).padStart(2, "0")).join(""),
    name: readCString(bytes.subarray(ProgInfoLayout.name, ProgInfoLayout.name + BPF_OBJ_NAME_LEN)),
    xlatedBytes,
    xlatedInsns: xlatedBytes / INSN_BYTES,
    jitedBytes: info.getUint32(ProgInfoLayout.jited_prog_len, true),
    mapCount: info.getUint32(ProgInfoLayout.nr_map_ids, true),
    verifiedInsns:
      info.byteLength >= ProgInfoLayout.verified_insns + 4 ? info.getUint32(ProgInfoLayout.verified_insns, true) : undefined,
    btfId: info.getUint32(ProgInfoLayout.btf_id, true),
  };
}

export function mapInfo(native: Native, fd: number, label: string): MapInfo {
  const info = objInfo(native, fd, MapInfoLayout.size, label);
  const bytes = new Uint8Array(info.buffer);
  return {
    type: info.getUint32(MapInfoLayout.type, true),
    id: info.getUint32(MapInfoLayout.id, true),
    keySize: info.getUint32(MapInfoLayout.key_size, true),
    valueSize: info.getUint32(MapInfoLayout.value_size, true),
    maxEntries: info.getUint32(MapInfoLayout.max_entries, true),
    flags: info.getUint32(MapInfoLayout.map_flags, true),
    name: readCString(bytes.subarray(MapInfoLayout.name, MapInfoLayout.name + BPF_OBJ_NAME_LEN)),
    mapExtra: info.byteLength >= MapInfoLayout.map_extra + 8 ? Number(info.getBigUint64(MapInfoLayout.map_extra, true)) : 0,
    btfId: info.getUint32(MapInfoLayout.btf_id, true),
    btfKeyTypeId: info.getUint32(MapInfoLayout.btf_key_type_id, true),
    btfValueTypeId: info.getUint32(MapInfoLayout.btf_value_type_id, true),
  };
}
