// The LRU lists of kernel/bpf/bpf_lru_list.c that decide which element an LRU
// hash evicts, modelled step by step for one thread of execution at a time.
//
// Common LRU (the default): one global list pair (active, inactive) plus a
// global free count, and per CPU a local free count and a "pending" list of
// nodes handed out by that CPU and not yet flushed into the global lists.
// A CPU takes a node from its local free pool; when that is empty it flushes
// its pending list (referenced nodes to active, others to inactive), rotates
// the global lists, moves up to target_free free nodes to its pool, and if
// there were fewer it shrinks: evicts unreferenced nodes from the inactive
// tail (referenced ones get a second chance on the active list), or, failing
// that, force-evicts one node. If still empty it steals a free or pending
// node from the CPUs in round-robin order.
//
// Per-CPU LRU (BPF_F_NO_COMMON_LRU): each CPU owns max_entries / cpus nodes
// and its own list pair; a new node goes straight to the inactive head, and
// an empty free list triggers a shrink of up to 4 nodes of that CPU only.
//
// Free nodes carry no state the eviction order depends on, so the free lists
// are counts; nodes in use are objects in circular doubly linked lists with a
// sentinel, like the kernel's list_head. The `ref` bit is what a program's
// lookup sets (bpf_lru_node_set_ref).

// Kernel constants: LOCAL_FREE_TARGET, LOCAL_NR_SCANS, PERCPU_FREE_TARGET, PERCPU_NR_SCANS.
const LOCAL_FREE_TARGET = 128;
const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;
const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

type Place = "active" | "inactive" | "pending" | "sentinel";

export class LruNode<Owner> {
  prev: LruNode<Owner> = this;
  next: LruNode<Owner> = this;
  place: Place;
  ref = false;
  cpu: number;
  owner: Owner | undefined;

  constructor(place: Place, cpu: number, owner?: Owner) {
    this.place = place;
    this.cpu = cpu;
    this.owner = owner;
  }
}

class NodeList<Owner> {
  readonly head: LruNode<Owner> = new LruNode<Owner>("sentinel", -1);
  length = 0;

  get empty(): boolean {
    return this.head.next === this.head;
  }

  get tail(): LruNode<Owner> {
    return this.head.prev;
  }

  addHead(node: LruNode<Owner>): void {
    node.prev = this.head;
    node.next = this.head.next;
    this.head.next.prev = node;
    this.head.next = node;
    this.length++;
  }

  unlink(node: LruNode<Owner>): void {
    node.prev.next = node.next;
    node.next.prev = node.prev;
    node.prev = node;
    node.next = node;
    this.length--;
  }

  // From tail to head, each node's predecessor read before the node is handled.
  *fromTail(): Generator<LruNode<Owner>> {
    let node = this.head.prev;
    while (node !== this.head) {
      const before = node.prev;
      yield node;
      node = before;
    }
  }
}

// One list pair with its free count and inactive rotation cursor (struct bpf_lru_list).
class ListSet<Owner> {
  readonly active = new NodeList<Owner>();
  readonly inactive = new NodeList<Owner>();
  free: number;
  rotation: LruNode<Owner>;

  constructor(free: number) {
    this.free = free;
    this.rotation = this.inactive.head;
  }

  listOf(place: "active" | "inactive"): NodeList<Owner> {
    return place === "active" ? this.active : this.inactive;
  }
}

// Per-CPU part of the common LRU (struct bpf_lru_locallist).
class LocalList<Owner> {
  free = 0;
  readonly pending = new NodeList<Owner>();
  nextSteal: number;

  constructor(cpu: number) {
    this.nextSteal = cpu;
  }
}

// Where shrinking puts the nodes it frees: a local pool or a list set's own free count.
interface FreeSink {
  free: number;
}

export class LruLists<Owner> {
  private readonly nodeCount: number;
  private readonly perCpuLists: boolean;
  private readonly cpus: number;
  private readonly nrScans: number;
  private readonly targetFree: number;
  private readonly sets: ListSet<Owner>[];
  private readonly locals: LocalList<Owner>[];
  // Removes the owner of an evicted node from the hash table (htab_lru_map_delete_node).
  private readonly evict: (owner: Owner) => boolean;

