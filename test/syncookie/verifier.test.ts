// The verifier's checks of the SYN-cookie helpers' arguments, through the generic
// prototype machinery (check_func_arg on the Linux 6.18 protos in net/core/filter.c):
// the IP header is ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY of sizeof(struct iphdr) = 20
// (ipv6hdr: 40), gen's TCP header ARG_PTR_TO_MEM | MEM_RDONLY sized by th_len
// (ARG_CONST_SIZE_OR_ZERO), check's TCP header fixed at sizeof(struct tcphdr) = 20;
// gpl_only, pkt_access. Each rejection's line is the kernel's (check_packet_access,
// check_mem_size_reg, check_stack_range_initialized, check_reg_type, check_helper_call),
// and when the kernel is here it gives the same verdict and says the same line.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/asm.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { kernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { verify } from "../../src/verifier/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

// r1 = data + 14 (IP header), r2 = data + tcpAt (TCP header), after data + checkedBytes <= data_end.
const packetHeaders = (checkedBytes: number, tcpAt: number): string => `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += ${checkedBytes}
    if r4 <= r3 goto +2
    r0 = 2
    exit
    r1 = r2
    r1 += 14
    r2 += ${tcpAt}
`;
const finish = `
    r0 = 2
    exit
`;

interface Case {
  readonly what: string;
  readonly source: string;
  readonly license?: string;
  // undefined: accepted.
  readonly message?: string;
}

const cases: readonly Case[] = [
  { what: "gen v4 on the packet, th_len 20, 94 bytes checked", source: `${packetHeaders(94, 34)} r3 = 20\n call 204\n${finish}` },
  {
    what: "gen v4 with th_len = doff * 4 read from the packet (0..60, zero allowed)",
    source: `${packetHeaders(94, 34)} r3 = *(u8 *)(r2 + 12)\n r3 >>= 4\n r3 <<= 2\n call 204\n${finish}`,
  },
  { what: "gen v6 on the packet, 114 bytes checked", source: `${packetHeaders(114, 54)} r3 = 20\n call 205\n${finish}` },
  { what: "check v4 on the packet, 54 bytes checked", source: `${packetHeaders(54, 34)} call 206\n${finish}` },
  { what: "check v6 on the packet, 74 bytes checked", source: `${packetHeaders(74, 54)} call 207\n${finish}` },
  {
    what: "gen v4 with 19 bytes of IP header checked",
    source: `${packetHeaders(33, 33)} r3 = 0\n call 204\n${finish}`,
    message: "R1 offset is outside of the packet",
  },
  {
    what: "check v6 with 39 bytes of IP header checked",
    source: `${packetHeaders(53, 53)} call 207\n${finish}`,
    message: "R1 offset is outside of the packet",
  },
  {
    what: "check v4 with 19 bytes of TCP header checked",
    source: `${packetHeaders(53, 34)} call 206\n${finish}`,
    message: "R2 offset is outside of the packet",
  },
  {
    what: "gen v4 with th_len reaching past what was checked",
    source: `${packetHeaders(80, 34)} r3 = *(u8 *)(r2 + 12)\n r3 >>= 4\n r3 <<= 2\n call 204\n${finish}`,
    message: "R2 offset is outside of the packet",
  },
  {
    what: "gen v4 with an unbounded th_len",
    source: `${packetHeaders(94, 34)} r3 = *(u32 *)(r2 + 4)\n call 204\n${finish}`,
    message: "R3 unbounded memory access, use 'var &= const' or 'if (var < const)'",
  },
  {
    what: "gen v4 from a program that is not GPL",
    source: `${packetHeaders(94, 34)} r3 = 20\n call 204\n${finish}`,
    license: "Dual BSD/MIT",
    message: "cannot call GPL-restricted function from non-GPL compatible program",
  },
  {
    what: "gen v4 on headers copied to the stack",
    source: `
    r1 = 0
    *(u64 *)(r10 - 24) = r1
    *(u64 *)(r10 - 16) = r1
    *(u64 *)(r10 - 8) = r1
    *(u64 *)(r10 - 48) = r1
    *(u64 *)(r10 - 40) = r1
    *(u64 *)(r10 - 32) = r1
    r1 = r10
    r1 += -20
    r2 = r10
    r2 += -48
    r3 = 20
    call 204
    ${finish}`,
  },
  {
    // A privileged loader (root, as here and in verify's default) may read stack never written (env->allow_uninit_stack).
    what: "check v4 on a stack IP header never written, loaded as root",
    source: `
    r1 = 0
    *(u64 *)(r10 - 48) = r1
    *(u64 *)(r10 - 40) = r1
    *(u64 *)(r10 - 32) = r1
    r1 = r10
    r1 += -20
    r2 = r10
    r2 += -48
    call 206
    ${finish}`,
  },
  {
    what: "check v4 with NULL for the IP header",
    source: `
    r1 = 0
    *(u64 *)(r10 - 24) = r1
    *(u64 *)(r10 - 16) = r1
    *(u64 *)(r10 - 8) = r1
    r2 = r10
    r2 += -24
    call 206
    ${finish}`,
    message: "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
  },
];

const ours = (c: Case) => verify(assemble(c.source), [], { license: c.license ?? "GPL", collectFacts: false });

describe("SYN-cookie helper arguments in our verifier", () => {
  it.each(cases.map((c) => [c.what, c] as const))("%s", (_what, c) => {
    const result = ours(c);
    if (c.message === undefined) expect(result.error?.lines.join(" | ") ?? "accepted").toBe("accepted");
    else expect(result.error?.message).toBe(c.message);
  });
});

describe.skipIf(!kernelAvailable)("SYN-cookie helper arguments: the kernel agrees", () => {
  it("gives each case the same verdict and reason", async () => {
    await withKernel((k) => {
      for (const c of cases) {
        const kernel = kernelVerdict(k, assemble(c.source), [], { license: c.license ?? "GPL" });
        expect(kernel.accepted, `${c.what}: ${kernel.message}`).toBe(c.message === undefined);
        if (c.message !== undefined) expect(kernel.logLines, c.what).toContain(c.message);
      }
    });
  });
});
