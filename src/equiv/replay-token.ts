// A replay token: everything `offload-sim equiv --replay TOKEN` needs to run
// exactly the shrunk counterexample again — fast-check's seed and the path of
// the shrink, and the options that shape the generated cases (core counts,
// preset, kernel side, generated programs or the object's own). It is JSON in
// base64url, so it survives a shell and a CI log unquoted.
import { EquivInputError } from "./errors.ts";

export const TOKEN_VERSION = 1;

export interface ReplayToken {
  readonly seed: number;
  // fast-check's counterexample path ("3:1:0").
  readonly path: string;
  readonly cores: readonly number[];
  readonly preset: string;
  readonly kernel: boolean;
  // Generated programs (the program is part of the case) rather than the object's program.
  readonly generated: boolean;
}

export function encodeReplayToken(token: ReplayToken): string {
  const json = JSON.stringify({ v: TOKEN_VERSION, s: token.seed, p: token.path, c: token.cores, r: token.preset, k: token.kernel ? 1 : 0, g: token.generated ? 1 : 0 });
  return Buffer.from(json, "utf8").toString("base64url");
}

export function decodeReplayToken(text: string): ReplayToken {
  const bad = (why: string): never => {
    throw new EquivInputError(`--replay: '${text.length > 40 ? `${text.slice(0, 40)}...` : text}' is not a replay token offload-sim printed (${why}).`);
  };
  if (!/^[A-Za-z0-9_-]+$/.test(text)) bad("a token is base64url text");
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return bad("it does not decode to JSON");
  }
  if (typeof raw !== "object" || raw === null) return bad("it does not decode to an object");
  const o = raw as Record<string, unknown>;
  if (o.v !== TOKEN_VERSION) bad(`version ${String(o.v)}, this offload-sim reads version ${TOKEN_VERSION}`);
  if (!Number.isInteger(o.s)) bad("no seed");
  if (typeof o.p !== "string" || !/^\d+(:\d+)*$/.test(o.p)) bad("no counterexample path");
  if (!Array.isArray(o.c) || o.c.length === 0 || !o.c.every((c) => Number.isInteger(c) && c > 0)) bad("no core counts");
  if (typeof o.r !== "string" || o.r.length === 0) bad("no preset");
  return { seed: o.s as number, path: o.p as string, cores: o.c as number[], preset: o.r as string, kernel: o.k === 1, generated: o.g === 1 };
}
