import { regionError, subRegion, u32, u8, type ByteRegion } from "./byte-region.ts";
import { btfByteOrder, btfName, type Btf } from "./btf.ts";
import { readCoreRecords, type CoreRecord } from "./core-relocations.ts";

// The .BTF.ext section: per-section function info, line info and CO-RE
// relocation records (struct btf_ext_header in libbpf's libbpf_internal.h,
// Documentation/bpf/btf.rst "BTF.ext section").

const EXT_HEADER_MIN_BYTES = 24;
const EXT_HEADER_WITH_CORE_BYTES = 32;
const FUNC_INFO_MIN_BYTES = 8;
const LINE_INFO_MIN_BYTES = 16;
// struct bpf_line_info.line_col: line number in the high 22 bits, column in the low 10.
const LINE_COL_SHIFT = 10;
const COLUMN_MASK = 0x3ff;

export interface LineInfoRecord {
  readonly insnOffsetBytes: number; // from the start of the ELF section
  readonly fileName: string;
  readonly line: number;
  readonly column: number;
  readonly sourceLine: string; // the C source text clang recorded for this line
}

export interface FuncInfoRecord {
  readonly insnOffsetBytes: number;
  readonly typeId: number;
}

export interface ExtInfoSection<R> {
  readonly sectionName: string;
  readonly records: readonly R[];
}

export interface BtfExt {
  readonly funcInfo: readonly ExtInfoSection<FuncInfoRecord>[];
  readonly lineInfo: readonly ExtInfoSection<LineInfoRecord>[];
  readonly coreRelocationCount: number;
  readonly coreRecords: readonly CoreRecord[];
}

export function readBtfExt(section: ByteRegion, btf: Btf): BtfExt {
  const data: ByteRegion = { ...section, littleEndian: btfByteOrder(section) };
  const version = u8(data, 2, "BTF.ext version");
  if (version !== 1) throw regionError(data, 2, `BTF.ext version is ${version}, expected 1`);
  const headerBytes = u32(data, 4, "BTF.ext hdr_len");
  if (headerBytes < EXT_HEADER_MIN_BYTES) {
    throw regionError(data, 4, `BTF.ext hdr_len is ${headerBytes}, expected at least ${EXT_HEADER_MIN_BYTES}`);
  }
  const block = (offField: number, name: string): ByteRegion =>
    subRegion(data, headerBytes + u32(data, offField, `${name}_off`), u32(data, offField + 4, `${name}_len`), `the .BTF.ext ${name} block`);
  const funcInfo = readInfo(block(8, "func_info"), FUNC_INFO_MIN_BYTES, (r, at) => ({
    insnOffsetBytes: u32(r, at, "func_info insn_off"),
    typeId: u32(r, at + 4, "func_info type_id"),
  }), btf);
  const lineInfo = readInfo(block(16, "line_info"), LINE_INFO_MIN_BYTES, (r, at) => {
    const lineCol = u32(r, at + 12, "line_info line_col");
    return {
      insnOffsetBytes: u32(r, at, "line_info insn_off"),
      fileName: btfName(btf.strings, u32(r, at + 4, "line_info file_name_off"), "a line_info file name"),
      sourceLine: btfName(btf.strings, u32(r, at + 8, "line_info line_off"), "a line_info source line"),
      line: lineCol >>> LINE_COL_SHIFT,
      column: lineCol & COLUMN_MASK,
    };
  }, btf);
  const coreRecords = headerBytes >= EXT_HEADER_WITH_CORE_BYTES ? readCoreRecords(block(24, "core_relo"), btf) : [];
  return { funcInfo, lineInfo, coreRelocationCount: coreRecords.length, coreRecords };
}

// One info block: a u32 record size, then sections of {sec_name_off, num_info, records}.
function readInfo<R>(
  info: ByteRegion,
  minRecordBytes: number,
  readRecord: (r: ByteRegion, at: number) => R,
  btf: Btf,
): ExtInfoSection<R>[] {
  if (info.length === 0) return [];
  const recordBytes = u32(info, 0, `${info.name} record size`);
  if (recordBytes < minRecordBytes || recordBytes % 4 !== 0) {
    throw regionError(info, 0, `${info.name} record size is ${recordBytes}, expected a multiple of 4 of at least ${minRecordBytes}`);
  }
  const sections: ExtInfoSection<R>[] = [];
  // Every pass consumes at least the 8-byte section header, so the loop ends.
  for (let at = 4; at < info.length; ) {
    const sectionName = btfName(btf.strings, u32(info, at, `${info.name} sec_name_off`), `a ${info.name} section name`);
    const count = u32(info, at + 4, `${info.name} num_info`);
    const records = subRegion(info, at + 8, count * recordBytes, `the records of '${sectionName}' in ${info.name}`);
    sections.push({ sectionName, records: Array.from({ length: count }, (_, i) => readRecord(records, i * recordBytes)) });
    at += 8 + count * recordBytes;
  }
  return sections;
}
