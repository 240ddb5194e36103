// Per-packet cost of each host tier and of the kernel on one crafted case,
// measured in alternation (kernel, compiled, reference, ...) so that a burst
// of load on the shared machine hits every column alike. Every column is the
// CPU time of the benchmark's thread (host-timing.ts threadCpuNs; for the
// kernel, the whole BPF_PROG_TEST_RUN syscall divided by its repeat): on a
// shared machine, wall time would charge other people's work to whichever
// column happened to be running.
// Columns:
//   kernel      BPF_PROG_TEST_RUN repeat: CPU ns per repetition (JIT as the machine has it); the
//               kernel's own duration is kept beside it
//   compiled    CompiledSession.repeat: the compiled program on one machine, state carried over
//   reference   run() on the same buffer and maps, minus the machine set-up run() does first
//   setup       createMachine() alone: what run() spends before its first instruction
//   *Call       runXdp() per packet as a user calls it (fresh buffer and machine, result built)
import { createMachine } from "../src/interp/machine.ts";
import { CompiledSession } from "../src/interp/compile-session.ts";
import type { RunEnv } from "../src/interp/env.ts";
import type { VerifierResult } from "../src/verifier/index.ts";
import { run } from "../src/interp/run.ts";
import { createXdpBuffer } from "../src/xdp/buffer.ts";
import { runXdp } from "../src/xdp/run-xdp.ts";
import { corpusMaps, environmentRoutes, type CorpusCase, type CorpusProgram } from "./host-corpus.ts";
import type { KernelCase } from "./host-kernel.ts";
import { median, threadCpuNs } from "./host-timing.ts";

export interface CaseFigures {
  readonly name: string;
  // Instructions of a first run from the case's initial state.
  readonly steps: number;
  readonly action: string;
  // CPU time charged to this process per repetition (the figure compared), and the kernel's own duration.
  readonly kernelNs: number | undefined;
  readonly kernelReportedNs: number | undefined;
  readonly kernelRetval: number | undefined;
  readonly compiledNs: number;
  readonly referenceNs: number;
  readonly setupNs: number;
  readonly referenceExecNs: number;
  readonly compiledCallNs: number;
  readonly referenceCallNs: number;
}

export interface TierSettings {
  readonly sampleMs: number;
  readonly rounds: number;
}

const NS_PER_MS = 1e6;
// Samples' worth of time spent running a body before it is timed.
const WARM_UP_SAMPLES = 2;

// A timed body with its iteration count fixed once so that one sample lasts about sampleMs.
class Sampler {
  private readonly iterations: number;
  readonly samplesNs: number[] = [];

  constructor(
    private readonly body: (iterations: number) => void,
    sampleMs: number,
  ) {
    // Warm up first: V8 optimizes hot code on a background thread, which a busy machine delays.
    const warmUntil = threadCpuNs() + WARM_UP_SAMPLES * sampleMs * NS_PER_MS;
    while (threadCpuNs() < warmUntil) body(1);
    let iterations = 1;
    for (;;) {
      const started = threadCpuNs();
      body(iterations);
      const elapsedNs = threadCpuNs() - started;
      if (elapsedNs >= (sampleMs * NS_PER_MS) / 10) {
        this.iterations = Math.max(1, Math.round((sampleMs * NS_PER_MS * iterations) / elapsedNs));
        return;
      }
      iterations *= 2;
    }
  }

  sample(): void {
    const started = threadCpuNs();
    this.body(this.iterations);
    this.samplesNs.push((threadCpuNs() - started) / this.iterations);
  }

  get nsPerIteration(): number {
    return median(this.samplesNs);
  }
}

function environment(program: CorpusProgram, c: CorpusCase): Omit<RunEnv, "input" | "maps"> & { readonly maps: ReturnType<typeof corpusMaps> } {
  // As the kernel sees it: the case's host set-up when it names one, else no routes at all.
  return { maps: corpusMaps(program, c.mapJson), programs: program.programs, ...(c.environment === undefined ? {} : { routes: environmentRoutes(c.environment) }) };
}

// `facts`: the verifier's verdict on the program, whose proofs the compiled tier then uses.
export function measureCase(program: CorpusProgram, c: CorpusCase, kernel: KernelCase | undefined, settings: TierSettings, facts?: VerifierResult): CaseFigures {
  const { maps: firstMaps, ...firstEnv } = environment(program, c);
  const first = runXdp(program.insns, c.packet, firstMaps, { ...firstEnv, tier: "compiled" });

  const compiledEnv: RunEnv = { ...environment(program, c), input: { kind: "xdp", buffer: createXdpBuffer(c.packet) } };
  const session = new CompiledSession(program.insns, compiledEnv, { facts });
  const compiled = new Sampler((n) => session.repeat(n), settings.sampleMs);

  const referenceEnv: RunEnv = { ...environment(program, c), input: { kind: "xdp", buffer: createXdpBuffer(c.packet) } };
  const reference = new Sampler((n) => {
    for (let i = 0; i < n; i++) run(program.insns, referenceEnv);
  }, settings.sampleMs);
  const setup = new Sampler((n) => {
    for (let i = 0; i < n; i++) createMachine(program.insns, referenceEnv);
  }, settings.sampleMs);

  const { maps: callMaps, ...callEnv } = environment(program, c);
  const compiledCall = new Sampler((n) => {
    for (let i = 0; i < n; i++) runXdp(program.insns, c.packet, callMaps, { ...callEnv, tier: "compiled" });
  }, settings.sampleMs);
  const { maps: referenceCallMaps, ...referenceCallEnv } = environment(program, c);
  const referenceCall = new Sampler((n) => {
    for (let i = 0; i < n; i++) runXdp(program.insns, c.packet, referenceCallMaps, { ...referenceCallEnv, tier: "reference" });
  }, settings.sampleMs);

  const kernelSamples: number[] = [];
  const kernelReported: number[] = [];
  let kernelRetval: number | undefined;
  let kernelRepeat = 0;
  if (kernel !== undefined) {
    const probe = kernel.sample(1000);
    kernelRepeat = Math.max(1000, Math.min(50_000_000, Math.round((settings.sampleMs * 1e6) / Math.max(probe.cpuNs, 1))));
    kernelRetval = probe.retval;
  }
  for (let round = 0; round < settings.rounds; round++) {
    if (kernel !== undefined) {
      const sample = kernel.sample(kernelRepeat);
      kernelSamples.push(sample.cpuNs);
      kernelReported.push(sample.ns);
    }
    compiled.sample();
    reference.sample();
    setup.sample();
    compiledCall.sample();
    referenceCall.sample();
  }
  const referenceNs = reference.nsPerIteration;
  const setupNs = setup.nsPerIteration;
  return {
    name: c.name,
    steps: first.steps,
    action: first.actionName,
    kernelNs: kernel === undefined ? undefined : median(kernelSamples),
    kernelReportedNs: kernel === undefined ? undefined : median(kernelReported),
    kernelRetval,
    compiledNs: compiled.nsPerIteration,
    referenceNs,
    setupNs,
    referenceExecNs: Math.max(referenceNs - setupNs, 0),
    compiledCallNs: compiledCall.nsPerIteration,
    referenceCallNs: referenceCall.nsPerIteration,
  };
}
