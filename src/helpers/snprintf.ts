// bpf_snprintf (kernel/bpf/helpers.c, Linux 6.18): formats a constant format
// (bprintf.ts) with an array of u64 arguments into str (at most str_size - 1
// characters and a NUL) and returns the length of the whole text plus one.
// Arguments pass through bpf_bprintf_prepare's 512-byte binary buffer first
// (strings copied into it, truncated to what is left; -ENOSPC when a
// conversion finds it full), then lib/vsprintf.c bstr_printf prints them:
// flags '-' (left), '0' (zero pad), '+' and ' ' (sign of d/i), a width.
// Kernel pointers (%p, %pK, %px, %ps, %pS, %pB) print kernel addresses or
// symbols the host does not have: such a call is reported, not imitated.
import { isMemoryAccessError } from "../interp/fault.ts";
import { Errno } from "../maps/errno.ts";
import { isOutcome, readBytes, writableBytes } from "./args.ts";
import { MAX_BPRINTF_BIN_ARGS, MAX_BPRINTF_VARARGS, parseBprintfFormat, type BprintfPiece } from "./bprintf.ts";
import { memoryError, misuse, returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

const U64_BYTES = 8;
// lib/vsprintf.c FIELD_WIDTH_MAX: wider fields are clamped.
const FIELD_WIDTH_MAX = (1 << 23) - 1;
const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
const INT_ALIGN_BYTES = 4;

// Reads memory the way the kernel's nofault copies do: undefined where the address cannot be read.
export interface BprintfMemory {
  // The NUL-terminated string at `address`, at most `maxBytes` bytes including the NUL (the copy's limit).
  string(address: bigint, maxBytes: number): { readonly text: string; readonly copiedBytes: number } | undefined;
  bytes(address: bigint, length: number): Uint8Array | undefined;
}

// The text bpf_snprintf produces from parsed pieces and its arguments (only the first `keepChars`
// characters are built; `length` counts all), or the negative errno bpf_bprintf_prepare returns.
export function formatBprintf(pieces: readonly BprintfPiece[], args: readonly bigint[], memory: BprintfMemory, keepChars: number): { readonly text: string; readonly length: number } | { readonly errno: number } | { readonly unsupported: string } {
  const out = new BoundedText(keepChars);
  let used = 0;
  let next = 0;
  for (const piece of pieces) {
    if (piece.kind === "text") {
      out.append(piece.text);
      continue;
    }
    const arg = args[next++];
    switch (piece.kind) {
      case "int": {
        used = Math.ceil(used / INT_ALIGN_BYTES) * INT_ALIGN_BYTES;
        if (MAX_BPRINTF_BIN_ARGS - used < piece.bytes) return { errno: -Errno.ENOSPC };
        used += piece.bytes;
        out.field(integerText(piece.letter, piece.bytes, arg, piece.flags), piece.flags, piece.width, true);
        break;
      }
      case "char":
        if (used === MAX_BPRINTF_BIN_ARGS) return { errno: -Errno.ENOSPC };
        used++;
        out.field(String.fromCharCode(Number(arg & 0xffn)), piece.flags, piece.width, false);
        break;
      case "string": {
        if (used === MAX_BPRINTF_BIN_ARGS) return { errno: -Errno.ENOSPC };
        // A string that cannot be read is copied as an empty one.
        const copied = memory.string(arg, MAX_BPRINTF_BIN_ARGS - used) ?? { text: "", copiedBytes: 1 };
        used += copied.copiedBytes;
        out.field(copied.text, piece.flags, piece.width, false);
        break;
      }
      case "ip": {
        const size = piece.version === 4 ? IPV4_BYTES : IPV6_BYTES;
        if (MAX_BPRINTF_BIN_ARGS - used < size) return { errno: -Errno.ENOSPC };
        const address = memory.bytes(arg, size) ?? new Uint8Array(size);
        const text = ipText(address, piece.version, piece.padded);
        used += text.length + 1;
        out.field(text, piece.flags, piece.width, false);
        break;
      }
      case "kernel-pointer":
        return { unsupported: `%${piece.spec} prints a kernel address or symbol` };
    }
  }
  return { text: out.text, length: out.length };
}

// The digits and sign bstr_printf's number() prints for one argument (4 bytes: int, 8: long long).
function integerText(letter: string, bytes: 4 | 8, arg: bigint, flags: string): string {
  const bits = bytes * 8;
  if (letter === "d" || letter === "i") {
    const v = BigInt.asIntN(bits, arg);
    const sign = v < 0n ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
    return sign + (v < 0n ? -v : v).toString();
  }
  const v = BigInt.asUintN(bits, arg);
  return letter === "u" ? v.toString() : letter === "x" ? v.toString(16) : v.toString(16).toUpperCase();
}

// lib/vsprintf.c ip4_string / ip6_string as %pI4 %pi4 %pI6 %pi6 print them.
function ipText(bytes: Uint8Array, version: 4 | 6, padded: boolean): string {
  if (version === 4) return [...bytes].map((b) => (padded ? String(b).padStart(3, "0") : String(b))).join(".");
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0"));
  if (padded) return hex.join("");
  const groups: string[] = [];
  for (let i = 0; i < hex.length; i += 2) groups.push(hex[i] + hex[i + 1]);
  return groups.join(":");
}

// Text of which only the first `keep` characters are built; `length` counts every character.
class BoundedText {
  text = "";
  length = 0;
  constructor(private readonly keep: number) {}

  append(s: string): void {
    if (this.text.length < this.keep) this.text += s.slice(0, this.keep - this.text.length);
    this.length += s.length;
  }

  private repeat(c: string, count: number): void {
    const built = Math.max(0, Math.min(count, this.keep - this.text.length));
    this.text += c.repeat(built);
    this.length += count;
  }

  // A field of `width`: spaces before (or after, with '-'); zeros after the sign for numbers with '0'.
  field(body: string, flags: string, width: number, numeric: boolean): void {
    const pad = Math.max(0, Math.min(width, FIELD_WIDTH_MAX) - body.length);
    if (flags.includes("-")) {
      this.append(body);
      this.repeat(" ", pad);
      return;
    }
    if (numeric && flags.includes("0")) {
      const signed = body.startsWith("-") || body.startsWith("+") || body.startsWith(" ");
      if (signed) this.append(body[0]);
      this.repeat("0", pad);
      this.append(signed ? body.slice(1) : body);
      return;
    }
    this.repeat(" ", pad);
    this.append(body);
  }
}

export function snprintf(call: HelperCall): HelperOutcome {
  const [strAddress, strSizeArg, formatAddress, dataAddress, dataLenArg] = call.args;
  const strSize = Number(BigInt.asUintN(32, strSizeArg));
  const dataLen = Number(BigInt.asUintN(32, dataLenArg));
  if (dataLen % U64_BYTES !== 0 || dataLen > MAX_BPRINTF_VARARGS * U64_BYTES || (dataLen !== 0 && dataAddress === 0n)) return returns(-Errno.EINVAL);
  const format = readFormat(call, formatAddress);
  if (isOutcome(format)) return format;
  const pieces = parseBprintfFormat(format, dataLen / U64_BYTES);
  if (pieces === undefined) return returns(-Errno.EINVAL);
  const data = dataLen === 0 ? new Uint8Array(0) : readBytes(call, dataAddress, dataLen);
  if (isOutcome(data)) return data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const args = Array.from({ length: dataLen / U64_BYTES }, (_, i) => view.getBigUint64(i * U64_BYTES, true));
  const formatted = formatBprintf(pieces, args, memoryOf(call), Math.max(0, strSize - 1));
  if ("unsupported" in formatted) return misuse(`bpf_snprintf at pc ${call.pc}: ${formatted.unsupported}, which the simulator does not model`);
  if ("errno" in formatted) return returns(formatted.errno);
  if (strSize > 0) {
    const out = writableBytes(call, strAddress, formatted.text.length + 1);
    if (isOutcome(out)) return out;
    for (let i = 0; i < formatted.text.length; i++) out[i] = formatted.text.charCodeAt(i);
    out[formatted.text.length] = 0;
  }
  return returns(formatted.length + 1);
}

// The format up to its NUL (the verifier proved one lies inside the read-only value).
function readFormat(call: HelperCall, address: bigint): Uint8Array | HelperOutcome {
  const bytes: number[] = [];
  for (;;) {
    const b = call.machine.memory.load(address + BigInt(bytes.length), 1);
    if (isMemoryAccessError(b)) return memoryError(b);
    if (b === 0n) return Uint8Array.from(bytes);
    bytes.push(Number(b));
  }
}

function memoryOf(call: HelperCall): BprintfMemory {
  const load = (address: bigint): number | undefined => {
    const b = call.machine.memory.load(address, 1);
    return isMemoryAccessError(b) ? undefined : Number(b);
  };
  return {
    // strncpy_from_kernel_nofault: stops at the NUL or after maxBytes - 1 characters; a fault gives nothing.
    string(address, maxBytes) {
      let text = "";
      for (let i = 0; i < maxBytes - 1; i++) {
        const b = load(address + BigInt(i));
        if (b === undefined) return undefined;
        if (b === 0) break;
        text += String.fromCharCode(b);
      }
      return { text, copiedBytes: text.length + 1 };
    },
    bytes(address, length) {
      const view = call.machine.memory.view(address, length, "read");
      return isMemoryAccessError(view) ? undefined : view.slice();
    },
  };
}
