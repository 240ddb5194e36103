// The maps API in one import: creation, the kinds' shared types, errno,
// flags, JSON load/dump, diff and clone.

export { createMap } from "./create.ts";
export type { CreateMapOptions } from "./create.ts";
export { MapError } from "./map-error.ts";
export { Errno, errnoName, negErrno } from "./errno.ts";
export type { ErrnoName } from "./errno.ts";
export { MapFlag, RingbufFlag, RingbufQuery } from "./flags.ts";
export { MapType, UpdateFlag, mapTypeName, mapTypeByName } from "./types.ts";
export type { BpfMap, MapDef, MapEntry, RedirectTarget, RingbufOps, RingbufSample, SimMap } from "./types.ts";
export { dumpMap, formatMapDump } from "./dump.ts";
export type { DumpEntry, MapDump } from "./dump.ts";
export { loadMapFile, loadMapJson } from "./load.ts";
export type { LoadOptions } from "./load.ts";
export { diffDumps, diffMaps, formatMapDiff } from "./diff.ts";
export type { MapDiff } from "./diff.ts";
export { cloneMap, cloneMaps } from "./clone.ts";
export { checkDef } from "./validate.ts";
export { BloomFilterMap, bloomBitMask, bloomHashFuncs } from "./bloom-filter.ts";
export { parseByteSpec } from "./byte-spec.ts";
