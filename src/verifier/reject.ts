// A rejection: the lines the kernel would log (the last one is its verdict
// line) and the errno its bpf(BPF_PROG_LOAD) would fail with.
export type RejectErrno = "EACCES" | "EINVAL" | "E2BIG" | "EFAULT" | "ENOTSUPP" | "EBADF";

export class Reject extends Error {
  constructor(
    readonly lines: readonly string[],
    readonly errno: RejectErrno = "EACCES",
    // Set for rejections found before exploration (CFG, subprogram layout) that name their own instruction.
    readonly pc?: number,
    // Which line states the reason (the last, unless state dumps follow it).
    readonly reasonLine: number = lines.length - 1,
  ) {
    super(lines[reasonLine]);
    this.name = "Reject";
  }
}

export const reject = (errno: RejectErrno, ...lines: string[]): never => {
  throw new Reject(lines, errno);
};
