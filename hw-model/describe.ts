// Markdown tables generated from the model's own tables, for docs/hw-model.md:
// the instruction set (from isa/opcode.ts) and every preset parameter with its
// value per preset and its source (from presets/*.json). docs-gen.ts writes them
// into the document between markers; a test checks the document is up to date.
import { opTable, type Format } from "./isa/opcode.ts";
import { presetSchema, type FieldSpec } from "./presets/schema.ts";
import type { Preset } from "./presets/types.ts";

const syntax: Readonly<Record<Format, string>> = {
  none: "",
  alu3: "d, a, b",
  alu1: "d, b",
  shift: "d, a, #n|rN",
  dblshift: "d, a, b, #n|rN",
  byteext: "d, a, #i",
  ldfield: "d, #mask, b, #rot",
  mulstart: "a, b",
  dest: "d",
  immed: "d, #imm16[, <<s]",
  branch: "label",
  bitbranch: "a, #bit, label",
  link: "d, label",
  jumpreg: "a",
  lmbase: "lN, a",
  lmload: "d, lN, #off, #w",
  lmstore: "lN, #off, a, #w",
  mem: "xK, a, #off, #bytes, sN[, swap]",
  arb: "sN[, sM...]",
  fwcall: "routine d, [#map,] args...",
  csr: "d, name",
  handover: "#ring, #liveMask, #lmOff, #lmBytes[, #scrOff, #scrBytes]",
  tohost: "#liveMask, #lmOff, #lmBytes[, #scrOff, #scrBytes]",
  verdict: "action | a",
};

const cell = (text: string): string => text.replace(/\|/g, "\\|");

export function instructionTableMarkdown(): string {
  const rows = ["| instruction | operands | what it does | NFP feature it stands for |", "|---|---|---|---|"];
  for (const info of opTable) {
    const suffix = info.format === "mem" ? "[.le]" : "";
    rows.push(`| \`${info.mnemonic}${suffix}\` | \`${cell(syntax[info.format]) || "—"}\` | ${cell(info.summary)} | \`${cell(info.nfp)}\` |`);
  }
  return rows.join("\n");
}

interface ParamRow {
  readonly path: string;
  readonly doc: string;
  readonly unit?: string;
}

function paramRows(fields: Readonly<Record<string, FieldSpec>>, prefix = ""): ParamRow[] {
  const rows: ParamRow[] = [];
  for (const [key, spec] of Object.entries(fields)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (spec.kind === "section") rows.push(...paramRows(spec.fields, path));
    else if (spec.kind !== "text") rows.push({ path, doc: spec.doc, unit: spec.kind === "number" ? spec.unit : undefined });
  }
  return rows;
}

// The value at a field path of a loaded preset.
export function presetValue(preset: Preset, path: string): unknown {
  let at: unknown = preset;
  for (const part of path.split(".")) at = (at as Record<string, unknown>)[part];
  return at;
}

const show = (v: unknown): string => (Array.isArray(v) ? v.join(", ") : String(v));

// One table per top-level section: parameter, meaning, the value in each preset, and the sources.
export function parameterTablesMarkdown(presets: readonly Preset[]): string {
  const out: string[] = [];
  const rows = paramRows(presetSchema);
  let section = "";
  for (const row of rows) {
    const top = row.path.split(".")[0];
    if (top !== section) {
      section = top;
      const spec = presetSchema[top];
      out.push("", `### \`${top}\` — ${spec.doc}`, "", `| parameter | meaning | ${presets.map((p) => p.name).join(" | ")} | source |`, `|---|---|${presets.map(() => "---|").join("")}---|`);
    }
    const values = presets.map((p) => cell(show(presetValue(p, row.path))));
    // Sources that differ between presets are listed per preset.
    const sources = presets.map((p) => p.sources.get(row.path) ?? "");
    const sourceCell = sources.every((s) => s === sources[0]) ? cell(sources[0]) : presets.map((p, i) => `${p.name}: ${cell(sources[i])}`).join("<br>");
    out.push(`| \`${row.path.slice(top.length + 1)}\` | ${cell(row.doc)}${row.unit ? ` (${row.unit})` : ""} | ${values.join(" | ")} | ${sourceCell} |`);
  }
  return out.join("\n").trim();
}

// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.
export function replaceSection(document: string, name: string, content: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const i = document.indexOf(begin);
  const j = document.indexOf(end);
  if (i < 0 || j < i) throw new Error(`the document has no ${begin} ... ${end} section`);
  return `${document.slice(0, i + begin.length)}\n${content}\n${document.slice(j)}`;
}

export function sectionOf(document: string, name: string): string | undefined {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const i = document.indexOf(begin);
  const j = document.indexOf(end);
  return i < 0 || j < i ? undefined : document.slice(i + begin.length, j).trim();
}
