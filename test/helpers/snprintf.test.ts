// bpf_snprintf on both tiers. Expected texts are worked by hand from
// lib/vsprintf.c's rules (flags, width, %pI4 as dotted decimal) and
// kernel/bpf/helpers.c bpf_snprintf (returns the whole length plus the NUL,
// writes at most str_size - 1 characters). snprintf_log.o
// (test/verifier/fixtures) is also checked against the kernel with kernel-check.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseBprintfFormat } from "../../src/helpers/bprintf.ts";
import { formatBprintf, type BprintfMemory } from "../../src/helpers/snprintf.ts";
import { loadObject } from "../../src/elf/index.ts";
import { Errno } from "../../src/maps/errno.ts";
import { createObjectMaps } from "../../src/oracle/object-setup.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { runInProcess } from "../support/cli-in-process.ts";
import { kernelAvailable } from "../verifier/kernel-gate.ts";

const FIXTURE = "test/verifier/fixtures/snprintf_log.o";
const noMemory: BprintfMemory = { string: () => undefined, bytes: () => undefined };
const bytesOf = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

function format(fmt: string, args: bigint[], memory = noMemory, keep = 1000) {
  const pieces = parseBprintfFormat(bytesOf(fmt), args.length);
  if (pieces === undefined) throw new Error(`bad format ${fmt}`);
  return formatBprintf(pieces, args, memory, keep);
}

describe("bpf_snprintf's text (bstr_printf by hand)", () => {
  it.each([
    ["%d|%i", [-5n, 0xffff_fffbn], "-5|-5"], // 32-bit conversions see the low half
    ["%u %x %X", [0xffff_ffff_ffff_fffen, 255n, 255n], "4294967294 ff FF"],
    ["%lld %llu %lx", [-1n, -1n & 0xffff_ffff_ffff_ffffn, 0x1_0000_0000n], "-1 18446744073709551615 100000000"],
    ["[%5d][%-5d][%05d][%+d][% d][%+u]", [42n, 42n, -42n, 7n, 7n, 7n], "[   42][42   ][-0042][+7][ 7][7]"],
    ["%c%c%3c", [0x41n, 0x142n, 0x43n], "AB  C"], // %c prints the low byte
    ["100%%", [], "100%"],
  ])("%s", (fmt, args, text) => {
    expect(format(fmt, args)).toEqual({ text, length: text.length });
  });

  it("prints strings and IPv4/IPv6 addresses read from memory, and an unreadable string as empty", () => {
    const memory: BprintfMemory = {
      string: (address, max) => (address === 1n ? { text: "eth0".slice(0, max - 1), copiedBytes: Math.min(5, max) } : undefined),
      bytes: (address, length) => (address === 2n ? Uint8Array.from({ length }, (_, i) => (length === 4 ? [192, 0, 2, 9][i] : i)) : undefined),
    };
    expect(format("%s:%-6s|%s", [1n, 1n, 3n], memory)).toEqual({ text: "eth0:eth0  |", length: 12 });
    expect(format("%pI4 %pi4", [2n, 2n], memory)).toEqual({ text: "192.0.2.9 192.000.002.009", length: 25 });
    expect(format("%pI6", [2n], memory)).toEqual({ text: "0001:0203:0405:0607:0809:0a0b:0c0d:0e0f", length: 39 });
    expect(format("%pi6", [2n], memory)).toEqual({ text: "000102030405060708090a0b0c0d0e0f", length: 32 });
    // An address that cannot be read prints as 0.0.0.0 (the kernel zeroes what it could not copy).
    expect(format("%pI4", [5n], memory)).toEqual({ text: "0.0.0.0", length: 7 });
  });

  it("builds only what fits but counts the whole length", () => {
    expect(format("%10d!", [1n], noMemory, 4)).toEqual({ text: "    ", length: 11 });
  });

  it("fails with -ENOSPC when the 512-byte argument buffer is full", () => {
    // A 600-byte string fills 511 bytes and its NUL; the next %c finds no room.
    const memory: BprintfMemory = { string: (_a, max) => ({ text: "x".repeat(Math.min(600, max - 1)), copiedBytes: Math.min(601, max) }), bytes: () => undefined };
    expect(format("%s%c", [1n, 65n], memory)).toEqual({ errno: -Errno.ENOSPC });
  });

  it("reports kernel pointers instead of imitating them", () => {
    expect(format("%pK", [1n])).toEqual({ unsupported: "%pK prints a kernel address or symbol" });
  });
});

