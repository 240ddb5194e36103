// Which of an object's maps a program can change, from the front end's
// pointer-kind analysis: a store or atomic through a pointer into a map's
// value, a helper given a map or a pointer into a map's value (any helper but
// the ones that only read a map: lookup, tail call, redirect). A program whose
// every store and helper argument the analysis can place answers a set; one
// with a store or argument through an unknown pointer, a function address (a
// callback runs code the analysis does not follow) or code it cannot follow
// answers undefined: it may change any map. A tail call runs the object's
// other programs, so their maps count too.
//
// The differential check uses it to read back after each packet only the maps
// that can have changed: a 262,148-slot ring the program only reads cost more
// than a whole interpreter run per packet.
import type { Program } from "../ebpf/index.ts";
import { HelperId, helperPrototype } from "../helpers/index.ts";
import { MapType, type MapDef } from "../maps/types.ts";
import type { AbsVal } from "./abstract-value.ts";
import { frontEnd } from "./front-end.ts";

// Helpers that take a map and never change it.
const READS_MAP_ONLY: ReadonlySet<number> = new Set([HelperId.MAP_LOOKUP_ELEM, HelperId.TAIL_CALL, HelperId.REDIRECT_MAP]);
// Maps whose values name other maps: a lookup hands out an inner map the analysis does not track.
const MAP_OF_MAPS: ReadonlySet<number> = new Set([MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);

interface ProgramWrites {
  readonly written: ReadonlySet<number>;
  readonly tailCalls: boolean;
}

// The indexes (into `maps`) the program may change and whether it tail-calls, or undefined when it cannot be told.
function programWrites(program: Program, maps: readonly MapDef[]): ProgramWrites | undefined {
  if (maps.some((m) => MAP_OF_MAPS.has(m.type))) return undefined;
  let fe;
  try {
    fe = frontEnd(program, maps);
  } catch {
    return undefined;
  }
  const written = new Set<number>();
  let tailCalls = false;
  // A pointer the analysis places: its map when it is one, else nothing. `false`: it cannot place it.
  const mapOf = (v: AbsVal): number | undefined | false => {
    switch (v.k) {
      case "value":
      case "map":
        return v.map;
      case "top":
        return false;
      case "none":
      case "scalar":
      case "ctx":
      case "stack":
      case "packet":
        return undefined;
      default: {
        const unknown: never = v;
        return unknown;
      }
    }
  };
  for (const block of fe.ir.blocks) {
    const states = fe.analysis.before[block.id];
    if (states === undefined) continue;
    if (block.term.kind === "stop") return undefined;
    for (const [i, insn] of block.insns.entries()) {
      const state = states[i];
      if (insn.kind === "opaque") return undefined;
      if (insn.kind === "op") {
        const f = insn.form;
        if (f.kind !== "storeImm" && f.kind !== "storeReg" && f.kind !== "atomic") continue;
        const target = mapOf(state.regs[f.dst]);
        if (target === false) return undefined;
        if (target !== undefined) written.add(target);
      } else if (insn.kind === "helper") {
        if (insn.helperId === HelperId.TAIL_CALL) tailCalls = true;
        // The arguments the helper takes: registers past them hold whatever was left there.
        const argCount = helperPrototype(insn.helperId)?.args.length ?? insn.args.length;
        for (const reg of insn.args.slice(0, argCount)) {
          const v = state.regs[reg];
          const target = mapOf(v);
          if (target === false) return undefined;
          if (target !== undefined && !(v.k === "map" && READS_MAP_ONLY.has(insn.helperId))) written.add(target);
        }
      }
    }
  }
  return { written, tailCalls };
}

// The maps a run of `programs[entry]` may change: its own writes and, when it tail-calls, those of every
// program of the object (any of them may sit in a prog array slot); undefined when that cannot be told.
export function mapsRunMayWrite(programs: readonly Program[], entry: number, maps: readonly MapDef[]): ReadonlySet<number> | undefined {
  const first = programWrites(programs[entry], maps);
  if (first === undefined) return undefined;
  if (!first.tailCalls) return first.written;
  const all = new Set(first.written);
  for (const [index, program] of programs.entries()) {
    if (index === entry) continue;
    const other = programWrites(program, maps);
    if (other === undefined) return undefined;
    for (const map of other.written) all.add(map);
  }
  return all;
}
