// The reference interpreter's public surface.
export { run } from "./run.ts";
export { DEFAULT_MAX_STEPS, type ExternName, type RegisterSeed, type ResumePoint, type RunEnv, type RunInput, type RunOptions, type RunResult, type TraceStep } from "./env.ts";
export type { Fault, MemoryAccessError, RegionKind } from "./fault.ts";
export { MAX_CALL_FRAMES, STACK_BYTES } from "./machine.ts";
export { Segment, segmentBase } from "./memory.ts";
export { formatTraceStep } from "./trace.ts";
// The compiled tier: the same contract, generated JavaScript (docs/performance.md).
export { CompiledSession, runCompiled, runTier, type CompiledRunOptions, type Tier } from "./compile.ts";
