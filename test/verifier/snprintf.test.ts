// bpf_snprintf's load-time checks: the format is a constant string in a frozen
// read-only array (check_reg_const_str) that bpf_bprintf_prepare accepts with
// data_len / 8 arguments (check_bpf_snprintf_call). Expected verdicts come from
// reading kernel/bpf/helpers.c bpf_bprintf_prepare (Linux 6.18) and, for
// generated formats, from the running kernel.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/asm.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { conversionCount, parseBprintfFormat } from "../../src/helpers/bprintf.ts";
import { kernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { verify } from "../../src/verifier/index.ts";
import { kernelAvailable } from "./kernel-gate.ts";

// include/uapi/linux/bpf.h BPF_F_RDONLY_PROG.
const BPF_F_RDONLY_PROG = 1 << 7;
const FORMAT_BYTES = 32;

const rodata = (format: Uint8Array): MapDef => {
  const value = new Uint8Array(FORMAT_BYTES);
  value.set(format.subarray(0, FORMAT_BYTES));
  return { name: ".rodata", type: MapType.ARRAY, keySize: 4, valueSize: FORMAT_BYTES, maxEntries: 1, flags: BPF_F_RDONLY_PROG, frozen: true, initialValue: value };
};

// bpf_snprintf(out, 32, format, data, dataLen) with four u64 of data on the stack.
const snprintfCall = (dataLenBytes: number) =>
  assemble(`
    r1 = 7
    *(u64 *)(r10 - 32) = r1
    *(u64 *)(r10 - 24) = r1
    *(u64 *)(r10 - 16) = r1
    *(u64 *)(r10 - 8) = r1
    ld_pseudo r3, 6, 0
    r4 = r10
    r4 += -32
    r5 = ${dataLenBytes}
    r1 = r10
    r1 += -64
    r2 = 32
    call 165
    r0 = 2
    exit
  `);

const bytesOf = (text: string): Uint8Array => Uint8Array.from([...text].map((c) => c.charCodeAt(0)).concat([0]));
const ours = (format: string, numArgs: number) => verify(snprintfCall(numArgs * 8), [rodata(bytesOf(format))], { collectFacts: false });

describe("bpf_snprintf formats (bpf_bprintf_prepare, read by hand)", () => {
  it.each([
    ["no conversion", "hello, world", 0],
    ["%% is no conversion", "100%%", 0],
    ["flags and width", "%-08d|%+5i|% u", 3],
    ["l and ll", "%lx %llX %lu", 3],
    ["char and string", "%c%s.", 2],
    ["%s at the end", "%s", 1],
    ["kernel and user strings", "%pks %pus", 2],
    ["kernel pointers", "%p %pK %px %pS", 4],
    ["symbols", "%ps %pB", 2],
    ["IP addresses", "%pI4 %pi4 %pI6 %pi6", 4],
    ["fewer conversions than arguments", "%d", 4],
  ])("accepts %s: '%s' with %i arguments", (_what, format, numArgs) => {
    expect(ours(format, numArgs).error?.lines.join(" | ") ?? "accepted").toBe("accepted");
  });

  it.each([
    ["more conversions than arguments", "%d %d", 1],
    ["an h modifier", "%hd", 1],
    ["a precision", "%.3d", 1],
    ["the # flag", "%#x", 1],
    ["%s followed by a letter", "%sx", 1],
    ["an unknown pointer kind", "%pM", 1],
    ["%pI without 4 or 6", "%pI5", 1],
    ["a lone % at the end", "abc%", 1],
    ["%lll", "%llld", 1],
    ["a control byte", "a\x01b", 0],
    ["a non-ASCII byte", "caf\xe9", 0],
  ])("rejects %s: '%s'", (_what, format, numArgs) => {
    expect(ours(format, numArgs).error?.message).toBe("Invalid format string");
  });
});

describe("the format parser on arbitrary bytes", () => {
  it("answers every input, with no more conversions than arguments and only printable text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 12 }), (bytes, numArgs) => {
        const pieces = parseBprintfFormat(bytes, numArgs);
        if (pieces === undefined) return;
        expect(conversionCount(pieces), `format bytes ${Buffer.from(bytes).toString("hex")}`).toBeLessThanOrEqual(numArgs);
        for (const p of pieces) if (p.kind === "text") expect(p.text, `format bytes ${Buffer.from(bytes).toString("hex")}`).toMatch(/^[\x09-\x0d\x20-\x7e]*$/);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});

const TOKENS = ["%", "%", "%", "d", "i", "u", "x", "l", "p", "s", "c", "k", "I", "i", "4", "6", "K", "B", "S", "h", "0", "-", "+", " ", "7", "12", ",", ".", "a", "\t", "\x7f", "\x01", "#"];

describe.skipIf(!kernelAvailable)("bpf_snprintf formats against the kernel", () => {
  it("the kernel and we accept and refuse the same generated formats", async () => {
    const verdicts = { accepted: 0, rejected: 0 };
    await withKernel((k) => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }), fc.integer({ min: 0, max: 4 }), (tokens, numArgs) => {
          const format = tokens.join("").slice(0, FORMAT_BYTES - 1);
          const maps = [rodata(bytesOf(format))];
          const program = snprintfCall(numArgs * 8);
          const mine = verify(program, maps, { collectFacts: false });
          const kernel = kernelVerdict(k, program, maps);
          verdicts[kernel.accepted ? "accepted" : "rejected"]++;
          const shown = JSON.stringify(format);
          expect(mine.accepted, `format ${shown} with ${numArgs} arguments: kernel says ${kernel.accepted ? "accept" : kernel.message}`).toBe(kernel.accepted);
          if (!kernel.accepted) expect(kernel.logLines, `format ${shown}`).toContain(mine.error!.message);
        }),
        { numRuns: 400, seed: 165 },
      );
    });
    // Both verdicts are well represented, so the agreement means something.
    expect(verdicts.accepted).toBeGreaterThan(50);
    expect(verdicts.rejected).toBeGreaterThan(50);
  });
});
