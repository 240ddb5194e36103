// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c). A key is a u32 prefixlen
// (host byte order, little-endian here) followed by key_size - 4 data bytes
// read big-endian: data[0] holds the most significant bits. The trie is the
// kernel's: a binary trie where each node holds a prefix, an unused
// "intermediate" node separates two diverging prefixes, and every
// intermediate node has exactly two children.
//   lookup: the longest stored prefix, no longer than the key's prefixlen,
//           that matches the key's data (a key prefixlen above the maximum is a miss);
//   update: EINVAL for prefixlen > 8 * data size or unknown flags, EEXIST/ENOENT
//           for BPF_NOEXIST/BPF_EXIST, ENOSPC when a new prefix would pass max_entries;
//   delete: exact prefix only (ENOENT otherwise), EINVAL for a too-long prefixlen;
//   get_next_key: postorder, more specific prefixes before the ones containing
//           them, the 0 branch before the 1 branch; an absent key restarts.
// Bits past a prefix are ignored when matching but kept as written: the
// stored key (seen by get_next_key and dumps) is the last one written.

import { MapBase } from "./base.ts";
import { compareBytes, readU32 } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, SimMap } from "./types.ts";

// Size of the prefixlen field in front of the data (struct bpf_lpm_trie_key_u8).
export const LPM_PREFIXLEN_BYTES = 4;

interface TrieNode {
  prefixLength: number;
  data: Uint8Array;
  value: Uint8Array | undefined; // undefined for an intermediate node
  children: [TrieNode | undefined, TrieNode | undefined];
}

// A key as the program or user gave it: the data bits start after the prefixlen field
// (no subarray is made for them: a typed-array view costs an allocation per lookup).
interface LpmKey {
  prefixLength: number;
  bytes: Uint8Array;
}

const KEY_DATA_BIT = LPM_PREFIXLEN_BYTES * 8;

function bitAt(data: Uint8Array, index: number): 0 | 1 {
  return (data[index >> 3] >> (7 - (index & 7))) & 1 ? 1 : 0;
}

// How many leading bits of node and key agree, at most min(node, key) prefix length.
function matchLength(node: TrieNode, key: LpmKey): number {
  const limit = Math.min(node.prefixLength, key.prefixLength);
  let bits = 0;
  // Whole bytes while they agree, then bit by bit.
  while (bits + 8 <= limit && node.data[bits >> 3] === key.bytes[LPM_PREFIXLEN_BYTES + (bits >> 3)]) bits += 8;
  while (bits < limit && bitAt(node.data, bits) === keyBit(key, bits)) bits++;
  return bits;
}

// Bit `index` of the key's data.
const keyBit = (key: LpmKey, index: number): 0 | 1 => bitAt(key.bytes, KEY_DATA_BIT + index);

export class LpmTrieMap extends MapBase implements SimMap {
  private root: TrieNode | undefined;
  private entryCount = 0;
  private readonly dataBytes: number;
  private readonly maxPrefixLength: number;

  constructor(def: MapDef, cpus: number) {
    super(def, cpus);
    this.dataBytes = def.keySize - LPM_PREFIXLEN_BYTES;
    this.maxPrefixLength = this.dataBytes * 8;
  }

  private parse(key: Uint8Array | undefined): LpmKey {
    const bytes = this.keyOf(key);
    return { prefixLength: readU32(bytes), bytes };
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    const wanted = this.parse(key);
    if (wanted.prefixLength > this.maxPrefixLength) return undefined;
    let found: TrieNode | undefined;
    let node = this.root;
    while (node !== undefined) {
      const matched = matchLength(node, wanted);
      if (matched === this.maxPrefixLength) {
        found = node;
        break;
      }
      if (matched < node.prefixLength) break;
      if (node.value !== undefined) found = node;
      node = node.children[keyBit(wanted, node.prefixLength)];
    }
    return found?.value;
  }

