// The partitioner: which IR blocks run in which pipeline stage, and how many
// cores each stage gets. Blocks are laid out in reverse post-order; a cut
// between two positions is legal when no edge goes backwards across it (a
// loop never straddles two stages, so packets only ever move forward). The
// cost of a stage is what its blocks cost per packet (cost.ts) plus the ring
// put and get of the state that crosses its cuts, i.e. the live registers and
// stack bytes there: a cut where little is live is cheap. A dynamic program
// picks the cuts that minimise the most expensive stage, and among those the
// most even split; cores then go one by one to the stage with the highest cost
// per replica.
import type { Preset } from "../../hw-model/presets/types.ts";
import { addCost, coreCyclesPerPacket, handoverCost, receiveCost, ZERO_COST, type Cost } from "./cost.ts";

export interface PartitionInput {
  // IR blocks in layout order.
  readonly order: readonly number[];
  // Per-packet cost of each IR block (frequency included).
  readonly cost: ReadonlyMap<number, Cost>;
  // Control flow between IR blocks with per-packet frequencies.
  readonly edges: readonly { readonly from: number; readonly to: number; readonly freq: number }[];
  // Bytes of state live on entry to a block (registers and stack).
  readonly liveBytes: (block: number) => number;
}

export interface Partition {
  // Stage of each IR block of the order.
  readonly stageOf: ReadonlyMap<number, number>;
  // Positions in the order where each stage starts.
  readonly starts: readonly number[];
  // Estimated per-packet cost of each stage (handovers included).
  readonly stageCost: readonly Cost[];
}

export function legalCuts(input: PartitionInput): boolean[] {
  const pos = new Map(input.order.map((b, i) => [b, i]));
  const legal = new Array<boolean>(input.order.length + 1).fill(true);
  for (const e of input.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (a === undefined || b === undefined || b > a) continue;
    // A backward edge a -> b forbids every cut in (b, a].
    for (let k = b + 1; k <= a; k++) legal[k] = false;
  }
  legal[0] = legal[input.order.length] = true;
  return legal;
}

// Handover cost at cut k (before position k), for the sending and receiving stage.
function cutCosts(input: PartitionInput, preset: Preset): { send: Cost[]; receive: Cost[] } {
  const n = input.order.length;
  const pos = new Map(input.order.map((b, i) => [b, i]));
  const send: Cost[] = new Array(n + 1).fill(ZERO_COST);
  const receive: Cost[] = new Array(n + 1).fill(ZERO_COST);
  for (let k = 1; k < n; k++) {
    let s = ZERO_COST;
    let r = ZERO_COST;
    for (const e of input.edges) {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      if (a === undefined || b === undefined || !(a < k && k <= b)) continue;
      const h = handoverCost(preset, input.liveBytes(e.to));
      s = addCost(s, h.sender, e.freq);
      r = addCost(r, h.receiver, e.freq);
    }
    send[k] = s;
    receive[k] = r;
  }
  return { send, receive };
}

export function partition(input: PartitionInput, stages: number, preset: Preset): Partition {
  const n = input.order.length;
  const legal = legalCuts(input);
  const { send, receive } = cutCosts(input, preset);
  const prefix: Cost[] = [ZERO_COST];
  input.order.forEach((b, i) => prefix.push(addCost(prefix[i], input.cost.get(b) ?? ZERO_COST)));
  const segment = (i: number, j: number): Cost => {
    let c: Cost = { issueCycles: prefix[j].issueCycles - prefix[i].issueCycles, waitCycles: prefix[j].waitCycles - prefix[i].waitCycles };
    c = addCost(c, i > 0 ? receive[i] : receiveCost(preset));
    if (j < n) c = addCost(c, send[j]);
    return c;
  };
  const s = Math.max(1, Math.min(stages, n));
  const cycles = (i: number, j: number): number => coreCyclesPerPacket(preset, segment(i, j));
  // Two passes of one dynamic program over (stages used, blocks covered): the first finds the least
  // bottleneck; the second, among splits within it, the most even one (least sum of squared stage
  // costs), so that a stage the bottleneck does not involve (stage 0 carries the firmware's fixed
  // receive cost) does not leave the others lopsided for replication to mend.
  const solve = (limit: number, score: (acc: number, c: number) => number): { best: number[][]; from: number[][] } => {
    const best: number[][] = Array.from({ length: s + 1 }, () => new Array(n + 1).fill(Infinity));
    const from: number[][] = Array.from({ length: s + 1 }, () => new Array(n + 1).fill(-1));
    best[0][0] = 0;
    for (let k = 1; k <= s; k++) {
      for (let j = 1; j <= n; j++) {
        if (!legal[j]) continue;
        for (let i = k - 1; i < j; i++) {
          if (!legal[i] || best[k - 1][i] === Infinity) continue;
          const c = cycles(i, j);
          if (c > limit) continue;
          const v = score(best[k - 1][i], c);
          if (v < best[k][j]) {
            best[k][j] = v;
            from[k][j] = i;
          }
        }
      }
    }
    return { best, from };
  };
  const bottleneck = solve(Infinity, Math.max).best;
  // Fewer stages when the legal cuts do not allow as many.
  let used = s;
  while (used > 1 && bottleneck[used][n] === Infinity) used--;
  // A relative slack keeps the second pass from losing the optimum to rounding.
  const { best, from } = solve(bottleneck[used][n] * (1 + 1e-9), (acc, c) => acc + c * c);
  const k = used;
  const starts: number[] = [];
  for (let j = n, kk = k; kk > 0; kk--) {
    const i = from[kk][j];
    starts.unshift(i);
    j = i;
  }
  const stageOf = new Map<number, number>();
  const stageCost: Cost[] = [];
  starts.forEach((start, st) => {
    const end = starts[st + 1] ?? n;
    for (let p = start; p < end; p++) stageOf.set(input.order[p], st);
    stageCost.push(segment(start, end));
  });
  return { stageOf, starts, stageCost };
}

// Cores per stage: one each, then each further core to the stage with the highest cost per replica.
export function replicate(costPerPacket: readonly number[], cores: number): number[] {
  const r = costPerPacket.map(() => 1);
  for (let c = costPerPacket.length; c < cores; c++) {
    let worst = 0;
    for (let s = 1; s < r.length; s++) if (costPerPacket[s] / r[s] > costPerPacket[worst] / r[worst]) worst = s;
    r[worst]++;
  }
  return r;
}
