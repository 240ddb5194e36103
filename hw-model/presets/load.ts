// Loading presets: JSON text -> checked Preset. Every problem is reported as a
// PresetError naming the file and the field path, e.g.
//   nfp-4000.json: memory.emem.latencyCycles.value must be an integer >= 1, got 0.5.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { PresetError } from "../errors.ts";
import { presetSchema, type FieldSpec } from "./schema.ts";
import type { Preset } from "./types.ts";

export const PRESET_DIR = dirname(fileURLToPath(import.meta.url));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkParam(spec: FieldSpec, raw: unknown, path: string, fail: (path: string, what: string) => never, sources: Map<string, string>): unknown {
  if (spec.kind === "section") {
    if (!isObject(raw)) return fail(path, "must be an object");
    return checkSection(spec.fields, raw, path, fail, sources);
  }
  if (spec.kind === "text") {
    if (typeof raw !== "string" || raw.trim() === "") return fail(path, "must be a non-empty string");
    return raw;
  }
  if (!isObject(raw)) return fail(path, `must be an object { "value": ..., "source": "..." }`);
  for (const key of Object.keys(raw)) if (key !== "value" && key !== "source") fail(`${path}.${key}`, "is not a field of a parameter (value, source)");
  const source = raw.source;
  if (typeof source !== "string" || source.trim().length < 8) fail(`${path}.source`, "must say where the value comes from (or start with 'estimate:' and give the reasoning)");
  sources.set(path, source as string);
  const value = raw.value;
  const at = `${path}.value`;
  switch (spec.kind) {
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return fail(at, `must be a number, got ${JSON.stringify(value)}`);
      if (spec.integer && !Number.isInteger(value)) return fail(at, `must be an integer, got ${value}`);
      if (spec.min !== undefined && value < spec.min) return fail(at, `must be >= ${spec.min}, got ${value}`);
      if (spec.max !== undefined && value > spec.max) return fail(at, `must be <= ${spec.max}, got ${value}`);
      return value;
    }
    case "boolean":
      if (typeof value !== "boolean") return fail(at, `must be true or false, got ${JSON.stringify(value)}`);
      return value;
    case "strings": {
      if (!Array.isArray(value) || value.some((s) => typeof s !== "string")) return fail(at, "must be a list of strings");
      const bad = spec.allowed ? (value as string[]).find((s) => !spec.allowed!.includes(s)) : undefined;
      if (bad !== undefined) return fail(at, `has '${bad}', which is not one of ${spec.allowed!.join(", ")}`);
      return value;
    }
  }
}

function checkSection(fields: Readonly<Record<string, FieldSpec>>, raw: Record<string, unknown>, path: string, fail: (path: string, what: string) => never, sources: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = path ? `${path}.` : "";
  for (const key of Object.keys(raw)) if (!(key in fields) && key !== "$comment") fail(`${prefix}${key}`, "is not a known field");
  for (const [key, spec] of Object.entries(fields)) {
    if (!(key in raw)) fail(`${prefix}${key}`, `is missing (${spec.doc})`);
    out[key] = checkParam(spec, raw[key], `${prefix}${key}`, fail, sources);
  }
  return out;
}

// Parses and checks preset JSON; `file` names it in errors.
export function parsePreset(text: string, file: string): Preset {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PresetError(`${file}: not valid JSON (${(e as Error).message}).`, { file });
  }
  const fail = (path: string, what: string): never => {
    throw new PresetError(`${file}: ${path || "(top level)"} ${what}.`, { file, field: path });
  };
  if (!isObject(raw)) fail("", "must be an object");
  const sources = new Map<string, string>();
  const checked = checkSection(presetSchema, raw as Record<string, unknown>, "", fail, sources);
  const preset = { ...checked, sources } as unknown as Preset;
  checkConsistency(preset, fail);
  return preset;
}

// Cross-field rules the schema cannot say.
function checkConsistency(p: Preset, fail: (path: string, what: string) => never): void {
  if (p.rings.unit.length !== 1) fail("rings.unit.value", "must name exactly one memory unit kind");
  const scratch = p.memory.threadScratch;
  if (scratch.unit.length !== 1) fail("memory.threadScratch.unit.value", "must name exactly one memory unit kind");
  const scratchIslandBytes = scratch.bytesPerThread * p.topology.threadsPerCore * p.topology.coresPerIsland;
  if (scratch.unit.length === 1 && scratchIslandBytes > p.memory[scratch.unit[0]].bytes) fail("memory.threadScratch.bytesPerThread.value", `needs ${scratchIslandBytes} bytes per island, more than one ${scratch.unit[0]} holds`);
  if (p.core.localMemoryBytes % p.topology.threadsPerCore !== 0) fail("core.localMemoryBytes.value", "must divide evenly among the threads");
  if (p.core.localMemoryBytes / p.topology.threadsPerCore < p.offload.stackBytes) fail("offload.stackBytes.value", "does not fit in one thread's share of local memory");
  if (p.packet.ctmBufferBytes <= p.packet.headroomBytes) fail("packet.ctmBufferBytes.value", "must be larger than the headroom");
  if (p.firmware.codeStoreReservedInstructions >= p.core.codeStoreInstructions) fail("firmware.codeStoreReservedInstructions.value", "leaves no code store for programs");
}

export function loadPresetFile(path: string): Preset {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new PresetError(`${path}: cannot read the preset (${(e as NodeJS.ErrnoException).code ?? "error"}).`, { file: path });
  }
  return parsePreset(text, basename(path));
}

// Names of the presets shipped in hw-model/presets/.
export function presetNames(): string[] {
  return readdirSync(PRESET_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

// A shipped preset by name ("nfp-4000"), or a path to a JSON file.
export function loadPreset(nameOrPath: string): Preset {
  if (nameOrPath.endsWith(".json") || nameOrPath.includes("/")) return loadPresetFile(nameOrPath);
  const names = presetNames();
  if (!names.includes(nameOrPath)) throw new PresetError(`unknown preset '${nameOrPath}' (known: ${names.join(", ")}).`, { preset: nameOrPath });
  return loadPresetFile(join(PRESET_DIR, `${nameOrPath}.json`));
}
