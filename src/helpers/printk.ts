// bpf_trace_printk's formatting (kernel/bpf/helpers.c bpf_bprintf_prepare and
// kernel/trace/bpf_trace.c): a NUL-terminated format with at most three
// conversions among %d %i %u %x %X %c %s %p (with l/ll/h/hh length modifiers,
// flags and a width), %% for a percent sign. The formatted text is captured
// as an event; the helper returns its length, or -EINVAL for a format the
// kernel refuses.
import { isMemoryAccessError } from "../interp/fault.ts";
import { Errno } from "../maps/errno.ts";
import { isOutcome, readBytes } from "./args.ts";
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// MAX_TRACE_PRINTK_VARARGS
const MAX_ARGS = 3;
// MAX_BPRINTF_BUF: the longest string %s copies.
const MAX_STRING_BYTES = 512;

export function tracePrintk(call: HelperCall): HelperOutcome {
  const size = Number(BigInt.asUintN(32, call.args[1]));
  const format = readBytes(call, call.args[0], size);
  if (isOutcome(format)) return format;
  const end = format.indexOf(0);
  if (end < 0) return returns(-Errno.EINVAL);
  const text = formatPrintk(new TextDecoder("latin1").decode(format.subarray(0, end)), call.args.slice(2, 5), (address) =>
    readString(call, address),
  );
  if (text === undefined) return returns(-Errno.EINVAL);
  call.machine.events.push({ kind: "trace-printk", pc: call.pc, text });
  return returns(text.length);
}

function readString(call: HelperCall, address: bigint): string {
  let out = "";
  for (let i = 0; i < MAX_STRING_BYTES; i++) {
    const byte = call.machine.memory.load(address + BigInt(i), 1);
    if (isMemoryAccessError(byte) || byte === 0n) break;
    out += String.fromCharCode(Number(byte));
  }
  return out;
}

// Returns undefined for a format bpf_bprintf_prepare would refuse.
export function formatPrintk(format: string, args: readonly bigint[], readStringAt: (address: bigint) => string): string | undefined {
  let out = "";
  let used = 0;
  const spec = /%([-+ 0#]*)(\d*)(hh|h|ll|l)?([diuxXcsp%])?/y;
  for (let i = 0; i < format.length; ) {
    if (format[i] !== "%") {
      out += format[i++];
      continue;
    }
    spec.lastIndex = i;
    const match = spec.exec(format);
    if (!match || match[4] === undefined) return undefined;
    i = spec.lastIndex;
    const [, flags, widthText, length, conversion] = match;
    if (conversion === "%") {
      out += "%";
      continue;
    }
    if (used >= MAX_ARGS || used >= args.length) return undefined;
    const arg = args[used++];
    const bits = length === "ll" || length === "l" ? 64 : length === "h" ? 16 : length === "hh" ? 8 : 32;
    let body: string;
    switch (conversion) {
      case "d":
      case "i":
        body = BigInt.asIntN(bits, arg).toString();
        break;
      case "u":
        body = BigInt.asUintN(bits, arg).toString();
        break;
      case "x":
        body = BigInt.asUintN(bits, arg).toString(16);
        break;
      case "X":
        body = BigInt.asUintN(bits, arg).toString(16).toUpperCase();
        break;
      case "c":
        body = String.fromCharCode(Number(arg & 0xffn));
        break;
      case "s":
        body = readStringAt(arg);
        break;
      default:
        body = `0x${arg.toString(16)}`;
    }
    if (flags.includes("#") && (conversion === "x" || conversion === "X") && arg !== 0n) body = `0x${body}`;
    const width = widthText === "" ? 0 : Number(widthText);
    const pad = flags.includes("0") && !flags.includes("-") ? "0" : " ";
    out += flags.includes("-") ? body.padEnd(width, " ") : body.padStart(width, pad);
  }
  return out;
}
