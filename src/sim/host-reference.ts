// The host side of the equivalence check: the same packets, in the same order,
// through the host interpreter (src/interp via runXdp, its compiled tier), on its own copy of
// the initial maps. It also counts how often each eBPF instruction runs over
// the first packets, for the listing's hot instructions.
import type { Program } from "../ebpf/instruction.ts";
import { DEFAULT_CLOCK, seededRandom, type SimClock } from "../helpers/runtime.ts";
import type { SimMap } from "../maps/index.ts";
import { runXdp, type XdpRunResult } from "../xdp/index.ts";

// The card's ports as the host numbers its network devices: port p is ifindex FIRST_PORT_IFINDEX + p
// (ifindex 1 is the loopback device on Linux).
export const FIRST_PORT_IFINDEX = 2;

// bpf_ktime_get_ns and friends read one instant for the whole packet, wherever the call runs (the
// reference, or a host stage resumed midway, which cannot know how many instructions came before).
export const RUN_CLOCK: SimClock = { ...DEFAULT_CLOCK, nsPerInstruction: 0n };

export interface HostReferenceSetup {
  readonly program: Program;
  // Index i is the map the program's map reference i names (object order).
  readonly maps: readonly SimMap[];
  // Tail-call targets by the id a prog_array slot holds.
  readonly programs: ReadonlyMap<number, Program>;
}

export class HostReference {
  // Executions per eBPF instruction slot, over the profiled packets.
  readonly hits: Uint32Array;
  profiledPackets = 0;
  private random = seededRandom(1);

  constructor(readonly setup: HostReferenceSetup) {
    this.hits = new Uint32Array(setup.program.length);
  }

  // Starts the random source on the seed the NIC executor starts from.
  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  run(packet: Uint8Array, port: number, profile: boolean): XdpRunResult {
    const hits = this.hits;
    if (profile) this.profiledPackets++;
    return runXdp(this.setup.program, packet, this.setup.maps, {
      programs: this.setup.programs,
      random: this.random,
      clock: RUN_CLOCK,
      rx: { ingressIfindex: FIRST_PORT_IFINDEX + port, rxQueueIndex: 0, egressIfindex: 0 },
      // The compiled tier gives the reference interpreter's results, faster; a profiled run needs the reference's per-instruction steps.
      tier: "compiled",
      ...(profile
        ? {
            onStep: (step) => {
              if (step.pc < hits.length) hits[step.pc]++;
            },
          }
        : {}),
    });
  }
}
