// Loads and stores through a kernel struct pointer (PTR_TO_BTF_ID) a kfunc
// returned (kernel/bpf/btf.c btf_struct_access / btf_struct_walk): a read of a
// scalar member gives a scalar, a read of a pointer member a pointer to its
// struct (untrusted), a read past the struct is refused. Writes are refused
// ("only read is supported") except where the struct's owner allows them: the
// `mark` of struct nf_conn / nf_conn___init (net/netfilter/nf_conntrack_bpf.c
// _nf_conntrack_btf_struct_access). Whatever else (a read across members,
// into a union) gets no verdict.
import { btfType, skipModsAndTypedefs, resolveSize, type Btf } from "../elf/btf.ts";
import { readKernelBtf } from "../elf/kernel-btf.ts";
import type { Env } from "./env.ts";
import { tnumText } from "./kernel-text.ts";
import { NOT_INIT, ptrReg, unknownScalar, type PtrReg, type RegState } from "./reg-state.ts";
import { reject } from "./reject.ts";
import * as S from "./scalar.ts";
import { VerifierUnsupportedError } from "./unsupported.ts";

const NF_CONN_STRUCTS = new Set(["nf_conn", "nf_conn___init"]);
const WRITABLE_NF_CONN_MEMBER = "mark";
const BITS_PER_BYTE = 8;
// btf_struct_walk gives up on deeper nesting (MAX_RESOLVE_DEPTH in kernel/bpf/btf.c is 32).
const MAX_WALK_DEPTH = 32;

class StructAccessUnsupported extends VerifierUnsupportedError {
  constructor(what: string, programName?: string) {
    super(-1, what, programName);
    this.message = `${programName ? `program '${programName}': ` : ""}${what}; this verifier cannot give the kernel's verdict on it`;
  }
}

export function kernelStructAccess(env: Env, regno: number, reg: PtrReg, off: number, size: number, kind: "read" | "write"): RegState {
  const held = reg.kernelStruct!;
  const fixed = S.constValue(reg.varOff);
  if (fixed === undefined) reject("EACCES", `R${regno} is ptr_${held.name} invalid variable offset: off=${off}, var_off=${tnumText(reg.varOff.bits)}`);
  const at = off + Number(BigInt.asIntN(64, fixed!));
  if (at < 0) reject("EACCES", `R${regno} is ptr_${held.name} invalid negative access: off=${at}`);
  const btf = readKernelBtf(env.opts.kernelBtfPath).btf;
  if (kind === "write") return structWrite(btf, held, at, size);
  if (at + size > held.bytes) reject("EACCES", `access beyond struct ${held.name} at off ${at} size ${size}`);
  return walk(env, btf, held.btfId, at, size, held.name, 0);
}

function structWrite(btf: Btf, held: NonNullable<PtrReg["kernelStruct"]>, at: number, size: number): RegState {
  if (!NF_CONN_STRUCTS.has(held.name)) return reject("EACCES", "only read is supported");
  const mark = memberByName(btf, held.btfId, WRITABLE_NF_CONN_MEMBER);
  if (mark === undefined || at !== mark.offsetBytes) return reject("EACCES", `no write support to nf_conn at off ${at}`);
  const end = mark.offsetBytes + mark.bytes;
  if (at + size > end) reject("EACCES", `write access at off ${at} with size ${size} beyond the member of nf_conn ended at ${end}`);
  return NOT_INIT;
}

function memberByName(btf: Btf, structId: number, name: string): { offsetBytes: number; bytes: number } | undefined {
  const type = skipModsAndTypedefs(btf, structId, "a kernel struct");
  const member = type.members?.find((m) => m.name === name);
  if (!member) return undefined;
  return { offsetBytes: memberBitOffset(type.kindFlag, member.offset) / BITS_PER_BYTE, bytes: resolveSize(btf, member.type, `member ${name}`) };
}

// With kind_flag the member offset keeps the bitfield size in its top 8 bits.
const memberBitOffset = (kindFlag: boolean, offset: number): number => (kindFlag ? offset & 0xffffff : offset);

function walk(env: Env, btf: Btf, typeId: number, at: number, size: number, structName: string, depth: number): RegState {
  const give = (what: string): never => {
    throw new StructAccessUnsupported(`a ${size}-byte read at offset ${at} of kernel struct ${structName} (${what}) is not modelled by our verifier`, env.opts.programName);
  };
  if (depth > MAX_WALK_DEPTH) return give("nested too deeply");
  const type = skipModsAndTypedefs(btf, typeId, `struct ${structName}`);
  switch (type.kind) {
    case "int":
    case "enum":
    case "enum64":
      return at + size <= type.sizeOrType ? unknownScalar : give("past a scalar member");
    case "array": {
      const elem = type.array!;
      const elemBytes = resolveSize(btf, elem.type, `struct ${structName}`);
      if (elemBytes === 0) return give("a zero-sized array");
      const index = Math.floor(at / elemBytes);
      if (index >= elem.nelems) return give("past an array");
      return walk(env, btf, elem.type, at - index * elemBytes, size, structName, depth + 1);
    }
    case "struct": {
      for (const member of type.members ?? []) {
        const bitOffset = memberBitOffset(type.kindFlag, member.offset);
        if (bitOffset % BITS_PER_BYTE !== 0) continue;
        const start = bitOffset / BITS_PER_BYTE;
        let bytes: number;
        try {
          bytes = resolveSize(btf, member.type, `member ${member.name}`);
        } catch {
          continue;
        }
        if (at >= start && at + size <= start + bytes) return walk(env, btf, member.type, at - start, size, structName, depth + 1);
      }
      return give("across members or padding");
    }
    case "ptr": {
      if (at !== 0 || size !== 8) return give("part of a pointer");
      const pointee = skipModsAndTypedefs(btf, type.sizeOrType, `struct ${structName}`);
      if (pointee.kind !== "struct") return unknownScalar;
      return ptrReg("btf_id", { memSize: pointee.sizeOrType, kernelStruct: { btfId: pointee.id, name: pointee.name, bytes: pointee.sizeOrType, trusted: false } });
    }
    default:
      return give(`a ${btfType(btf, type.id, structName).kind} member`);
  }
}
