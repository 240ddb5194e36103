// What machine a benchmark ran on: CPU model and count, memory, Node and
// kernel versions, whether the kernel's BPF JIT is on, and how busy the
// machine was (other work on a shared machine moves every figure).
import { existsSync, readFileSync } from "node:fs";
import { cpus, freemem, hostname, loadavg, release, totalmem } from "node:os";

export interface MachineInfo {
  readonly hostname: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly freeMemoryBytes: number;
  readonly node: string;
  readonly v8: string;
  readonly kernel: string;
  // /proc/sys/net/core/bpf_jit_enable: "1" (on), "0" (off), "2" (on, with debug output); undefined when unreadable.
  readonly bpfJitEnable: string | undefined;
  readonly loadAverage: readonly number[];
  readonly date: string;
}

const JIT_SYSCTL = "/proc/sys/net/core/bpf_jit_enable";

function cpuModel(): string {
  const fromOs = cpus()[0]?.model?.trim();
  if (fromOs) return fromOs;
  if (!existsSync("/proc/cpuinfo")) return "unknown";
  return /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
}

export function machineInfo(): MachineInfo {
  return {
    hostname: hostname(),
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    node: process.version,
    v8: process.versions.v8,
    kernel: release(),
    bpfJitEnable: existsSync(JIT_SYSCTL) ? readFileSync(JIT_SYSCTL, "utf8").trim() : undefined,
    loadAverage: loadavg(),
    date: new Date().toISOString(),
  };
}

export function describeMachine(m: MachineInfo): string {
  const jit = m.bpfJitEnable === undefined ? "unknown" : m.bpfJitEnable === "0" ? "off" : "on";
  return [
    `machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
    `software: Node ${m.node} (V8 ${m.v8}), Linux ${m.kernel}, BPF JIT ${jit}`,
    `load average at start: ${m.loadAverage.map((l) => l.toFixed(2)).join(" ")}`,
  ].join("\n");
}
