// The confusion matrix of our verdicts against the kernel's, printed by the
// comparison tests: both accept, both reject, only ours rejects, only the kernel rejects.
export class Confusion {
  bothAccept = 0;
  bothReject = 0;
  onlyOursRejects = 0;
  onlyKernelRejects = 0;

  add(oursAccepts: boolean, kernelAccepts: boolean): void {
    if (oursAccepts && kernelAccepts) this.bothAccept++;
    else if (!oursAccepts && !kernelAccepts) this.bothReject++;
    else if (!oursAccepts) this.onlyOursRejects++;
    else this.onlyKernelRejects++;
  }

  get total(): number {
    return this.bothAccept + this.bothReject + this.onlyOursRejects + this.onlyKernelRejects;
  }

  render(title: string): string {
    const pct = (n: number): string => `${((100 * n) / Math.max(1, this.total)).toFixed(2)}%`;
    return [
      `${title}: ${this.total} programs`,
      `  both accept          ${String(this.bothAccept).padStart(6)}  ${pct(this.bothAccept)}`,
      `  both reject          ${String(this.bothReject).padStart(6)}  ${pct(this.bothReject)}`,
      `  only ours rejects    ${String(this.onlyOursRejects).padStart(6)}  ${pct(this.onlyOursRejects)}`,
      `  only kernel rejects  ${String(this.onlyKernelRejects).padStart(6)}  ${pct(this.onlyKernelRejects)}`,
    ].join("\n");
  }
}
