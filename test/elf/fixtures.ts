// Shared by the ELF loader tests: the fixture objects and the external tools
// some tests compare against.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const fixtureDir = resolve(here, "../fixtures/elf");
export const programsDir = resolve(here, "../../programs");
export const realworldDir = resolve(here, "../fixtures/realworld");

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

// The one realworld object the kernel rejects (a global function dereferences its argument unchecked).
export const KERNEL_REJECTED_REALWORLD = "global_arg_unchecked.o";
