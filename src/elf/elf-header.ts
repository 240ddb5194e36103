import { region, u16, u32, u64Number, regionError, type ByteRegion } from "./byte-region.ts";
import {
  EHDR_BYTES,
  EI_CLASS,
  EI_DATA,
  EI_VERSION,
  ELF_MAGIC,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EM_BPF,
  EM_NONE,
  ET_REL,
  EV_CURRENT,
  SHDR_BYTES,
} from "./elf-constants.ts";
import { elfError } from "./errors.ts";

export interface ElfHeader {
  readonly littleEndian: boolean;
  readonly type: number;
  readonly machine: number;
  readonly sectionHeaderOffset: number;
  readonly sectionHeaderBytes: number;
  // As written in the header: 0 and SHN_XINDEX mean "look in section header 0".
  readonly rawSectionCount: number;
  readonly rawNamesIndex: number;
}

export function readElfHeader(fileName: string, bytes: Uint8Array): ElfHeader {
  if (bytes.length < EHDR_BYTES) {
    throw elfError({ file: fileName, offset: 0 }, `the file is ${bytes.length} bytes long, too short for the ${EHDR_BYTES}-byte ELF64 header`);
  }
  ELF_MAGIC.forEach((expected, i) => {
    if (bytes[i] !== expected) {
      throw elfError({ file: fileName, offset: i }, "the file is not an ELF file: the first four bytes are not 7f 45 4c 46 (\\x7fELF)");
    }
  });
  if (bytes[EI_CLASS] !== ELFCLASS64) {
    throw elfError({ file: fileName, offset: EI_CLASS }, `the file has ELF class ${bytes[EI_CLASS]}, expected 2 (ELFCLASS64) as clang writes for -target bpf`);
  }
  const data = bytes[EI_DATA];
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
    throw elfError({ file: fileName, offset: EI_DATA }, `the file has ELF data encoding ${data}, expected 1 (little-endian) or 2 (big-endian)`);
  }
  if (bytes[EI_VERSION] !== EV_CURRENT) {
    throw elfError({ file: fileName, offset: EI_VERSION }, `the file has ELF identification version ${bytes[EI_VERSION]}, expected 1`);
  }
  const header: ByteRegion = region(fileName, bytes, 0, EHDR_BYTES, "the ELF header", data === ELFDATA2LSB);
  const type = u16(header, 16, "e_type");
  if (type !== ET_REL) {
    throw regionError(header, 16, `e_type is ${type}, expected 1 (ET_REL, a relocatable object as clang -c writes)`);
  }
  const machine = u16(header, 18, "e_machine");
  if (machine !== EM_BPF && machine !== EM_NONE) {
    throw regionError(header, 18, `e_machine is ${machine}, expected 247 (EM_BPF)`);
  }
  const version = u32(header, 20, "e_version");
  if (version !== EV_CURRENT) throw regionError(header, 20, `e_version is ${version}, expected 1`);
  const ehsize = u16(header, 52, "e_ehsize");
  if (ehsize !== EHDR_BYTES) throw regionError(header, 52, `e_ehsize is ${ehsize}, expected ${EHDR_BYTES} for ELF64`);
  const shentsize = u16(header, 58, "e_shentsize");
  const sectionHeaderOffset = u64Number(header, 40, "e_shoff");
  if (sectionHeaderOffset !== 0 && shentsize !== SHDR_BYTES) {
    throw regionError(header, 58, `e_shentsize is ${shentsize}, expected ${SHDR_BYTES} for ELF64 section headers`);
  }
  return {
    littleEndian: header.littleEndian,
    type,
    machine,
    sectionHeaderOffset,
    sectionHeaderBytes: shentsize,
    rawSectionCount: u16(header, 60, "e_shnum"),
    rawNamesIndex: u16(header, 62, "e_shstrndx"),
  };
}
