// The numbers the event readers use, against the installed UAPI headers as the
// C compiler sees them (<linux/perf_event.h>, <linux/bpf.h>): struct offsets by
// offsetof(), constants by value. And the two pure rules, by hand.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import * as perf from "../../src/kernel/perf-buffer.ts";
import * as ringbuf from "../../src/kernel/ringbuf-reader.ts";
import { cpuListMembers, paddedRawBytes } from "../../src/kernel/index.ts";

const HEADERS = "#include <stddef.h>\n#include <stdio.h>\n#include <linux/perf_event.h>\n#include <linux/bpf.h>\n";

function compilerMissing(): string | undefined {
  try {
    execFileSync("cc", ["-E", "-x", "c", "-"], { input: HEADERS, stdio: ["pipe", "ignore", "ignore"] });
    return undefined;
  } catch {
    return "no C compiler (cc) with <linux/perf_event.h> and <linux/bpf.h>";
  }
}
const missing = compilerMissing();
if (missing) console.warn(`\n*** EVENT LAYOUT TEST SKIPPED: ${missing} ***\n`);

describe.skipIf(missing !== undefined)("event reader layouts against the UAPI headers", () => {
  it("places every field and spells every constant as the headers do", () => {
    const probes: [string, string, number][] = [
      ...Object.entries(perf.PerfEventAttrLayout).map(([f, v]): [string, string, number] => [`perf_event_attr.${f}`, `offsetof(struct perf_event_attr, ${f})`, v]),
      ...Object.entries(perf.PerfMmapPageLayout).map(([f, v]): [string, string, number] => [`perf_event_mmap_page.${f}`, `offsetof(struct perf_event_mmap_page, ${f})`, v]),
      ["PERF_ATTR_SIZE_VER0", "PERF_ATTR_SIZE_VER0", perf.PERF_ATTR_SIZE_VER0],
      ["PERF_TYPE_SOFTWARE", "PERF_TYPE_SOFTWARE", perf.PERF_TYPE_SOFTWARE],
      ["PERF_COUNT_SW_BPF_OUTPUT", "PERF_COUNT_SW_BPF_OUTPUT", perf.PERF_COUNT_SW_BPF_OUTPUT],
      ["PERF_SAMPLE_TIME", "PERF_SAMPLE_TIME", perf.PERF_SAMPLE_TIME],
      ["PERF_SAMPLE_RAW", "PERF_SAMPLE_RAW", perf.PERF_SAMPLE_RAW],
      ["PERF_FLAG_FD_CLOEXEC", "PERF_FLAG_FD_CLOEXEC", perf.PERF_FLAG_FD_CLOEXEC],
      ["PERF_RECORD_SAMPLE", "PERF_RECORD_SAMPLE", perf.PERF_RECORD_SAMPLE],
      ["PERF_RECORD_LOST", "PERF_RECORD_LOST", perf.PERF_RECORD_LOST],
      ["BPF_RINGBUF_BUSY_BIT", "(int)BPF_RINGBUF_BUSY_BIT", ringbuf.BPF_RINGBUF_BUSY_BIT],
      ["BPF_RINGBUF_DISCARD_BIT", "BPF_RINGBUF_DISCARD_BIT", ringbuf.BPF_RINGBUF_DISCARD_BIT],
      ["BPF_RINGBUF_HDR_SZ", "BPF_RINGBUF_HDR_SZ", ringbuf.BPF_RINGBUF_HDR_SZ],
    ];
    const source = `${HEADERS}int main(void) {\n${probes.map(([name, expr]) => `  printf("${name} %lld\\n", (long long)(${expr}));`).join("\n")}\n  return 0;\n}\n`;
    const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
    execFileSync("cc", ["-x", "c", "-", "-o", `${dir}/probe`], { input: source });
    const theirs = Object.fromEntries(execFileSync(`${dir}/probe`, { encoding: "utf8" }).trim().split("\n").map((l) => l.split(" ")).map(([n, v]) => [n, Number(v)]));
    execFileSync("rm", ["-rf", dir]);
    expect(Object.fromEntries(probes.map(([name, , ours]) => [name, ours]))).toEqual(theirs);
  });
});

describe("event reader rules", () => {
  it("pads a perf sample to keep the record 8-byte aligned: round_up(bytes + 4, 8) - 4", () => {
    // 0+4 -> 8, 1+4 -> 8, 4+4 -> 8, 5+4 -> 16, 19+4 -> 24, 20+4 -> 24, 21+4 -> 32.
    expect([0, 1, 4, 5, 19, 20, 21].map(paddedRawBytes)).toEqual([4, 4, 4, 12, 20, 20, 28]);
  });

  it("lists the CPUs of a cpulist", () => {
    expect(cpuListMembers("0")).toEqual([0]);
    expect(cpuListMembers("0-2,5\n")).toEqual([0, 1, 2, 5]);
    expect(cpuListMembers("1,3-4")).toEqual([1, 3, 4]);
    expect(() => cpuListMembers("2-1")).toThrow(/runs backwards/);
  });
});
