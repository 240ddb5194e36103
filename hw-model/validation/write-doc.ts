// Regenerates the table of docs/validation.md: node bin/run-ts.js hw-model/validation/write-doc.ts
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { replaceSection } from "../describe.ts";
import { runValidation, validationTableMarkdown } from "./cases.ts";

export const VALIDATION_DOC = fileURLToPath(new URL("../../docs/validation.md", import.meta.url));

writeFileSync(VALIDATION_DOC, replaceSection(readFileSync(VALIDATION_DOC, "utf8"), "validation", validationTableMarkdown(runValidation())));
console.log(`updated ${VALIDATION_DOC}`);
