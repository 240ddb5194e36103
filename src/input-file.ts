// Reading a file the user named: what the system says when it cannot be read,
// in one sentence that names the file (not Node's message, which does not
// always carry the path).
import { readFileSync } from "node:fs";
import { OffloadSimError } from "./errors.ts";

export class InputFileError extends OffloadSimError {}

// The file errors a user meets, in words (the code stays in brackets for searching).
const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory (ENOENT)",
  EACCES: "permission denied (EACCES)",
  EISDIR: "it is a directory, not a file (EISDIR)",
  ENOTDIR: "a part of the path is not a directory (ENOTDIR)",
  EMFILE: "too many open files (EMFILE)",
};

export function fileErrorWords(code: string): string {
  return FILE_ERRORS[code] ?? code;
}

function read<T>(path: string, how: () => T): T {
  try {
    return how();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") throw new InputFileError(`cannot read ${path}: ${fileErrorWords(code)}.`, { file: path });
    throw error;
  }
}

export const readInputBytes = (path: string): Uint8Array => read(path, () => new Uint8Array(readFileSync(path)));
export const readInputText = (path: string, encoding: "utf8" | "latin1" = "utf8"): string => read(path, () => readFileSync(path, encoding));