// bpf_bprintf_prepare (Linux 6.18): a bare %p (end, space or punctuation next) jumps to
// nocopy_fmt with i still on the 'p', so the loop reads the next byte as format text; only
// pK, px, ps and pS step over their letter. Verdicts also checked against this machine's kernel.
describe("a bare %p leaves the byte after it to the format", () => {
  const parse = (fmt: string, numArgs: number) => parseBprintfFormat(bytesOf(fmt), numArgs);
  const pointer = { kind: "kernel-pointer", spec: "p" };

  it("a '%' after %p starts the next conversion", () => {
    expect(parse("%p%d", 2)).toEqual([pointer, { kind: "int", flags: "", width: 0, bytes: 4, letter: "d" }]);
    expect(parse("%p%pK", 2)).toEqual([pointer, { kind: "kernel-pointer", spec: "pK" }]);
    // Two conversions need two arguments.
    expect(parse("%p%d", 1)).toBeUndefined();
  });

  it("'%%' after %p is a percent sign, a lone '%' after it is refused", () => {
    expect(parse("%p%%", 1)).toEqual([pointer, { kind: "text", text: "%" }]);
    expect(parse("%p%", 1)).toBeUndefined();
    expect(parse("%p%", 2)).toBeUndefined();
  });

  it("a space or punctuation after %p is text, pK takes its letter", () => {
    expect(parse("%p. %p", 2)).toEqual([pointer, { kind: "text", text: ". " }, pointer]);
    expect(parse("%pKx", 1)).toEqual([{ kind: "kernel-pointer", spec: "pK" }, { kind: "text", text: "x" }]);
  });
});

const object = loadObject(new Uint8Array(readFileSync(FIXTURE)), "snprintf_log.o");

// Ethernet + IPv4: 10.1.2.3 > 192.168.0.77, protocol 17, total length 46, TTL 200.
const packet = (() => {
  const p = new Uint8Array(60);
  p.set([0x08, 0x00], 12);
  p.set([0x45, 0, 0, 46, 0, 0, 0, 0, 200, 17, 0, 0, 10, 1, 2, 3, 192, 168, 0, 77], 14);
  return p;
})();

describe.each(["reference", "compiled"] as const)("snprintf_log.o (%s tier)", (tier) => {
  it("formats the line into last_line and stores the length it needs", () => {
    const { maps } = createObjectMaps(object, 1);
    const out = runXdp(object.programs[0].insns, packet, maps, { tier });
    expect(out.fault?.message).toBeUndefined();
    const line = maps.find((m) => m.def.name === "last_line")!.sysLookup(new Uint8Array(4)) as Uint8Array;
    const needed = maps.find((m) => m.def.name === "needed_bytes")!.sysLookup(new Uint8Array(4)) as Uint8Array;
    // "%pI4 > %pI4 proto %u len %-5u ttl %02x %c": TTL 200 = 0xc8 > 64 gives 'H'.
    const text = "10.1.2.3 > 192.168.0.77 proto 17 len 46    ttl c8 H";
    expect(new TextDecoder().decode(line.subarray(0, line.indexOf(0)))).toBe(text);
    expect(new DataView(needed.buffer, needed.byteOffset).getBigUint64(0, true)).toBe(BigInt(text.length + 1));
    expect(out.actionName).toBe("XDP_PASS");
  });
});

describe.skipIf(!kernelAvailable)("snprintf_log.o against the kernel", () => {
  it("kernel-check agrees on every packet, maps included", async () => {
    const out = await runInProcess(["kernel-check", FIXTURE, "--packets", "200"]);
    expect(out.status, out.stdout.slice(0, 2000) + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/200 of 200 packets agree/);
  }, 60_000);
});
