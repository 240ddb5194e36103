// The actions a `verdict` instruction can end a packet with. The codes are the
// kernel's enum xdp_action (include/uapi/linux/bpf.h), so a compiled program can
// hand its return register to `verdict a` unchanged.
export const Verdict = {
  ABORTED: 0,
  DROP: 1,
  PASS: 2,
  TX: 3,
  REDIRECT: 4,
} as const;
export type VerdictCode = (typeof Verdict)[keyof typeof Verdict];

export const verdictNames: readonly string[] = ["aborted", "drop", "pass", "tx", "redirect"];

export function parseVerdict(name: string): VerdictCode | undefined {
  const code = verdictNames.indexOf(name);
  return code < 0 ? undefined : (code as VerdictCode);
}
