// The hardware model's public API: the microengine ISA, the functional executor,
// presets, NIC images and the timing simulation. src/offload and the CLI build
// on this; nothing here imports from them.
export { Op, Flag, opTable, opInfo, opByMnemonic, type OpInfo, type Format } from "./isa/opcode.ts";
export { A0, B0, X0, IMM, NONE, REG_COUNT, GPRS_PER_BANK, XFER_REGS, SIGNALS, LM_INDEX_REGS, parseRegister, registerName, bankOf } from "./isa/register.ts";
export { mk, microprogram, validateInsn, InsnError, type MicroInsn, type Microprogram } from "./isa/instruction.ts";
export { assemble } from "./isa/asm.ts";
export { disassemble, formatInsn } from "./isa/disasm.ts";
export { FwRoutine, fwRoutines, fwRoutineByName, type FwRoutineSignature } from "./isa/fwcall.ts";
export { Csr, csrNames } from "./isa/csr.ts";
export { Verdict, verdictNames } from "./isa/verdict.ts";
export { Region, REGION_SHIFT, packetAddress, localAddress, valueAddress, regionOf } from "./exec/address.ts";
export { Executor, REGISTER_POISON, LOCAL_MEMORY_POISON, type ExecImage, type PacketInput, type PacketOutcome, type PacketResult } from "./exec/executor.ts";
export type { ExecParams, FirmwareCosts } from "./exec/params.ts";
export { TraceWriter, describeTrace } from "./exec/trace.ts";
export { FW_SIGNAL, type PerfEvent } from "./firmware/routines.ts";
export { MapRuntime, mapFootprintBytes, tableBucketCount, type TableLayout } from "./firmware/map-runtime.ts";
export { loadPreset, loadPresetFile, parsePreset, presetNames, PRESET_DIR } from "./presets/load.ts";
export { presetSchema } from "./presets/schema.ts";
export type { Preset, MemoryKind } from "./presets/types.ts";
export { execParamsOf, totalCores, wireBytes, wireNs, cyclesPerNs, programInstructionLimit, firmwareCyclesPerPacket } from "./presets/derive.ts";
export { loadImage, codeStoreFit, type NicImage, type StageSpec, type MapPlacement, type LoadedImage, type CodeStoreFit } from "./image.ts";
export { buildTopology, type Topology, type UnitInstance } from "./timing/topology.ts";
export {
  simulate,
  type SimPacket,
  type SimOptions,
  type SimResult,
  type PacketRecord,
  type StageVisit,
  type HostStage,
  type HostHandoff,
  type UnitUsage,
  type CoreUsage,
  type Fate,
} from "./timing/simulator.ts";
export { MicrocodeAsmError, PresetError, ImageError } from "./errors.ts";
export { PROTO_COUNT_SOURCE, protoCountImage } from "./demo/proto-count.ts";
