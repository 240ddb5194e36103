// The kfunc fixtures are C sources compiled by clang when a test runs; without
// clang (or without the kernel's BTF) the tests that need them are skipped
// with the reason printed.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BpfObject } from "../../src/elf/bpf-object.ts";
import { DEFAULT_KERNEL_BTF_PATH } from "../../src/elf/kernel-btf.ts";
import { loadObject } from "../../src/elf/load-object.ts";

const fixtureDir = join(import.meta.dirname, "..", "fixtures", "kfunc");
const outDir = mkdtempSync(join(tmpdir(), "kfunc-fixtures-"));

function probe(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const clangAvailable = probe("clang", ["--version"]);
export const bpftoolAvailable = probe("bpftool", ["version"]);
export const kernelBtfAvailable = existsSync(DEFAULT_KERNEL_BTF_PATH);

export function announceSkip(what: string, reason: string): void {
  console.warn(`\n*** ${what} SKIPPED: ${reason} ***\n`);
}

if (!clangAvailable) announceSkip("KFUNC TESTS NEEDING CLANG", "clang is not installed");
if (!kernelBtfAvailable) announceSkip("KFUNC TESTS NEEDING THE KERNEL BTF", `${DEFAULT_KERNEL_BTF_PATH} does not exist`);

// Compiles test/fixtures/kfunc/<name>.c (with -D defines) into a temporary object and returns its path.
export function compileFixture(name: string, defines: Readonly<Record<string, number>> = {}): string {
  const out = join(outDir, `${name}.o`);
  if (!existsSync(out)) {
    const flags = Object.entries(defines).map(([key, value]) => `-D${key}=${value}`);
    execFileSync("clang", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", ...flags, "-c", join(fixtureDir, `${name}.c`), "-o", out]);
  }
  return out;
}

// A member's byte offset and the struct's size in the kernel BTF, as bpftool prints them.
export function bpftoolMember(structName: string, member: string): { offsetBytes: number; structBytes: number } {
  const dump = bpftoolDump();
  const head = new RegExp(`^\\[\\d+\\] STRUCT '${structName}' size=(\\d+) vlen=(\\d+)$`, "m").exec(dump);
  if (!head) throw new Error(`bpftool shows no struct ${structName}`);
  const lines = dump.slice(head.index).split("\n").slice(1, 1 + Number(head[2]));
  const line = lines.find((l) => l.trim().startsWith(`'${member}' `));
  const bits = line && /bits_offset=(\d+)/.exec(line);
  if (!bits) throw new Error(`bpftool shows no member ${member} in struct ${structName}`);
  return { offsetBytes: Number(bits[1]) / 8, structBytes: Number(head[1]) };
}

// What bpftool (an independent BTF reader) says the id of the kernel FUNC or VAR `name` is.
export function bpftoolKernelId(kind: "FUNC" | "VAR", name: string): number | undefined {
  const dump = bpftoolDump();
  const match = new RegExp(`^\\[(\\d+)\\] ${kind} '${name}'`, "m").exec(dump);
  return match ? Number(match[1]) : undefined;
}

let dumpText: string | undefined;
function bpftoolDump(): string {
  dumpText ??= execFileSync("bpftool", ["btf", "dump", "file", DEFAULT_KERNEL_BTF_PATH], { maxBuffer: 1 << 30 }).toString();
  return dumpText;
}

// The object compiled from test/fixtures/kfunc/<name>.c, loaded.
export function loadFixture(name: string, defines: Readonly<Record<string, number>> = {}): BpfObject {
  const path = compileFixture(name, defines);
  return loadObject(new Uint8Array(readFileSync(path)), path);
}
