// How often each block of a control-flow graph runs per entry, estimated
// statically in the classic way: the graph without its back edges is walked in
// topological order and a block passes its share on to its successors in even
// parts (a two-way branch goes either way with even odds); a block inside n
// nested loops is then multiplied by tripCount^n. A profile, when one is
// given, replaces the estimate (see cost.ts).
export interface Graph {
  readonly size: number;
  readonly entry: number;
  successors(node: number): readonly number[];
}

export interface LoopInfo {
  // DFS back edges "from>to".
  readonly backEdges: ReadonlySet<string>;
  // Loop nesting depth per node (natural loops of the back edges).
  readonly depth: Uint8Array;
  // Reverse post-order of the reachable nodes.
  readonly order: readonly number[];
  // Each loop header with its natural loop's body (merged over its back edges).
  readonly bodies: ReadonlyMap<number, ReadonlySet<number>>;
}

export function loops(g: Graph): LoopInfo {
  const state = new Uint8Array(g.size);
  const post: number[] = [];
  const backEdges = new Set<string>();
  const stack: [number, number][] = [[g.entry, 0]];
  state[g.entry] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const succ = g.successors(top[0]);
    if (top[1] < succ.length) {
      const s = succ[top[1]++];
      if (state[s] === 0) {
        state[s] = 1;
        stack.push([s, 0]);
      } else if (state[s] === 1) backEdges.add(`${top[0]}>${s}`);
    } else {
      state[top[0]] = 2;
      post.push(top[0]);
      stack.pop();
    }
  }
  const preds: number[][] = Array.from({ length: g.size }, () => []);
  for (let n = 0; n < g.size; n++) if (state[n]) for (const s of g.successors(n)) preds[s].push(n);
  const depth = new Uint8Array(g.size);
  const bodies = new Map<number, Set<number>>();
  for (const edge of backEdges) {
    const [tail, head] = edge.split(">").map(Number);
    const body = bodies.get(head) ?? new Set([head]);
    bodies.set(head, body);
    body.add(tail);
    const work = [tail];
    while (work.length) {
      const x = work.pop()!;
      if (x === head) continue;
      for (const p of preds[x]) if (!body.has(p)) {
        body.add(p);
        work.push(p);
      }
    }
  }
  for (const body of bodies.values()) for (const x of body) depth[x] = Math.min(255, depth[x] + 1);
  return { backEdges, depth, order: post.reverse(), bodies };
}

// tripCount(header): iterations per entry of the loop headed there; weight(node, succ): the
// relative odds of each forward edge (even odds when absent).
export function staticFrequencies(g: Graph, tripCount: (header: number) => number, weight: (node: number, succ: number) => number = () => 1): Float64Array {
  const info = loops(g);
  const share = new Float64Array(g.size);
  share[g.entry] = 1;
  for (const n of info.order) {
    const forward = [...new Set(g.successors(n))].filter((s) => !info.backEdges.has(`${n}>${s}`));
    const weights = forward.map((s) => weight(n, s));
    const total = weights.reduce((a, b) => a + b, 0) || 1;
    forward.forEach((s, i) => (share[s] += (share[n] * weights[i]) / total));
  }
  const factor = new Float64Array(g.size).fill(1);
  for (const [head, body] of info.bodies) for (const x of body) factor[x] *= tripCount(head);
  const freq = new Float64Array(g.size);
  for (const n of info.order) freq[n] = share[n] * factor[n];
  return freq;
}
