// The running kernel's version as libbpf passes it in BPF_PROG_LOAD's kern_version when the
// object has no "version" section (libbpf.c get_kernel_version: uname's release read as
// "major.minor.patch", 0 when it is not in that form; KERNEL_VERSION in <linux/version.h>
// caps the patch level at 255). libbpf's Ubuntu and Debian special cases are not followed.
import { release } from "node:os";

const MAX_PATCH = 255;

export function kernelVersionCode(releaseText: string = release()): number {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(releaseText);
  if (match === null) return 0;
  const [major, minor, patch] = match.slice(1).map(Number);
  return ((major << 16) + (minor << 8) + Math.min(patch, MAX_PATCH)) >>> 0;
}
