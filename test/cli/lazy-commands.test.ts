// The CLI loads a command's library only when that command runs: declaring the
// commands for yargs (and so `--help`) must not import the interpreter, the
// offload compiler, the kernel binding... and one module that fails to load
// breaks only the commands that need it, in one sentence with exit status 2.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/offload-sim.js");
const HOOKS = join(import.meta.dirname, "register-hooks.mjs");
const COMMANDS_DIR = join(ROOT, "src/cli/commands");
// Still importing their library eagerly while other work on them finishes; drop a name once its handler imports lazily.
const dir = mkdtempSync(join(tmpdir(), "offload-sim-lazy-"));

const node = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["--import", HOOKS, ...args], { encoding: "utf8", cwd: ROOT, env: { ...process.env, ...env } });

// The project files a child process loaded, relative to the repository root.
function loadedFiles(args: string[]): string[] {
  const record = join(dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(record, "");
  const result = node(args, { OFFLOAD_SIM_TEST_RECORD: record });
  expect(result.stderr).toBe("");
  const urls = readFileSync(record, "utf8").split("\n").filter((line) => line !== "");
  return urls.map((url) => relative(ROOT, fileURLToPath(url))).filter((file) => !file.startsWith("node_modules/") && !file.startsWith(".."));
}

// A command module may load other command declarations and error classes (a typed error is part of its surface).
const isDeclaration = (file: string): boolean =>
  (file.startsWith("src/cli/commands/") && !file.endsWith("-handler.ts")) || /(^|\/)errors\.ts$/.test(file);

describe("lazy command modules", () => {
  it("declaring a command loads none of its library", () => {
    const modules = readdirSync(COMMANDS_DIR).filter((f) => f.endsWith(".ts") && f !== "index.ts" && !f.endsWith("-handler.ts"));
    // One file per command, as index.ts registers them (the handler modules come on top of these).
    expect(modules).toEqual(expect.arrayContaining(["inspect.ts", "asm.ts", "disasm.ts", "exec.ts", "conformance.ts", "traffic.ts", "kernel-check.ts", "verify.ts", "offload-check.ts", "partition.ts", "run.ts", "sweep.ts", "equiv.ts"]));
    const script = modules.map((f) => `await import(${JSON.stringify(join(COMMANDS_DIR, f))});`).join("\n");
    const loaded = loadedFiles(["--import", "tsx", "--input-type=module", "-e", script]);
    expect(loaded.filter((file) => !isDeclaration(file))).toEqual([]);
  });

  it("a module that throws when loaded breaks only the command that imports it, in one sentence", () => {
    const broken = { OFFLOAD_SIM_TEST_BREAK: "src/elf/inspect.ts" };
    const help = node([BIN, "--help"], broken);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("inspect <object>");
    expect(node([BIN, "--version"], broken).stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}\n`);
    const ownHelp = node([BIN, "inspect", "--help"], broken);
    expect(ownHelp.status).toBe(0);
    expect(ownHelp.stdout).toContain("--json");
    // Another command still runs: 0x95 is `exit`, written by hand.
    writeFileSync(join(dir, "exit.bin"), Buffer.from("9500000000000000", "hex"));
    expect(node([BIN, "disasm", join(dir, "exit.bin")], broken).stdout).toContain("\texit\n");
    const inspect = node([BIN, "inspect", "programs/xdp_pass.o"], broken);
    expect(inspect.status).toBe(2);
    expect(inspect.stdout).toBe("");
    expect(inspect.stderr).toBe("offload-sim: internal error: broken on purpose (set OFFLOAD_SIM_DEBUG=1 for a stack trace)\n");
  });

  it("a module that does not compile is reported on one line without a stack trace", () => {
    const result = node([BIN, "inspect", "programs/xdp_pass.o"], { OFFLOAD_SIM_TEST_BREAK: "src/elf/inspect.ts", OFFLOAD_SIM_TEST_BREAK_SOURCE: "export const = ;" });
    expect(result.status).toBe(2);
    expect(result.stderr.split("\n")).toHaveLength(2);
    expect(result.stderr).toMatch(/^offload-sim: internal error: .*src\/elf\/inspect\.ts:1:13: .*\(set OFFLOAD_SIM_DEBUG=1 for a stack trace\)\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a typed error thrown while a lazily imported module loads is the user's: its sentence as it is, exit 2", () => {
    const source = `import { OffloadSimError } from ${JSON.stringify(join(ROOT, "src/errors.ts"))}; throw new OffloadSimError("prog.o: thrown while loading.");`;
    const result = node([BIN, "inspect", "programs/xdp_pass.o"], { OFFLOAD_SIM_TEST_BREAK: "src/elf/inspect.ts", OFFLOAD_SIM_TEST_BREAK_SOURCE: source });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("offload-sim: prog.o: thrown while loading.\n");
  });
});
