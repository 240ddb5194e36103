// The kernel column of the host benchmark: the sample program loaded into the
// running kernel (JIT as the machine has it), its maps filled as a case says,
// and BPF_PROG_TEST_RUN with a large `repeat`. The kernel reports the mean
// time per repetition (net/bpf/test_run.c: bpf_test_run runs the program
// `repeat` times on the same context and divides the time spent by repeat),
// so the context, packet and maps carry over between repetitions, as in
// CompiledSession.repeat.
import { KernelSession, instantiateObject, isPerCpuMapType, kernelMapNamed, kernelOracleAvailability, type KernelHandle } from "../src/kernel/index.ts";
import { enterFreshNetworkNamespace } from "../src/oracle/host-control.ts";
import { environmentCommands } from "../src/oracle/index.ts";
import { corpusEnvironment, hexBytes, type CorpusCase, type CorpusProgram } from "./host-corpus.ts";
import { threadCpuNs } from "./host-timing.ts";

export type KernelColumn = { readonly available: true } | { readonly available: false; readonly reason: string };

export function kernelColumn(): KernelColumn {
  if (process.getuid?.() !== 0) return { available: false, reason: "not root: BPF_PROG_TEST_RUN needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN)" };
  const availability = kernelOracleAvailability();
  return availability.available ? { available: true } : { available: false, reason: availability.reason };
}

// One kernel session for the whole benchmark; each case gets its own instance (fresh maps, the
// program loaded against them), released when the case is done.
export class KernelBench {
  private readonly k = KernelSession.open();

  close(): void {
    this.k.close();
  }

  // A case that names a host set-up (xdp_router's routes and neighbours) runs in a fresh network
  // namespace built as the oracle builds it; the thread leaves it when the case is released.
  load(program: CorpusProgram, c: CorpusCase): KernelCase {
    const namespace = c.environment === undefined ? undefined : enterFreshNetworkNamespace(environmentCommands(corpusEnvironment(c.environment)));
    try {
      return this.loadHere(program, c, () => namespace?.leave());
    } catch (error) {
      namespace?.leave();
      throw error;
    }
  }

  private loadHere(program: CorpusProgram, c: CorpusCase, leave: () => void): KernelCase {
    const k = this.k;
    const progArraySlots = Object.entries(program.loadTimeMaps).flatMap(([map, content]) =>
      content.entries.filter((e) => e.program !== undefined).map((e) => ({ map, index: new DataView(hexBytes(e.key).buffer).getUint32(0, true), program: e.program! })),
    );
    const instance = instantiateObject(k, program.object, { progArraySlots, logLevel: 0 });
    const handles: KernelHandle[] = [...instance.maps, ...[...instance.verdicts.values()].flatMap((v) => (v.accepted ? [v.program] : []))];
    const verdict = instance.verdicts.get(program.name);
    if (verdict === undefined || !verdict.accepted) {
      handles.forEach((h) => k.release(h));
      throw new Error(`the kernel refused ${program.label}: ${verdict && !verdict.accepted ? verdict.error.message : "not loaded"}`);
    }
    for (const [name, content] of Object.entries(c.mapJson)) {
      const map = kernelMapNamed(instance, name);
      for (const entry of content.entries) {
        if (entry.value === undefined) continue;
        const key = hexBytes(entry.key);
        const value = hexBytes(entry.value);
        if (isPerCpuMapType(map.def.type)) k.updatePerCpu(map, key, Array.from({ length: k.cpuCount }, () => value));
        else k.update(map, key, value);
      }
    }
    const loaded = verdict.program;
    const packet = c.packet;
    return {
      sample: (repeat: number) => {
        const started = threadCpuNs();
        const out = k.testRunXdp(loaded, { packet, repeat });
        return { ns: out.durationNs, cpuNs: (threadCpuNs() - started) / repeat, retval: out.retval };
      },
      release: () => {
        handles.forEach((h) => k.release(h));
        leave();
      },
    };
  }
}

// One test run of `repeat` repetitions: the kernel's own mean time per repetition (ktime between
// the timer's enter and leave), the CPU time of this thread for the whole syscall divided
// by repeat (as the host tiers are timed), and the last repetition's return value.
export interface KernelSample {
  readonly ns: number;
  readonly cpuNs: number;
  readonly retval: number;
}

export interface KernelCase {
  sample(repeat: number): KernelSample;
  release(): void;
}