  constructor(nodeCount: number, cpus: number, perCpuLists: boolean, evict: (owner: Owner) => boolean) {
    this.nodeCount = nodeCount;
    this.perCpuLists = perCpuLists;
    this.cpus = cpus;
    this.evict = evict;
    this.nrScans = perCpuLists ? PERCPU_NR_SCANS : LOCAL_NR_SCANS;
    // bpf_common_lru_populate: clamp((nr_elems / num_possible_cpus()) / 2, 1, LOCAL_FREE_TARGET).
    this.targetFree = Math.min(Math.max(Math.floor(Math.floor(nodeCount / cpus) / 2), 1), LOCAL_FREE_TARGET);
    if (perCpuLists) {
      const perCpu = Math.floor(nodeCount / cpus);
      this.sets = Array.from({ length: cpus }, () => new ListSet<Owner>(perCpu));
    } else {
      this.sets = [new ListSet<Owner>(nodeCount)];
    }
    this.locals = perCpuLists ? [] : Array.from({ length: cpus }, (_, cpu) => new LocalList<Owner>(cpu));
  }

  setRef(node: LruNode<Owner>): void {
    node.ref = true;
  }

  // bpf_lru_pop_free: a node for a new element, or undefined (the update then fails with ENOMEM).
  popFree(cpu: number, owner: Owner): LruNode<Owner> | undefined {
    return this.perCpuLists ? this.popFreePerCpu(cpu, owner) : this.popFreeCommon(cpu, owner);
  }

  // bpf_lru_push_free: the node's element left the table.
  pushFree(node: LruNode<Owner>): void {
    node.owner = undefined;
    if (node.place === "pending") {
      const local = this.locals[node.cpu];
      local.pending.unlink(node);
      local.free++;
      return;
    }
    const set = this.perCpuLists ? this.sets[node.cpu] : this.sets[0];
    this.detach(set, node);
    set.free++;
  }

  // ---- list moves (__bpf_lru_node_move, __bpf_lru_node_move_in, __bpf_lru_node_move_to_free)

  // Takes a node out of its active/inactive list, stepping the rotation cursor back past it.
  private detach(set: ListSet<Owner>, node: LruNode<Owner>): void {
    if (node === set.rotation) set.rotation = node.prev;
    set.listOf(node.place as "active" | "inactive").unlink(node);
  }

  private moveTo(set: ListSet<Owner>, node: LruNode<Owner>, place: "active" | "inactive"): void {
    this.detach(set, node);
    node.ref = false;
    node.place = place;
    set.listOf(place).addHead(node);
  }

  private moveToFree(set: ListSet<Owner>, node: LruNode<Owner>, sink: FreeSink): void {
    this.detach(set, node);
    node.owner = undefined;
    sink.free++;
  }

  // ---- rotation and shrinking (shared by both flavours)

  private rotate(set: ListSet<Owner>): void {
    if (set.inactive.length < set.active.length) this.rotateActive(set);
    this.rotateInactive(set);
  }

  // From the active tail: referenced nodes back to the active head, the others to the inactive head.
  private rotateActive(set: ListSet<Owner>): void {
    const first = set.active.head.next;
    let scanned = 0;
    for (const node of set.active.fromTail()) {
      this.moveTo(set, node, node.ref ? "active" : "inactive");
      if (++scanned === this.nrScans || node === first) break;
    }
  }

  // From the rotation cursor backwards (wrapping over the list head): referenced nodes move to active.
  private rotateInactive(set: ListSet<Owner>): void {
    const inactive = set.inactive;
    if (inactive.empty) return;
    let last = set.rotation.next;
    if (last === inactive.head) last = last.next;
    let cursor = set.rotation;
    let next: LruNode<Owner> = inactive.head;
    let scanned = 0;
    while (scanned < this.nrScans) {
      if (cursor === inactive.head) {
        cursor = cursor.prev;
        continue;
      }
      const node = cursor;
      next = cursor.prev;
      if (node.ref) this.moveTo(set, node, "active");
      if (cursor === last) break;
      cursor = next;
      scanned++;
    }
    set.rotation = next;
  }

  private shrinkInactive(set: ListSet<Owner>, target: number, sink: FreeSink): number {
    let shrunk = 0;
    let scanned = 0;
    for (const node of set.inactive.fromTail()) {
      if (node.ref) {
        this.moveTo(set, node, "active");
      } else if (node.owner !== undefined && this.evict(node.owner)) {
        this.moveToFree(set, node, sink);
        if (++shrunk === target) break;
      }
      if (++scanned === this.nrScans) break;
    }
    return shrunk;
  }

  private shrink(set: ListSet<Owner>, target: number, sink: FreeSink): number {
    const shrunk = this.shrinkInactive(set, target, sink);
    if (shrunk > 0) return shrunk;
    // Force: evict one node ignoring the ref bit, the inactive list preferred.
    const victims = set.inactive.empty ? set.active : set.inactive;
    for (const node of victims.fromTail()) {
      if (node.owner !== undefined && this.evict(node.owner)) {
        this.moveToFree(set, node, sink);
        return 1;
      }
    }
    return 0;
  }