  // trie_check_add_elem: room and flags for one more prefix.
  private admitNew(flags: number): ErrnoValue {
    if (flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (this.entryCount === this.def.maxEntries) return -Errno.ENOSPC;
    this.entryCount++;
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): ErrnoValue {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const wanted = this.parse(key);
    if (wanted.prefixLength > this.maxPrefixLength) return -Errno.EINVAL;
    const fresh: TrieNode = {
      prefixLength: wanted.prefixLength,
      data: wanted.bytes.slice(LPM_PREFIXLEN_BYTES),
      value: this.valueOf(value, this.def.valueSize).slice(),
      children: [undefined, undefined],
    };
    // Walk down while the node's whole prefix matches and is shorter than the new one.
    let parent: TrieNode | undefined;
    let side: 0 | 1 = 0;
    let node = this.root;
    let matched = 0;
    while (node !== undefined) {
      matched = matchLength(node, wanted);
      if (node.prefixLength !== matched || node.prefixLength === wanted.prefixLength) break;
      parent = node;
      side = keyBit(wanted, node.prefixLength);
      node = node.children[side];
    }
    const attach = (replacement: TrieNode): void => {
      if (parent === undefined) this.root = replacement;
      else parent.children[side] = replacement;
    };
    if (node === undefined) {
      const error = this.admitNew(flags);
      if (error === 0) attach(fresh);
      return error;
    }
    if (node.prefixLength === matched) {
      // The same prefix: replace the node, keeping its children.
      const error = node.value !== undefined ? (flags === UpdateFlag.NOEXIST ? -Errno.EEXIST : 0) : this.admitNew(flags);
      if (error !== 0) return error;
      fresh.children = node.children;
      attach(fresh);
      return 0;
    }
    const error = this.admitNew(flags);
    if (error !== 0) return error;
    if (matched === wanted.prefixLength) {
      // The new prefix contains the node's: it becomes the node's parent.
      fresh.children[bitAt(node.data, matched)] = node;
      attach(fresh);
      return 0;
    }
    const intermediate: TrieNode = {
      prefixLength: matched,
      data: node.data.slice(),
      value: undefined,
      children: keyBit(wanted, matched) ? [node, fresh] : [fresh, node],
    };
    attach(intermediate);
    return 0;
  }

  delete(key: Uint8Array): ErrnoValue {
    const wanted = this.parse(key);
    if (wanted.prefixLength > this.maxPrefixLength) return -Errno.EINVAL;
    // The path: slots are (parent, side) pairs, the root's parent undefined.
    let grandParent: TrieNode | undefined;
    let parentSide: 0 | 1 = 0;
    let parent: TrieNode | undefined;
    let side: 0 | 1 = 0;
    let node = this.root;
    let matched = 0;
    while (node !== undefined) {
      matched = matchLength(node, wanted);
      if (node.prefixLength !== matched || node.prefixLength === wanted.prefixLength) break;
      grandParent = parent;
      parentSide = side;
      parent = node;
      side = keyBit(wanted, node.prefixLength);
      node = node.children[side];
    }
    if (node === undefined || node.prefixLength !== wanted.prefixLength || node.prefixLength !== matched || node.value === undefined) {
      return -Errno.ENOENT;
    }
    this.entryCount--;
    const setSlot = (owner: TrieNode | undefined, ownerSide: 0 | 1, replacement: TrieNode | undefined): void => {
      if (owner === undefined) this.root = replacement;
      else owner.children[ownerSide] = replacement;
    };
    const [left, right] = node.children;
    if (left !== undefined && right !== undefined) {
      node.value = undefined;
      return 0;
    }
    // A childless node under an intermediate one: the intermediate goes too, its other child moves up.
    if (parent !== undefined && parent.value === undefined && left === undefined && right === undefined) {
      setSlot(grandParent, parentSide, parent.children[side === 0 ? 1 : 0]);
      return 0;
    }
    setSlot(parent, side, left ?? right);
    return 0;
  }

  // Postorder successor of `key` (trie_get_next_key).
  private nextNode(key: Uint8Array | undefined): TrieNode | undefined {
    if (this.root === undefined) return undefined;
    const leftmost = (start: TrieNode): TrieNode | undefined => {
      let found: TrieNode | undefined;
      let node: TrieNode | undefined = start;
      while (node !== undefined) {
        if (node.value === undefined) {
          node = node.children[0];
        } else {
          found = node;
          node = node.children[0] ?? node.children[1];
        }
      }
      return found;
    };
    if (key === undefined) return leftmost(this.root);
    const wanted = this.parse(key);
    if (wanted.prefixLength > this.maxPrefixLength) return leftmost(this.root);
    const stack: TrieNode[] = [];
    let node: TrieNode | undefined = this.root;
    let matched = 0;
    while (node !== undefined) {
      stack.push(node);
      matched = matchLength(node, wanted);
      if (node.prefixLength !== matched || node.prefixLength === wanted.prefixLength) break;
      node = node.children[keyBit(wanted, node.prefixLength)];
    }
    if (node === undefined || node.prefixLength !== matched || node.value === undefined) return leftmost(this.root);
    let current = stack.pop() as TrieNode;
    while (stack.length > 0) {
      const parentNode = stack[stack.length - 1];
      const sibling = parentNode.children[1];
      if (parentNode.children[0] === current && sibling !== undefined) return leftmost(sibling);
      if (parentNode.value !== undefined) return parentNode;
      current = stack.pop() as TrieNode;
    }
    return undefined;
  }

  private keyBytes(node: TrieNode): Uint8Array {
    const bytes = new Uint8Array(this.def.keySize);
    new DataView(bytes.buffer).setUint32(0, node.prefixLength, true);
    bytes.set(node.data, LPM_PREFIXLEN_BYTES);
    return bytes;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const next = this.nextNode(key);
    return next === undefined ? undefined : this.keyBytes(next);
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const denied = this.sysReadDenied();
    if (denied !== 0) return denied;
    return this.lookup(this.keyOf(key), 0)?.slice() ?? -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    return denied !== 0 ? denied : this.update(this.keyOf(key), value, flags, 0);
  }

  sysDelete(key: Uint8Array | undefined): ErrnoValue {
    const denied = this.sysWriteDenied();
    return denied !== 0 ? denied : this.delete(this.keyOf(key));
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.getNextKey(key) ?? -Errno.ENOENT;
  }

  sysLookupAndDelete(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    this.keyOf(key);
    return -Errno.ENOTSUPP;
  }

  private realNodes(): TrieNode[] {
    const nodes: TrieNode[] = [];
    const visit = (node: TrieNode | undefined): void => {
      if (node === undefined) return;
      visit(node.children[0]);
      visit(node.children[1]);
      if (node.value !== undefined) nodes.push(node);
    };
    visit(this.root);
    return nodes;
  }

  get count(): number {
    return this.entryCount;
  }

  entries(): readonly MapEntry[] {
    return this.realNodes()
      .map((node) => ({ key: this.keyBytes(node), value: (node.value as Uint8Array).slice() }))
      .sort((a, b) => compareBytes(a.key, b.key));
  }

  clone(): LpmTrieMap {
    const copy = new LpmTrieMap(this.def, this.cpus);
    const copyNode = (node: TrieNode | undefined): TrieNode | undefined =>
      node === undefined
        ? undefined
        : {
            prefixLength: node.prefixLength,
            data: node.data.slice(),
            value: node.value?.slice(),
            children: [copyNode(node.children[0]), copyNode(node.children[1])],
          };
    copy.root = copyNode(this.root);
    copy.entryCount = this.entryCount;
    return copy;
  }
}
