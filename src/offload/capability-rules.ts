// The rules of the capability check. Facts about the card (which helpers and
// map types, sizes, stack, atomics) come from the preset (hw-model/presets/,
// `offload` section) and are cited by their field; the rules below are the
// ones the preset schema has no field for yet: structural limits of the Linux
// nfp offload (drivers/net/ethernet/netronome/nfp/bpf/) and of the kernel's
// offload core, and the limits that keep the offloaded program exact.
export interface RuleInfo {
  readonly id: string;
  readonly summary: string;
  readonly source: string;
}

const rule = (id: string, summary: string, source: string): RuleInfo => ({ id, summary, source });

export const rules = {
  helper: rule("helper", "the helper is not in the card's helper list", "preset offload.helpers"),
  helperRoutine: rule("helper-routine", "the card lists the helper but its firmware has no routine for it", "hw-model/isa/fwcall.ts"),
  mapType: rule("map-type", "the map type cannot be offloaded", "preset offload.mapTypes"),
  mapSize: rule("map-size", "the map's key, value or entry is larger than the card's map table allows", "preset offload.maxKeyBytes / maxValueBytes / maxEntryBytes"),
  mapCount: rule("map-count", "the offloaded maps exceed the card's table count or total entries", "preset offload.maxMaps / maxMapEntries"),
  helperArgument: rule("helper-argument", "a helper argument is not of the kind its prototype asks for (the interpreter refuses the call)", "src/helpers/prototypes.ts; the firmware routines take the context implicitly"),
  mapArgument: rule("map-argument", "the map a helper uses is not the same map on every path", "nfp verifier.c: nfp_bpf_map_call_ok needs a constant map pointer"),
  keyOnStack: rule(
    "stack-argument",
    "map helper keys and values must be on the stack at a constant, 4-byte aligned offset",
    "Linux nfp/bpf/verifier.c nfp_bpf_stack_arg_ok ('unsupported ptr type', 'variable pointer', 'unaligned stack pointer')",
  ),
  mapValueStore: rule("map-value-store", "the card does not allow stores into map values", "preset offload.mapValueStores (nfp verifier.c: 'map writes not supported')"),
  atomic: rule("atomic", "the atomic operation is not supported by the card", "preset offload.atomicOps (nfp verifier.c nfp_bpf_check_atomic: BPF_ADD on map values only)"),
  atomicTarget: rule("atomic-target", "atomics are only offloaded on map values", "Linux nfp/bpf/verifier.c nfp_bpf_check_atomic ('atomic add not to a map value pointer')"),
  directValue: rule(
    "direct-value",
    "direct access to a map value (global data) is not possible on offloaded maps",
    "Linux kernel/bpf/verifier.c resolve_pseudo_ldimm64 needs map_direct_value_addr, which kernel/bpf/offload.c bpf_map_offload_ops does not provide",
  ),
  context: rule("context", "the NIC provides only the xdp_md fields it has a status register for, read with 4-byte loads", "hw-model/isa/csr.ts; nfp jit.c mem_ldx_xdp"),
  contextStore: rule("context-store", "stores to the context are not offloaded", "Linux nfp/bpf/verifier.c nfp_bpf_check_store ('unsupported store to context field')"),
  pointerKind: rule("pointer-kind", "a memory access whose base register is not the same kind of pointer on every path", "Linux nfp/bpf/verifier.c nfp_bpf_check_ptr ('ptr type changed for instruction')"),
  pointerValue: rule(
    "pointer-value",
    "the instruction depends on a pointer's numeric value, which differs between host and NIC",
    "offload-sim: NIC pointers are 32-bit model addresses (hw-model/exec/address.ts)",
  ),
  adjustHead: rule(
    "adjust-head",
    "bpf_xdp_adjust_head may grow the head by more than the headroom the NIC guarantees",
    "preset offload.adjustHeadGuaranteedSubBytes (nfp verifier.c nfp_record_adjust_head)",
  ),
  adjustTail: rule(
    "adjust-tail",
    "the NIC's bpf_xdp_adjust_tail only shrinks the packet",
    "Linux nfp/bpf/jit.c adjust_tail ('add must overflow to make length smaller')",
  ),
  perfOutput: rule(
    "perf-output",
    "bpf_perf_event_output must use BPF_F_CURRENT_CPU and no other flags",
    "Linux nfp/bpf/verifier.c nfp_bpf_check_helper_call ('event_output: must use BPF_F_CURRENT_CPU')",
  ),
  instruction: rule("instruction", "the NIC does not run this kind of instruction", "Linux nfp/bpf/jit.c instr_cb table (no callx, kfuncs or legacy packet loads)"),
  stackBounds: rule(
    "stack-bounds",
    "a stack access not known to stay inside the frame (the interpreter faults there; the NIC's local memory would not)",
    "Linux kernel/bpf/verifier.c check_stack_access_within_bounds; offload-sim keeps such accesses on the host so their fault is the host's",
  ),
  readOnlyMap: rule("read-only-map", "a store into a value of a map the program may only read", "BPF_F_RDONLY_PROG (include/uapi/linux/bpf.h): the interpreter refuses the write"),
  mapEntryProgram: rule(
    "map-entry-program",
    "a program the kernel runs from a devmap or cpumap entry, and a redirect into a map whose entries carry one, run on the host",
    "Linux kernel/bpf/devmap.c __dev_map_alloc_node and kernel/bpf/cpumap.c __cpu_map_load_bpf_program take an entry's program with attach_drv false, which kernel/bpf/syscall.c bpf_prog_get_ok refuses for a device-bound program; net/core/dev.c dev_xdp_attach ('BPF_XDP_DEVMAP programs can not be attached to a device'); nfp verifier.c nfp_bpf_check_helper_call has no bpf_redirect_map",
  ),
  stack: rule("stack", "the program's eBPF stack is larger than the card's (what does not fit local memory goes to the thread's scratch window, so local memory is no limit)", "preset offload.stackBytes (nfp verifier.c nfp_bpf_finalize: 'stack too large')"),
  exit: rule("exit", "the program returns a pointer", "offload-sim: the XDP action is the low word of r0"),
} as const;

export type RuleId = keyof typeof rules;
