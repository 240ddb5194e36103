// The work trace: what one packet asked of the hardware, as the functional
// executor found it, for the timing model to replay. A flat Int32Array of
// records, each an opcode followed by its fields:
//
//   STAGE  stage                      a stage of the image starts (on some thread)
//   RUN    cycles                     the thread issues instructions for `cycles` cycles
//   MEM    target bytes kind signal   a memory command is issued (async; raises `signal`)
//   WAIT   signalMask                 the thread waits for these signals (swapped out)
//   END    kind arg bytes             the stage ends: a handover to ring `arg`,
//                                     a verdict with action `arg`, the host, or a fault
//
// `target` is a memory-unit instance index of the topology (timing/topology.ts),
// or one of the packet targets below, which the timing model resolves by where
// the packet sits. Consecutive RUN records are merged as they are written.
export const T_STAGE = 0;
export const T_RUN = 1;
export const T_MEM = 2;
export const T_WAIT = 3;
export const T_END = 4;

export const MemKind = { READ: 0, WRITE: 1, ATOMIC: 2 } as const;
export type MemKindCode = (typeof MemKind)[keyof typeof MemKind];

// Packet bytes in the CTM of the island the packet was received into.
export const TARGET_PACKET_HEAD = -1;
// Packet bytes beyond the CTM part, in external memory.
export const TARGET_PACKET_TAIL = -2;
// The running thread's scratch window (address region 4), in the unit memory.threadScratch names on the thread's island.
// (-3 is the firmware's local-memory marker, hw-model/firmware/routines.ts.)
export const TARGET_THREAD_SCRATCH = -4;

export const EndKind = { HANDOVER: 0, VERDICT: 1, HOST: 2, FAULT: 3 } as const;
export type EndKindCode = (typeof EndKind)[keyof typeof EndKind];

export class TraceWriter {
  buf: Int32Array;
  length = 0;
  // Index of the open RUN record's cycle field, or -1.
  private runAt = -1;

  constructor(initialWords = 256) {
    this.buf = new Int32Array(initialWords);
  }

  reset(): void {
    this.length = 0;
    this.runAt = -1;
  }

  private ensure(words: number): void {
    if (this.length + words <= this.buf.length) return;
    const grown = new Int32Array(Math.max(this.buf.length * 2, this.length + words));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }

  stage(stage: number): void {
    this.ensure(2);
    this.buf[this.length++] = T_STAGE;
    this.buf[this.length++] = stage;
    this.runAt = -1;
  }

  run(cycles: number): void {
    if (cycles <= 0) return;
    if (this.runAt >= 0) {
      this.buf[this.runAt] += cycles;
      return;
    }
    this.ensure(2);
    this.buf[this.length++] = T_RUN;
    this.runAt = this.length;
    this.buf[this.length++] = cycles;
  }

  mem(target: number, bytes: number, kind: MemKindCode, signal: number): void {
    this.ensure(5);
    const b = this.buf;
    b[this.length++] = T_MEM;
    b[this.length++] = target;
    b[this.length++] = bytes;
    b[this.length++] = kind;
    b[this.length++] = signal;
    this.runAt = -1;
  }

  wait(signalMask: number): void {
    this.ensure(2);
    this.buf[this.length++] = T_WAIT;
    this.buf[this.length++] = signalMask;
    this.runAt = -1;
  }

  end(kind: EndKindCode, arg: number, bytes: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.length++] = T_END;
    b[this.length++] = kind;
    b[this.length++] = arg;
    b[this.length++] = bytes;
    this.runAt = -1;
  }

  // A copy of the records written so far.
  snapshot(): Int32Array {
    return this.buf.slice(0, this.length);
  }
}

// Human-readable lines of a trace, for tests and debugging.
export function describeTrace(trace: Int32Array, length = trace.length): string[] {
  const lines: string[] = [];
  const endNames = ["handover", "verdict", "host", "fault"];
  const kindNames = ["read", "write", "atomic"];
  for (let i = 0; i < length; ) {
    switch (trace[i]) {
      case T_STAGE:
        lines.push(`stage ${trace[i + 1]}`);
        i += 2;
        break;
      case T_RUN:
        lines.push(`run ${trace[i + 1]}`);
        i += 2;
        break;
      case T_MEM: {
        const t = trace[i + 1];
        const target = t === TARGET_PACKET_HEAD ? "packet-head" : t === TARGET_PACKET_TAIL ? "packet-tail" : t === TARGET_THREAD_SCRATCH ? "thread-scratch" : `unit${t}`;
        lines.push(`mem ${kindNames[trace[i + 3]]} ${target} ${trace[i + 2]}B s${trace[i + 4]}`);
        i += 5;
        break;
      }
      case T_WAIT:
        lines.push(`wait 0x${trace[i + 1].toString(16)}`);
        i += 2;
        break;
      case T_END:
        lines.push(`end ${endNames[trace[i + 1]]} ${trace[i + 2]} ${trace[i + 3]}B`);
        i += 4;
        break;
      default:
        throw new Error(`corrupt trace record ${trace[i]} at ${i}`);
    }
  }
  return lines;
}
