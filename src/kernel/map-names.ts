// The name libbpf gives a global data map in the kernel (libbpf.c, bpf_object__new and
// internal_map_name): the object's name (its file's base name up to the first '.', at most
// BPF_OBJ_NAME_LEN - 1 characters) as a prefix, then the section name, together at most
// BPF_OBJ_NAME_LEN - 1 characters with at least 7 kept for the section; a section with a second
// '.' (".data.table") is a custom map and goes without the prefix. bpftool and the verifier's
// log show this name ("map=xdp_udp_.rodata").
import { basename } from "node:path";
import { kernelObjectName } from "./bpf-call.ts";
import { BPF_OBJ_NAME_LEN } from "./uapi.ts";

// The section name keeps at least this many characters (".rodata" whole).
const MIN_SECTION_CHARS = 7;

export function libbpfObjectName(fileName: string): string {
  const base = basename(fileName);
  const dot = base.indexOf(".");
  return (dot < 0 ? base : base.slice(0, dot)).slice(0, BPF_OBJ_NAME_LEN - 1);
}

export function internalMapName(objectName: string, sectionName: string): string {
  const sectionChars = Math.min(Math.max(MIN_SECTION_CHARS, sectionName.length), BPF_OBJ_NAME_LEN - 1);
  const customDotMap = sectionName.indexOf(".", 1) >= 0;
  const prefixChars = customDotMap ? 0 : Math.min(BPF_OBJ_NAME_LEN - sectionChars - 1, objectName.length);
  return kernelObjectName(objectName.slice(0, prefixChars) + sectionName.slice(0, sectionChars));
}
