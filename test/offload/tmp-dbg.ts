import { assemble } from "../../src/ebpf/index.ts";
import { compileSingle, expectSame } from "./harness.ts";
import { compareOne } from "./corpus.ts";
const prog = assemble(`
r6 = r1
r9 = *(u32 *)(r1 + 0)
r0 = 0 ll
r8 = 1 ll
if r0 == 0 goto +0
r3 = 0 ll
*(u64 *)(r10 - 32) = r3
r0 = 0 ll
r4 = 0 ll
w0 = cmpxchg32_32(r10 - 32, w0, w4)
r5 = *(u64 *)(r10 - 32)
r0 *= 31
r0 += r6
r0 *= 31
r0 += r8
r0 += r9
exit`);
const img = compileSingle(prog);
const c = compareOne(prog, img, [], new Uint8Array(14));
console.log(c.host.action, c.nic.action, img.hostExits.map(e => JSON.stringify(e, (k, v) => typeof v === "bigint" ? v.toString(16) : v)));
console.log(c.nicRun.host?.kind, (c.nicRun.host as any)?.message);
