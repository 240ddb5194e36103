// BPF_PROG_LOAD against the real verifier: accepted and rejected programs, the
// verifier log (captured whole, however long), what the kernel reports about
// a loaded program, and the BTF func info some subprograms need.
import { describe, expect, it } from "vitest";
import { MapType } from "../../src/maps/types.ts";
import { KernelError, withKernel } from "../../src/kernel/index.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { MapFlag } from "../../src/kernel/uapi.ts";
import { Helper, addImm, callHelper, callLocal, exit, ja, jeqImm, ldMap, ldMapValue, load, movImm, movReg, XdpMd } from "./hand-asm.ts";

// The verifier's message for a program that exits without setting r0 (kernel/bpf/verifier.c, check_reg_arg).
const R0_NOT_READ_OK = "R0 !read_ok";

describe.skipIf(!kernelAvailable)("kernel program load", () => {
  it("accepts r0 = XDP_PASS; exit and reports 2 instructions, both verified", async () => {
    await withKernel((k) => {
      const program = k.loadProgram({ program: [movImm(0, 2), exit()], name: "pass" });
      expect(program.verifierLog).toMatch(/^processed 2 insns/m);
      const info = k.programInfo(program);
      expect(info).toMatchObject({ name: "pass", xlatedInsns: 2, verifiedInsns: 2, mapCount: 0 });
      expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    });
  });

  it("rejects an exit with r0 unset, with the verifier's reason in the error and the log", async () => {
    await withKernel((k) => {
      const verdict = k.tryLoadProgram({ program: [exit()], name: "no_r0" });
      expect(verdict.accepted).toBe(false);
      if (verdict.accepted) return;
      expect(verdict.error.errnoName).toBe("EACCES");
      expect(verdict.error.verifierLog).toContain(R0_NOT_READ_OK);
      expect(verdict.error.message).toBe(`bpf(BPF_PROG_LOAD) of program 'no_r0' failed with EACCES: ${R0_NOT_READ_OK}.`);
    });
  });

  it("rejects a packet read without a bounds check", async () => {
    await withKernel((k) => {
      const verdict = k.tryLoadProgram({ program: [load("w", 2, 1, XdpMd.data), load("b", 0, 2, 0), exit()], name: "unchecked" });
      if (verdict.accepted) throw new Error("the kernel accepted an unchecked packet read");
      expect(verdict.error.errnoName).toBe("EACCES");
      expect(verdict.error.verifierLog).toMatch(/invalid access to packet/);
    });
  });

  it("rejects a jump out of the program with EINVAL", async () => {
    await withKernel((k) => {
      const verdict = k.tryLoadProgram({ program: [movImm(0, 0), ja(5), exit()], name: "far_jump" });
      if (verdict.accepted) throw new Error("the kernel accepted a jump out of range");
      expect(verdict.error.errnoName).toBe("EINVAL");
      expect(verdict.error.verifierLog).toMatch(/jump out of range/);
    });
  });

  it("still explains a rejection when the load asked for no log", async () => {
    await withKernel((k) => {
      const verdict = k.tryLoadProgram({ program: [exit()], name: "quiet", logLevel: 0 });
      if (verdict.accepted) throw new Error("accepted");
      expect(verdict.error.verifierLog).toContain(R0_NOT_READ_OK);
    });
  });

  it("captures a level-2 log far larger than the first buffer, to its last line", async () => {
    await withKernel((k) => {
      // r0 = 0, then 3000 times r0 += 1, then exit: 3002 instructions, each logged at level 2.
      const body = Array.from({ length: 3000 }, () => addImm(0, 1));
      const program = k.loadProgram({ program: [movImm(0, 0), ...body, exit()], name: "long_log", logLevel: 2 });
      expect(program.verifierLog.length).toBeGreaterThan(128 * 1024);
      expect(program.verifierLog).toMatch(/^0: \(b7\) r0 = 0/m);
      expect(program.verifierLog).toMatch(/^3001: \(95\) exit$/m);
      expect(program.verifierLog.trimEnd().split("\n").at(-1)).toMatch(/^processed 3002 insns/);
      expect(k.programInfo(program).verifiedInsns).toBe(3002);
    });
  });

  it("refuses a map index without an fd before calling the kernel", async () => {
    await withKernel((k) => {
      expect(() => k.loadProgram({ program: [...ldMap(1, 0), movImm(0, 0), exit()] })).toThrow(/loads map #0, but only 0 map fd/);
    });
  });

  it("counts the maps a program uses", async () => {
    await withKernel((k) => {
      const map = k.createMap({ name: "m", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
      const program = k.loadProgram({ program: [...ldMap(1, 0), movImm(0, 2), exit()], mapFds: [map.fd], name: "uses_map" });
      expect(k.programInfo(program).mapCount).toBe(1);
    });
  });

  describe("a tail call inside a subprogram", () => {
    // 0: call +1 (the subprogram at 2)    2-3: r2 = prog_array    5: call bpf_tail_call
    // 1: exit                              4: r3 = 0               6: r0 = XDP_DROP; 7: exit
    const program = [callLocal(1), exit(), ...ldMap(2, 0), movImm(3, 0), callHelper(Helper.TAIL_CALL), movImm(0, 1), exit()];
    const functions = [
      { name: "entry", startPc: 0 },
      { name: "jump", startPc: 2 },
    ];
    const progArray = { name: "jmp", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 };

    it("is refused without BTF func info", async () => {
      await withKernel((k) => {
        const map = k.createMap(progArray);
        const verdict = k.tryLoadProgram({ program, mapFds: [map.fd], name: "no_btf" });
        if (verdict.accepted) throw new Error("accepted");
        expect(verdict.error.errnoName).toBe("EINVAL");
        expect(verdict.error.verifierLog).toContain("tail_call is not allowed in subprogs without BTF");
      });
    });

    it("loads with func info naming both functions, and falls through on an empty slot", async () => {
      await withKernel((k) => {
        const map = k.createMap(progArray);
        const loaded = k.loadProgram({ program, mapFds: [map.fd], name: "with_btf", btf: k.funcInfoBtf(functions) });
        expect(k.testRunXdp(loaded, { packet: new Uint8Array(64) }).retval).toBe(1);
        const target = k.loadProgram({ program: [movImm(0, 3), exit()], name: "target" });
        k.setProgArraySlot(map, 0, target);
        expect(k.testRunXdp(loaded, { packet: new Uint8Array(64) }).retval).toBe(3);
      });
    });
  });

  it("accepts a plain bpf-to-bpf call without BTF", async () => {
    await withKernel((k) => {
      // 0: r1 = 40; 1: call +2, the subprogram at 4, which returns its argument; 2: r0 += 2; 3: exit.
      const program = [movImm(1, 40), callLocal(2), addImm(0, 2), exit(), movReg(0, 1), exit()];
      const loaded = k.loadProgram({ program, name: "bpf2bpf" });
      expect(k.testRunXdp(loaded, { packet: new Uint8Array(64) }).retval).toBe(42);
    });
  });

  describe("read-only global data (.rodata)", () => {
    // r1 = &rodata + 0; r2 = *(u32 *)r1; if r2 == 7 goto +1; exit (r0 unset!); r0 = XDP_PASS; exit
    const program = [...ldMapValue(1, 0, 0), load("w", 2, 1, 0), jeqImm(2, 7, 1), exit(), movImm(0, 2), exit()];
    const rodata = (frozen: boolean) => ({
      name: ".rodata",
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      flags: MapFlag.RDONLY_PROG,
      initialValue: new Uint8Array([7, 0, 0, 0]),
      frozen,
    });

    it("is created with its initial value and frozen, so the verifier knows its contents and prunes the dead exit", async () => {
      await withKernel((k) => {
        const map = k.createMap(rodata(true));
        expect(k.lookup(map, new Uint8Array(4))).toEqual(new Uint8Array([7, 0, 0, 0]));
        expect(() => k.update(map, new Uint8Array(4), new Uint8Array(4))).toThrow(/BPF_MAP_UPDATE_ELEM\) of map '.rodata' failed with EPERM/);
        const loaded = k.loadProgram({ program, mapFds: [map.fd], name: "rodata_const" });
        expect(k.testRunXdp(loaded, { packet: new Uint8Array(64) }).retval).toBe(2);
      });
    });

    it("is not known to the verifier when not frozen, which then reaches the exit with r0 unset", async () => {
      await withKernel((k) => {
        const map = k.createMap(rodata(false));
        const verdict = k.tryLoadProgram({ program, mapFds: [map.fd], name: "rodata_var" });
        if (verdict.accepted) throw new Error("accepted");
        expect(verdict.error.verifierLog).toContain(R0_NOT_READ_OK);
      });
    });
  });

  it("is a KernelError, an OffloadSimError, when loadProgram throws", async () => {
    await withKernel((k) => {
      expect(() => k.loadProgram({ program: [exit()] })).toThrow(KernelError);
    });
  });
});
