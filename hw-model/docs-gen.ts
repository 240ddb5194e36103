// Regenerates the generated sections of docs/hw-model.md (instruction table,
// parameter tables) from the model's tables: node bin/run-ts.js hw-model/docs-gen.ts
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instructionTableMarkdown, parameterTablesMarkdown, replaceSection } from "./describe.ts";
import { loadPreset, presetNames } from "./presets/load.ts";

export const HW_MODEL_DOC = fileURLToPath(new URL("../docs/hw-model.md", import.meta.url));

export function regenerate(document: string): string {
  const presets = presetNames().map((n) => loadPreset(n));
  let doc = replaceSection(document, "instructions", instructionTableMarkdown());
  doc = replaceSection(doc, "parameters", parameterTablesMarkdown(presets));
  return doc;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(HW_MODEL_DOC, regenerate(readFileSync(HW_MODEL_DOC, "utf8")));
  console.log(`updated ${HW_MODEL_DOC}`);
}
