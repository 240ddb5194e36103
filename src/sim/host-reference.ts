// The host side of the equivalence check: the same packets, in the same order,
// through the host interpreter (src/interp, its compiled tier), on its own copy of
// the initial maps. It also counts how often each eBPF instruction runs over
// the first packets, for the listing's hot instructions. The profiled packets
// go through runXdp and the reference interpreter (the only tier with a
// per-instruction trace); the others through one XdpPacketSession per port
// (the port is the packet's ingress ifindex), which gives runXdp's results
// without building a frame, a machine and compiled code per packet.
import type { Program } from "../ebpf/instruction.ts";
import { DEFAULT_CLOCK, seededRandom, type SimClock } from "../helpers/runtime.ts";
import type { SimMap } from "../maps/index.ts";
import { XdpPacketSession, runXdp, type XdpSessionOptions, type XdpRunResult } from "../xdp/index.ts";

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

// A session whose runs have given this many regions addresses (map values, ring-buffer records) is
// built again, so that a program that keeps adding map elements or records keeps its memory bounded.
export const SESSION_REGION_LIMIT = 65_536;

export class HostReference {
  // Executions per eBPF instruction slot, over the profiled packets.
  readonly hits: Uint32Array;
  profiledPackets = 0;
  private random = seededRandom(1);
  private readonly sessions = new Map<number, XdpPacketSession>();

  constructor(readonly setup: HostReferenceSetup) {
    this.hits = new Uint32Array(setup.program.length);
  }

  // Starts the random source on the seed the NIC executor starts from.
  reseed(seed: number): void {
    this.random = seededRandom(seed);
    this.sessions.clear();
  }

  // An unprofiled run's byte arrays are views of its port's frame: read them before that port's next run.
  run(packet: Uint8Array, port: number, profile: boolean): XdpRunResult {
    if (!profile) return this.sessionOf(port).run(packet);
    const hits = this.hits;
    const program = this.setup.program;
    this.profiledPackets++;
    return runXdp(this.setup.program, packet, this.setup.maps, {
      ...this.options(port),
      // With onStep the compiled tier hands the run to the reference interpreter.
      tier: "compiled",
      onStep: (step) => {
        // Only this program's own instructions: after a tail call, pcs number another program's.
        if (step.insn === program[step.pc]) hits[step.pc]++;
      },
    });
  }

  private sessionOf(port: number): XdpPacketSession {
    const known = this.sessions.get(port);
    if (known !== undefined && known.allocatedRegions < SESSION_REGION_LIMIT) return known;
    const session = new XdpPacketSession(this.setup.program, this.setup.maps, this.options(port));
    this.sessions.set(port, session);
    return session;
  }

  private options(port: number): XdpSessionOptions {
    return {
      programs: this.setup.programs,
      random: this.random,
      clock: RUN_CLOCK,
      rx: { ingressIfindex: FIRST_PORT_IFINDEX + port, rxQueueIndex: 0, egressIfindex: 0 },
    };
  }
}
