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
  type LoadedObjectBtf,
  type LoadVerdict,
  type MapDump,
  type MapEntry,
  type ObjectBtfProblem,
  type PerCpuMapEntry,
} from "./session.ts";
export type { FuncInfo, LineInfo, ProgramBtf, ProgramLoadSpec } from "./prog-load.ts";
export { prepareObjectBtf, type MapBtfIds, type ObjectBtf } from "./object-btf.ts";
export { spinLockMapBtf } from "./spin-lock-btf.ts";
export { FULL_BTF_SUPPORT, type BtfKernelSupport } from "./btf-features.ts";
export { sanitizeBtf } from "./btf-sanitize.ts";
export type { XdpTestRunInput, XdpTestRunResult, RawTestRunInput, RawTestRunResult } from "./test-run.ts";
export type { ProgramInfo, MapInfo } from "./obj-info.ts";
export { isDumpableMapType, isPerCpuMapType, type MapBtf, type ValueShape } from "./map-commands.ts";
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
