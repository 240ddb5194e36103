// A file the user names that cannot be read — missing, or a directory — is one
// sentence naming it, exit status 2, whichever command reads it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = new URL("../../bin/offload-sim.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "input-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });

describe("unreadable input files", () => {
  const missing = join(dir, "absent.o");
  it.each([
    ["inspect", [missing], missing, "no such file or directory"],
    ["inspect", [dir], dir, "it is a directory, not a file"],
    ["disasm", [dir], dir, "it is a directory, not a file"],
    ["verify", [missing], missing, "no such file or directory"],
    ["exec", [dir], dir, "it is a directory, not a file"],
    ["asm", [dir], dir, "it is a directory, not a file"],
    ["offload-check", [dir], dir, "it is a directory, not a file"],
    ["run", [dir, "--cores", "2"], dir, "it is a directory, not a file"],
  ])("%s %j", (command, args, path, words) => {
    const r = cli(command, ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`offload-sim: cannot read ${path}: ${words} (${words.startsWith("no such") ? "ENOENT" : "EISDIR"}).\n`);
  });
});
