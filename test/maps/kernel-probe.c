// A line-oriented driver for the kernel's bpf() map commands, used by
// test/maps/kernel-diff.test.ts to compare src/maps/ with the real kernel.
// Reads commands on stdin, prints one result line per command:
//   create TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES FLAGS [INNER_INDEX]
//   update INDEX KEYHEX VALUEHEX FLAGS   -> "ok" or "err NAME"
//   lookup INDEX KEYHEX                  -> "ok VALUEHEX" or "err NAME"
//   delete INDEX KEYHEX                  -> "ok" or "err NAME"
//   next INDEX KEYHEX|-                  -> "ok KEYHEX" or "err NAME"
//   pop INDEX                            -> "ok VALUEHEX" or "err NAME"
//   lookupdel INDEX KEYHEX               -> "ok VALUEHEX" or "err NAME"
//   info INDEX                           -> "ok MAX_ENTRIES"
// "create" answers "ok INDEX" (maps are numbered from 0 in creation order).
// A key of "-" stands for no key (NULL). Values of per-CPU maps are the
// syscall-side concatenation. Run it pinned to one CPU (taskset -c 0).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MAPS 64
#define MAX_BYTES 65536

static int map_fds[MAX_MAPS];
static unsigned value_bytes[MAX_MAPS];
static unsigned key_bytes[MAX_MAPS];
static int map_count;

static const char *errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case E2BIG: return "E2BIG";
  case EBADF: return "EBADF";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EFAULT: return "EFAULT";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case ENODEV: return "ENODEV";
  case EINVAL: return "EINVAL";
  case ENOSPC: return "ENOSPC";
  case EOVERFLOW: return "EOVERFLOW";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case 524: return "ENOTSUPP";
  default: return "EUNKNOWN";
  }
}

static int from_hex(const char *text, unsigned char *out, unsigned limit) {
  unsigned n = 0;
  if (strcmp(text, "-") == 0) return 0;
  while (text[0] && text[1] && n < limit) {
    unsigned byte;
    if (sscanf(text, "%2x", &byte) != 1) return -1;
    out[n++] = (unsigned char)byte;
    text += 2;
  }
  return (int)n;
}

static void print_hex(const unsigned char *bytes, unsigned n) {
  for (unsigned i = 0; i < n; i++) printf("%02x", bytes[i]);
}

static void fail(void) { printf("err %s\n", errno_name(errno)); }

int main(void) {
  static char line[4 * MAX_BYTES];
  static unsigned char key[MAX_BYTES], value[MAX_BYTES], out[MAX_BYTES];
  int cpus = libbpf_num_possible_cpus();
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    char cmd[32], a[2 * MAX_BYTES + 2], b[2 * MAX_BYTES + 2];
    unsigned long long flags = 0;
    int index = -1;
    a[0] = b[0] = 0;
    if (sscanf(line, "%31s", cmd) != 1) continue;
    if (strcmp(cmd, "create") == 0) {
      unsigned type, ks, vs, max, mflags;
      int inner = -1;
      int got = sscanf(line, "%*s %u %u %u %u %u %d", &type, &ks, &vs, &max, &mflags, &inner);
      if (got < 5) { printf("bad\n"); continue; }
      LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = mflags);
      if (got == 6 && inner >= 0) opts.inner_map_fd = map_fds[inner];
      int fd = bpf_map_create(type, NULL, ks, vs, max, &opts);
      if (fd < 0) { fail(); continue; }
      int percpu = type == 5 || type == 6 || type == 10;
      map_fds[map_count] = fd;
      key_bytes[map_count] = ks;
      value_bytes[map_count] = percpu ? ((vs + 7) / 8 * 8) * cpus : vs;
      printf("ok %d\n", map_count++);
      continue;
    }
    if (sscanf(line, "%*s %d %s %s %llu", &index, a, b, &flags) < 1 || index < 0 || index >= map_count) {
      printf("bad\n");
      continue;
    }
    int fd = map_fds[index];
    int err;
    memset(out, 0, sizeof out);
    if (strcmp(cmd, "update") == 0) {
      from_hex(a, key, MAX_BYTES);
      from_hex(b, value, MAX_BYTES);
      err = bpf_map_update_elem(fd, key_bytes[index] ? key : NULL, value, flags);
      if (err) fail(); else printf("ok\n");
    } else if (strcmp(cmd, "lookup") == 0) {
      from_hex(a, key, MAX_BYTES);
      err = bpf_map_lookup_elem(fd, key_bytes[index] ? key : NULL, out);
      if (err) { fail(); continue; }
      printf("ok "); print_hex(out, value_bytes[index]); printf("\n");
    } else if (strcmp(cmd, "lookupdel") == 0) {
      from_hex(a, key, MAX_BYTES);
      err = bpf_map_lookup_and_delete_elem(fd, key_bytes[index] ? key : NULL, out);
      if (err) { fail(); continue; }
      printf("ok "); print_hex(out, value_bytes[index]); printf("\n");
    } else if (strcmp(cmd, "pop") == 0) {
      err = bpf_map_lookup_and_delete_elem(fd, NULL, out);
      if (err) { fail(); continue; }
      printf("ok "); print_hex(out, value_bytes[index]); printf("\n");
    } else if (strcmp(cmd, "delete") == 0) {
      from_hex(a, key, MAX_BYTES);
      err = bpf_map_delete_elem(fd, key_bytes[index] ? key : NULL);
      if (err) fail(); else printf("ok\n");
    } else if (strcmp(cmd, "next") == 0) {
      int n = from_hex(a, key, MAX_BYTES);
      err = bpf_map_get_next_key(fd, n > 0 ? key : NULL, out);
      if (err) { fail(); continue; }
      printf("ok "); print_hex(out, key_bytes[index]); printf("\n");
    } else if (strcmp(cmd, "info") == 0) {
      struct bpf_map_info info;
      unsigned len = sizeof info;
      memset(&info, 0, sizeof info);
      err = bpf_obj_get_info_by_fd(fd, &info, &len);
      if (err) fail(); else printf("ok %u\n", info.max_entries);
    } else {
      printf("bad\n");
    }
  }
  return 0;
}
