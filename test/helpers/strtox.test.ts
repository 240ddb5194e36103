// bpf_strtol / bpf_strtoul's parser against kernel/bpf/helpers.c
// __bpf_strtoull and lib/kstrtox.c, worked by hand: bytes consumed count the
// skipped spaces and the sign; base 0 picks 16/8/10 from the prefix.
// ascii_knobs.o (test/elf/realworld2.test.ts) checks both helpers against the kernel.
import { describe, expect, it } from "vitest";
import { Errno } from "../../src/maps/errno.ts";
import { parseStrtox } from "../../src/helpers/strtox.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("strtox parsing (__bpf_strtoull)", () => {
  it.each([
    ["42", 0n, 2, 42n, false],
    ["  -17xyz", 10n, 5, 17n, true], // 2 spaces + '-' + 2 digits
    ["0x1F", 0n, 4, 31n, false],
    ["0x1F", 16n, 4, 31n, false],
    ["0755", 0n, 4, 493n, false], // octal
    ["0x", 0n, 1, 0n, false], // "0x" without a hex digit: base 8, the '0' alone
    ["\t\n 9", 10n, 4, 9n, false],
    ["18446744073709551615", 10n, 20, 18446744073709551615n, false],
  ] as const)("%j base %d: %d bytes, value %d", (input, flags, consumed, value, negative) => {
    expect(parseStrtox(text(input), flags)).toEqual({ consumed, value, negative });
  });

  it.each([
    ["12", 2n, Errno.EINVAL], // base 2 is not allowed
    ["12", 0x20n | 10n, Errno.EINVAL], // a bit above the base mask
    ["   ", 10n, Errno.EINVAL], // nothing after the spaces
    ["-", 10n, Errno.EINVAL],
    ["zz", 16n, Errno.EINVAL], // no digit
    ["18446744073709551616", 10n, Errno.ERANGE], // 2^64
  ] as const)("%j base %d fails with errno %d", (input, flags, errno) => {
    expect(parseStrtox(text(input), flags)).toEqual({ errno });
  });

  it("stops at a NUL and parses at most 63 bytes after the spaces and sign", () => {
    expect(parseStrtox(Uint8Array.of(0x31, 0x32, 0, 0x33), 10n)).toEqual({ consumed: 2, value: 12n, negative: false });
    const long = text(" " + "0".repeat(70) + "5");
    expect(parseStrtox(long, 10n)).toEqual({ consumed: 64, value: 0n, negative: false });
  });
});
