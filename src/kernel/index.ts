// The kernel oracle's public surface: a resource-scoped binding of bpf().
export { kernelOracleAvailability, missingCapabilities, type KernelOracleAvailability } from "./availability.ts";
export { KernelError, errnoName, verifierVerdictLine } from "./kernel-error.ts";
export {
  KernelSession,
  KernelUnavailableError,
  withKernel,
  type CreateMapOptions,
  type KernelBtf,
  type KernelHandle,
  type KernelMap,
  type KernelPerfBuffer,
  type KernelRingbuf,
  type KernelProgram,
  type LoadVerdict,
  type MapDump,
  type MapEntry,
  type PerCpuMapEntry,
} from "./session.ts";
export type { FuncInfo, ProgramBtf, ProgramLoadSpec } from "./prog-load.ts";
export type { XdpTestRunInput, XdpTestRunResult, RawTestRunInput, RawTestRunResult } from "./test-run.ts";
export type { ProgramInfo, MapInfo } from "./obj-info.ts";
export { isDumpableMapType, isPerCpuMapType, type ValueShape } from "./map-commands.ts";
export {
  dumpMaps,
  instantiateObject,
  kernelMapNamed,
  type InstantiateOptions,
  type KernelObjectInstance,
  type ProgArraySlot,
} from "./object-instance.ts";
export { programImage, resolveMapReferences } from "./program-image.ts";
export { staticFuncBtf, type FuncBtf, type FunctionStart } from "./func-btf.ts";
export { countCpuList, cpuListMembers, onlineCpus, possibleCpuCount } from "./possible-cpus.ts";
export { paddedRawBytes, type PerfRecord } from "./perf-buffer.ts";
export { BpfCmd, LogLevel, MapFlag, ProgFlag, ProgType, TestRunFlag, XdpAttachType, type VerifierLogLevel } from "./uapi.ts";
