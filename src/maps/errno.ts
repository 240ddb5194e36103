// The errno values map operations fail with, as the Linux kernel returns
// them (include/uapi/asm-generic/errno-base.h, errno.h, and the kernel-only
// ENOTSUPP from include/linux/errno.h). Operations return them negated,
// the way a kernel function does: 0 for success, -ENOENT for a miss.

import type { Errno as ErrnoValue } from "./types.ts";

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ERANGE: 34,
  ENOSPC: 28,
  ENONET: 64,
  EPROTO: 71,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  // Kernel-internal "operation not supported" that bpf() still returns to user space.
  ENOTSUPP: 524,
} as const;
export type ErrnoName = keyof typeof Errno;

const namesByNumber: ReadonlyMap<number, ErrnoName> = new Map(
  (Object.keys(Errno) as ErrnoName[]).map((name) => [Errno[name], name]),
);

// "ENOENT" for 2 or -2, "errno 123" for a number without a name here, "ok" for 0.
export function errnoName(errno: number): string {
  if (errno === 0) return "ok";
  return namesByNumber.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

// -ENOENT for "ENOENT".
export function negErrno(name: ErrnoName): ErrnoValue {
  return -Errno[name];
}
