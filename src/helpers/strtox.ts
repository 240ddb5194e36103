// bpf_strtol and bpf_strtoul (kernel/bpf/helpers.c, __bpf_strtoull with
// lib/kstrtox.c's _parse_integer_fixup_radix and _parse_integer), offered to
// every program type by bpf_base_func_proto (an XDP program loads with them
// on Linux 6.18). *res is zeroed first; then leading isspace() bytes are
// skipped, one '-' noted, at most 63 of the remaining bytes parsed (a NUL ends
// them). Base 0 means 16 after "0x" followed by a hex digit, 8 after a
// leading '0', else 10; base 16 skips a "0x". The answer is the number of
// bytes consumed (spaces and sign included), -EINVAL for a bad base or flag,
// nothing to parse, no digit, or a negative strtoul; -ERANGE on u64 overflow
// or, for strtol, a value outside s64.
import { Errno } from "../maps/errno.ts";
import { isOutcome, readBytes, writableBytes } from "./args.ts";
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// BPF_STRTOX_BASE_MASK: the flag bits that carry the base.
const BASE_MASK = 0x1fn;
// sizeof(str) - 1 in __bpf_strtoull: the bytes copied for parsing.
const MAX_PARSED_BYTES = 63;
const U64_MAX = (1n << 64n) - 1n;

type Parsed = { readonly consumed: number; readonly value: bigint; readonly negative: boolean } | { readonly errno: number };

// isspace() of the kernel's ctype table for ASCII: \t \n \v \f \r and space.
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : 16;
}

export function parseStrtox(buf: Uint8Array, flags: bigint): Parsed {
  let base = Number(flags & BASE_MASK);
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return { errno: Errno.EINVAL };
  if ((flags & ~BASE_MASK) !== 0n) return { errno: Errno.EINVAL };
  let at = 0;
  while (at < buf.length && isSpace(buf[at])) at++;
  const negative = at < buf.length && buf[at] === 0x2d;
  if (negative) at++;
  if (at === buf.length) return { errno: Errno.EINVAL };
  const nul = buf.indexOf(0, at);
  const str = buf.subarray(at, Math.min(nul < 0 ? buf.length : nul, at + MAX_PARSED_BYTES));
  let s = 0;
  const x = (i: number): boolean => i < str.length && (str[i] | 0x20) === 0x78;
  if (base === 0) {
    if (str[0] === 0x30) base = x(1) && s + 2 < str.length && digitValue(str[2]) < 16 ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && str[0] === 0x30 && x(1)) s = 2;
  let value = 0n;
  let digits = 0;
  let overflow = false;
  for (let i = s; i < str.length; i++) {
    const d = digitValue(str[i]);
    if (d >= base) break;
    const next = value * BigInt(base) + BigInt(d);
    if (next > U64_MAX) overflow = true;
    value = next & U64_MAX;
    digits++;
  }
  if (overflow) return { errno: Errno.ERANGE };
  if (digits === 0) return { errno: Errno.EINVAL };
  return { consumed: at + s + digits, value, negative };
}

function strtox(call: HelperCall, signed: boolean): HelperOutcome {
  const [bufAddress, lengthArg, flags, resAddress] = call.args;
  const res = writableBytes(call, resAddress, 8);
  if (isOutcome(res)) return res;
  const view = new DataView(res.buffer, res.byteOffset, 8);
  view.setBigUint64(0, 0n, true);
  const buf = readBytes(call, bufAddress, Number(BigInt.asUintN(32, lengthArg)));
  if (isOutcome(buf)) return buf;
  const parsed = parseStrtox(buf, flags);
  if ("errno" in parsed) return returns(-parsed.errno);
  let result = parsed.value;
  if (signed) {
    // __bpf_strtoll: -value must stay negative, value must stay non-negative, as s64.
    const negated = BigInt.asIntN(64, -result);
    if (parsed.negative ? negated > 0n : BigInt.asIntN(64, result) < 0n) return returns(-Errno.ERANGE);
    result = parsed.negative ? BigInt.asUintN(64, negated) : result;
  } else if (parsed.negative) {
    return returns(-Errno.EINVAL);
  }
  view.setBigUint64(0, result, true);
  return returns(parsed.consumed);
}

export const strtol = (call: HelperCall): HelperOutcome => strtox(call, true);
export const strtoul = (call: HelperCall): HelperOutcome => strtox(call, false);
