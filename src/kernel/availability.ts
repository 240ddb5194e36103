// Can this process use the real kernel as an oracle? Decided once per
// process, in the order that gives the most telling reason: not disabled by
// the user, koffi and libc load, the effective capabilities allow loading XDP
// programs, and a trivial XDP program really loads and test-runs (which is
// what seccomp filters, lockdown or a missing CONFIG_BPF_SYSCALL would stop).
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { Errno } from "../maps/errno.ts";
import { Class, JmpOp, AluOp, Source } from "../ebpf/opcode.ts";
import { insn, type Program } from "../ebpf/instruction.ts";
import { KernelError } from "./kernel-error.ts";
import { loadNative } from "./native.ts";
import { KernelSession } from "./session.ts";

export type KernelOracleAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

// Setting this variable to 1 makes the oracle unavailable (to check that kernel tests skip loudly).
export const DISABLE_ENV = "OFFLOAD_SIM_NO_KERNEL";

// Capability bits, include/uapi/linux/capability.h.
export const Capability = { NET_ADMIN: 12, SYS_ADMIN: 21, PERFMON: 38, BPF: 39 } as const;

// r0 = 0 (XDP_ABORTED); exit
export const TRIVIAL_XDP_PROGRAM: Program = [insn(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 0), insn(Class.JMP | JmpOp.EXIT)];
// The smallest frame BPF_PROG_TEST_RUN accepts: ETH_HLEN bytes (include/uapi/linux/if_ether.h).
export const ETH_HLEN = 14;

let cached: KernelOracleAvailability | undefined;

export function kernelOracleAvailability(): KernelOracleAvailability {
  cached ??= decideAvailability();
  return cached;
}

function decideAvailability(): KernelOracleAvailability {
  if (process.env[DISABLE_ENV] === "1") return unavailable(`disabled by ${DISABLE_ENV}=1`);
  const native = loadNative();
  if (native instanceof Error) return unavailable(native.message);
  const capabilityProblem = missingCapabilities(readFileSync("/proc/self/status", "utf8"));
  if (capabilityProblem !== undefined) return unavailable(capabilityProblem);
  return trialRun();
}

// Why the effective capabilities (CapEff in /proc/self/status) cannot load XDP programs, or undefined when they can:
// CAP_SYS_ADMIN alone, or CAP_BPF with CAP_NET_ADMIN (kernel/bpf/syscall.c, bpf_prog_load).
export function missingCapabilities(procStatus: string): string | undefined {
  const match = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(procStatus);
  if (match === null) return "cannot read CapEff from /proc/self/status";
  const effective = BigInt(`0x${match[1]}`);
  const has = (bit: number): boolean => ((effective >> BigInt(bit)) & 1n) === 1n;
  if (has(Capability.SYS_ADMIN) || (has(Capability.BPF) && has(Capability.NET_ADMIN))) return undefined;
  return `the process lacks CAP_SYS_ADMIN, or CAP_BPF with CAP_NET_ADMIN, to load XDP programs (CapEff ${match[1]}); run as root`;
}

function trialRun(): KernelOracleAvailability {
  let session: KernelSession | undefined;
  try {
    session = KernelSession.open();
    const program = session.loadProgram({ program: TRIVIAL_XDP_PROGRAM, name: "probe", logLevel: 0 });
    session.testRunXdp(program, { packet: new Uint8Array(ETH_HLEN) });
    return { available: true };
  } catch (error) {
    if (error instanceof KernelError) return unavailable(`${error.message} ${explainRefusal(error.errno)}`);
    return unavailable(error instanceof Error ? error.message : String(error));
  } finally {
    session?.close();
  }
}

function explainRefusal(errno: number): string {
  if (errno === constants.errno.ENOSYS) return "(the kernel has no bpf() syscall: CONFIG_BPF_SYSCALL is off)";
  if (errno === Errno.EPERM) {
    return `(a seccomp filter, kernel lockdown or missing capabilities refuse bpf(); kernel.unprivileged_bpf_disabled = ${readSysctl("/proc/sys/kernel/unprivileged_bpf_disabled")})`;
  }
  return "";
}

function readSysctl(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "unknown";
  }
}

function unavailable(reason: string): KernelOracleAvailability {
  return { available: false, reason: `kernel oracle unavailable: ${reason}` };
}
