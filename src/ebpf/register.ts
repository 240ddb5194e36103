// Register names in the two assembly syntaxes: LLVM/kernel `r1` (64-bit view)
// and `w1` (its low 32 bits), and the bpf_conformance mnemonic `%r1`.
export type RegisterView = 32 | 64;

export const llvmRegister = (reg: number, view: RegisterView = 64): string => `${view === 32 ? "w" : "r"}${reg}`;

export const mnemonicRegister = (reg: number): string => `%r${reg}`;

// Parses `r7`, `w7` or `%r7` into its number and view; undefined when the text is no register name.
export function parseRegisterName(text: string): { reg: number; view: RegisterView } | undefined {
  const match = /^(%r|r|w)(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const reg = Number(match[2]);
  if (match[2].length > 1 && match[2].startsWith("0")) return undefined;
  return { reg, view: match[1] === "w" ? 32 : 64 };
}
