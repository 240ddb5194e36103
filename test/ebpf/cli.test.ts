// The asm and disasm commands end to end, through bin/offload-sim.js.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "../../bin/offload-sim.js");
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

describe("offload-sim asm / disasm", () => {
  const dir = mkdtempSync(join(tmpdir(), "offload-sim-asm-"));

  it("assembles to raw little-endian bytes and lists them like llvm-objdump", () => {
    const source = join(dir, "prog.s");
    writeFileSync(source, "mov %r0, 1\nif r1 == 0 goto out\nr0 = 0x1122334455 ll\nout: exit\n");
    const assembled = run("asm", source, "-o", join(dir, "prog.bin"));
    expect(assembled.status).toBe(0);
    // b7 = ALU64|K|MOV; 15 = JMP|K|JEQ with off 2 (skipping the two-slot lddw); 18 = lddw; 95 = exit.
    expect(readFileSync(join(dir, "prog.bin")).toString("hex")).toBe(
      "b700000001000000" + "1501020000000000" + "1800000055443322" + "0000000011000000" + "9500000000000000",
    );
    const listed = run("disasm", join(dir, "prog.bin"));
    expect(listed.status).toBe(0);
    expect(listed.stdout).toBe(
      "       0:\tb7 00 00 00 01 00 00 00\tr0 = 1\n" +
        "       1:\t15 01 02 00 00 00 00 00\tif r1 == 0 goto +2\n" +
        "       2:\t18 00 00 00 55 44 33 22 00 00 00 00 11 00 00 00\tr0 = 73588229205 ll\n" +
        "       4:\t95 00 00 00 00 00 00 00\texit\n",
    );
    expect(run("disasm", join(dir, "prog.bin"), "--syntax", "mnemonic").stdout).toContain("\tjeq %r1, 0, +2\n");
  });

  it("reports malformed assembly in one sentence with line and column, exit status 2", () => {
    writeFileSync(join(dir, "bad.s"), "exit\nr1 = *(u32 *)(r2 + )\n");
    const result = run("asm", join(dir, "bad.s"));
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`offload-sim: ${join(dir, "bad.s")}:2:20: expected an offset (at ')').\n`);
  });

  it("reports an invalid instruction with its index and byte offset, exit status 2", () => {
    writeFileSync(join(dir, "bad.bin"), Buffer.from("b700000001000000" + "8700000001000000", "hex"));
    const result = run("disasm", join(dir, "bad.bin"));
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `offload-sim: ${join(dir, "bad.bin")}: invalid eBPF instruction 1 at byte offset 8 (0x8): NEG uses reserved fields (src, off and imm must be 0).\n`,
    );
    expect(result.stdout).toBe("");
  });
});
