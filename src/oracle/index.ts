// The differential oracle's public surface: ELF objects made runnable by the
// interpreter, one-packet runs, and the per-packet comparison with the kernel.
export {
  ObjectSetupError,
  createObjectMaps,
  loadMapContent,
  loadMapFileContent,
  parseMapAssignment,
  programId,
  selectProgram,
  selectXdpProgram,
  tailCallPrograms,
  type MapWrite,
  type ObjectMaps,
} from "./object-setup.ts";
export { formatObjectRun, objectRunJson, readObjectFile, runObject, type ObjectRunReport, type ObjectRunRequest } from "./run-object.ts";
export { EMPTY_ENVIRONMENT, EnvironmentError, environmentCommands, environmentRouteTable, parseEnvironment, type NetworkEnvironment } from "./environment.ts";
export { readEnvironmentSpec } from "./environment-file.ts";
export { kernelCheck, type CheckSettings, type KernelCheckReport, type KernelCheckRequest, type MapSource, type Mismatch, type SideOutcome } from "./kernel-check.ts";
export { formatKernelCheck, hexDump, kernelCheckJson } from "./kernel-check-report.ts";
export { EMPTY_POOL, generatePackets, type PacketPool, type TestPacket } from "./packet-generator.ts";
export { capturePackets, poolFromMaps, PacketSourceError } from "./packet-sources.ts";
export { compareSnapshots, type EntryDifference, type Snapshot } from "./map-snapshot.ts";
