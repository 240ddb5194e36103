// Runs the line protocol of kernel-probe.c against simulated maps, answering
// exactly as the probe prints, so a script's two transcripts can be compared.

import { toHex } from "../../src/maps/bytes.ts";
import { createMap } from "../../src/maps/create.ts";
import { errnoName } from "../../src/maps/errno.ts";
import { MapError } from "../../src/maps/map-error.ts";
import type { SimMap } from "../../src/maps/types.ts";

function fromHex(text: string | undefined): Uint8Array | undefined {
  if (text === undefined || text === "-") return undefined;
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function answer(result: Uint8Array | number): string {
  return typeof result === "number" ? (result === 0 ? "ok" : `err ${errnoName(result)}`) : `ok ${toHex(result)}`;
}

export function runSimScript(script: string, cpus: number): string[] {
  const maps: SimMap[] = [];
  const out: string[] = [];
  for (const line of script.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words[0] === "") continue;
    const [command, ...args] = words;
    if (command === "create") {
      const [type, keySize, valueSize, maxEntries, flags] = args.map(Number);
      try {
        maps.push(createMap({ name: `m${maps.length}`, type, keySize, valueSize, maxEntries, flags }, { cpus }));
        out.push(`ok ${maps.length - 1}`);
      } catch (error) {
        const errno = error instanceof MapError ? /with (E[A-Z0-9]+)/.exec(error.message)?.[1] : undefined;
        out.push(`err ${errno ?? "EUNKNOWN"}`);
      }
      continue;
    }
    const map = maps[Number(args[0])];
    const key = fromHex(args[1]);
    switch (command) {
      case "update":
        out.push(answer(map.sysUpdate(key, fromHex(args[2]) ?? new Uint8Array(0), Number(args[3] ?? 0), 0)));
        break;
      case "lookup":
        out.push(answer(map.sysLookup(key)));
        break;
      case "lookupdel":
        out.push(answer(map.sysLookupAndDelete(key, 0)));
        break;
      case "pop":
        out.push(answer(map.sysLookupAndDelete(undefined, 0)));
        break;
      case "delete":
        out.push(answer(map.sysDelete(key, 0)));
        break;
      case "next":
        out.push(answer(map.sysGetNextKey(key)));
        break;
      case "info":
        out.push(`ok ${map.def.maxEntries}`);
        break;
      default:
        out.push("bad");
    }
  }
  return out;
}
