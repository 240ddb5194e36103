// Shared by the ELF loader tests: the fixture objects and the external tools
// some tests compare against.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const fixtureDir = resolve(here, "../fixtures/elf");
export const programsDir = resolve(here, "../../programs");
export const realworldDir = resolve(here, "../fixtures/realworld");
export const realworld2Dir = resolve(here, "../fixtures/realworld2");

export const fixturePath = (name: string): string => join(fixtureDir, name);
export const readFixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(name)));

// Every committed fixture object, little- and big-endian.
export const fixtureObjects = (): string[] => readdirSync(fixtureDir).filter((f) => f.endsWith(".o")).sort();

// The sample programs' objects, when that corpus is present.
export const corpusObjects = (): string[] =>
  existsSync(programsDir) ? readdirSync(programsDir).filter((f) => f.endsWith(".o")).sort().map((f) => join(programsDir, f)) : [];

// Why `tool` cannot be used, or undefined when it runs.
export function toolMissing(tool: string): string | undefined {
  const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
  return probe.error ? `${tool} is not installed (${probe.error.message}); install Debian's llvm package` : undefined;
}

export const run = (tool: string, args: readonly string[]): string => execFileSync(tool, args, { encoding: "utf8", maxBuffer: 64 << 20 });

// The production-style objects of test/fixtures/realworld (built by its build.sh).
export const realworldObjects = (): string[] => readdirSync(realworldDir).filter((f) => f.endsWith(".o")).sort().map((f) => join(realworldDir, f));

// The second production-style set (test/fixtures/realworld2, built by its build.sh); the kernel loads every one.
export const realworld2Objects = (): string[] => readdirSync(realworld2Dir).filter((f) => f.endsWith(".o")).sort().map((f) => join(realworld2Dir, f));

// libbpf pins these by name when it loads acl6_pinned.o (LIBBPF_PIN_BY_NAME); tests that load it remove them.
export const removeRealworld2Pins = (): void => ["/sys/fs/bpf/rw2_acl6", "/sys/fs/bpf/rw2_acl4"].forEach((path) => rmSync(path, { force: true }));

// The one realworld object the kernel rejects (a global function dereferences its argument unchecked).
export const KERNEL_REJECTED_REALWORLD = "global_arg_unchecked.o";

// Instructions per function as llvm-objdump -d lists them (a 64-bit immediate load is one line). The
// functions are the symbols llvm-objdump -t flags F; other headers (jump labels such as LBB0_2) do not
// start a new one, and a new section ends the current one.
export function objdumpCounts(path: string): Map<string, number> {
  const functions = new Set(run("llvm-objdump", ["-t", path]).split("\n").flatMap((line) => {
    const m = /^[0-9a-f]+ [lgw! ]+F\s+\S+\s+[0-9a-f]+ (\S+)$/.exec(line);
    return m ? [m[1]] : [];
  }));
  const counts = new Map<string, number>();
  let current: string | undefined;
  for (const line of run("llvm-objdump", ["-d", "--no-show-raw-insn", path]).split("\n")) {
    const header = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (header) current = functions.has(header[1]) ? header[1] : current;
    else if (line.startsWith("Disassembly of section")) current = undefined;
    else if (current !== undefined && /^\s+\d+:\s/.test(line)) counts.set(current, (counts.get(current) ?? 0) + 1);
  }
  return counts;
}