  // ---- common LRU

  private flushPending(set: ListSet<Owner>, local: LocalList<Owner>): void {
    for (const node of local.pending.fromTail()) {
      local.pending.unlink(node);
      const place = node.ref ? "active" : "inactive";
      node.ref = false;
      node.place = place;
      set.listOf(place).addHead(node);
    }
  }

  private refillLocal(local: LocalList<Owner>): void {
    const set = this.sets[0];
    this.flushPending(set, local);
    this.rotate(set);
    const taken = Math.min(set.free, this.targetFree);
    set.free -= taken;
    local.free += taken;
    if (taken < this.targetFree) this.shrink(set, this.targetFree - taken, local);
  }

  private addPending(local: LocalList<Owner>, cpu: number, owner: Owner, node?: LruNode<Owner>): LruNode<Owner> {
    const fresh = node ?? new LruNode<Owner>("pending", cpu, owner);
    fresh.place = "pending";
    fresh.cpu = cpu;
    fresh.ref = false;
    fresh.owner = owner;
    local.pending.addHead(fresh);
    return fresh;
  }

  // From the pending tail: an unreferenced node first, any node on the second pass.
  private stealPending(local: LocalList<Owner>): LruNode<Owner> | undefined {
    for (const force of [false, true]) {
      for (const node of local.pending.fromTail()) {
        if ((force || !node.ref) && node.owner !== undefined && this.evict(node.owner)) {
          local.pending.unlink(node);
          return node;
        }
      }
    }
    return undefined;
  }

  private popFreeCommon(cpu: number, owner: Owner): LruNode<Owner> | undefined {
    const local = this.locals[cpu];
    if (local.free === 0) this.refillLocal(local);
    if (local.free > 0) {
      local.free--;
      return this.addPending(local, cpu, owner);
    }
    const firstSteal = local.nextSteal;
    let steal = firstSteal;
    let stolen: LruNode<Owner> | undefined;
    let fromPool = false;
    do {
      const victim = this.locals[steal];
      if (victim.free > 0) {
        victim.free--;
        fromPool = true;
      } else {
        stolen = this.stealPending(victim);
      }
      steal = (steal + 1) % this.cpus;
    } while (!fromPool && stolen === undefined && steal !== firstSteal);
    local.nextSteal = steal;
    if (!fromPool && stolen === undefined) return undefined;
    return this.addPending(local, cpu, owner, stolen);
  }

  // ---- per-CPU LRU

  private popFreePerCpu(cpu: number, owner: Owner): LruNode<Owner> | undefined {
    const set = this.sets[cpu];
    this.rotate(set);
    if (set.free === 0) this.shrink(set, PERCPU_FREE_TARGET, set);
    if (set.free === 0) return undefined;
    set.free--;
    const node = new LruNode<Owner>("inactive", cpu, owner);
    set.inactive.addHead(node);
    return node;
  }

  // ---- copying

  // A copy of every list and count; `ownerOf` maps each node's owner to the copy's owner,
  // `onNode` reports each new node with its copied owner (to re-link the copy's elements).
  cloneWith<Copy>(
    ownerOf: (owner: Owner) => Copy,
    onNode: (node: LruNode<Copy>, owner: Copy) => void,
    evict: (owner: Copy) => boolean,
  ): LruLists<Copy> {
    const copy = new LruLists<Copy>(this.nodeCount, this.cpus, this.perCpuLists, evict);
    const copyList = (from: NodeList<Owner>, to: NodeList<Copy>, cursor?: LruNode<Owner>): LruNode<Copy> | undefined => {
      let cursorCopy: LruNode<Copy> | undefined;
      for (const node of from.fromTail()) {
        const owner = node.owner === undefined ? undefined : ownerOf(node.owner);
        const twin = new LruNode<Copy>(node.place, node.cpu, owner);
        twin.ref = node.ref;
        to.addHead(twin);
        if (owner !== undefined) onNode(twin, owner);
        if (node === cursor) cursorCopy = twin;
      }
      return cursorCopy;
    };
    this.sets.forEach((set, index) => {
      const twin = copy.sets[index];
      twin.free = set.free;
      copyList(set.active, twin.active);
      const cursor = copyList(set.inactive, twin.inactive, set.rotation);
      twin.rotation = cursor ?? twin.inactive.head;
    });
    this.locals.forEach((local, index) => {
      const twin = copy.locals[index];
      twin.free = local.free;
      twin.nextSteal = local.nextSteal;
      copyList(local.pending, twin.pending);
    });
    return copy;
  }
}
