// BPF_PROG_TEST_RUN: run a loaded program once (or `repeat` times) on a
// buffer the kernel builds from data_in, and read back the return value, the
// buffer as the program left it, and the mean run time.
//
// For XDP (net/bpf/test_run.c, bpf_prog_test_run_xdp):
// - data_in must hold at least ETH_HLEN (14) bytes; up to
//   4096 - XDP_PACKET_HEADROOM (256) - SKB_DATA_ALIGN(sizeof(skb_shared_info))
//   bytes go in the linear area, more become fragments;
// - the packet sits behind 256 bytes of headroom (room for
//   bpf_xdp_adjust_head / _adjust_meta), metadata is taken from that headroom;
// - ctx_in is a struct xdp_md: data = metadata length (a multiple of 4; at most
//   32 on older kernels, 256 - sizeof(struct xdp_frame) = 216 measured on 6.18),
//   data_end = data_size_in, data_meta and egress_ifindex must be 0,
//   ingress_ifindex must name a device in our network namespace (ENODEV
//   otherwise; 1 is loopback) and rx_queue_index one of its rx queues, and
//   rx_queue_index needs ingress_ifindex (EINVAL otherwise);
// - with ingress_ifindex 0 (or no ctx_in) the program sees the loopback device's queue 0;
// - data_out receives metadata followed by the packet; ctx_out.data says
//   where the packet starts.
import { TestRunAttr, XdpMdLayout } from "./attr-layout.ts";
import { expectOk, invoke, setPointer, withArena } from "./bpf-call.ts";
import type { Native } from "./native.ts";
import { BpfCmd, TestRunFlag } from "./uapi.ts";

export interface RawTestRunInput {
  readonly dataIn: Uint8Array;
  readonly ctxIn?: Uint8Array;
  // Size of the context to read back (only with ctxIn; the kernel refuses ctx_out without it for XDP).
  readonly ctxOutBytes?: number;
  // Whether to read data back (XDP live-frames mode forbids data_out).
  readonly readData?: boolean;
  readonly repeat?: number;
  readonly flags?: number;
  readonly cpu?: number;
  readonly batchSize?: number;
}

export interface RawTestRunResult {
  readonly retval: number;
  readonly durationNs: number;
  readonly dataOut: Uint8Array;
  readonly ctxOut: Uint8Array | undefined;
}

// Room for what a program can add to a frame: the head grows into the
// headroom (less than a page) and the tail into the rest of its page (the
// linear area's, or with fragments the last fragment's): two pages at most.
const PAGE_BYTES = 4096;
const OUTPUT_SLACK_BYTES = 2 * PAGE_BYTES;

export function testRunRaw(native: Native, progFd: number, input: RawTestRunInput, label: string, einvalHint?: string): RawTestRunResult {
  return withArena(native, (arena) => {
    const attr = arena.alloc(TestRunAttr.size);
    const readData = input.readData ?? true;
    const dataOut = readData ? arena.alloc(input.dataIn.length + OUTPUT_SLACK_BYTES) : undefined;
    const ctxOut = input.ctxIn !== undefined && input.ctxOutBytes !== undefined ? arena.alloc(input.ctxOutBytes) : undefined;
    const v = attr.view;
    v.setUint32(TestRunAttr.prog_fd, progFd, true);
    v.setUint32(TestRunAttr.data_size_in, input.dataIn.length, true);
    setPointer(attr, TestRunAttr.data_in, arena.copyOf(input.dataIn));
    // A non-zero data_size_out makes the kernel clamp the copy (and say ENOSPC) instead of overrunning our buffer.
    v.setUint32(TestRunAttr.data_size_out, dataOut?.byteLength ?? 0, true);
    setPointer(attr, TestRunAttr.data_out, dataOut);
    v.setUint32(TestRunAttr.repeat, input.repeat ?? 1, true);
    if (input.ctxIn !== undefined) {
      v.setUint32(TestRunAttr.ctx_size_in, input.ctxIn.length, true);
      setPointer(attr, TestRunAttr.ctx_in, arena.copyOf(input.ctxIn));
    }
    v.setUint32(TestRunAttr.ctx_size_out, ctxOut?.byteLength ?? 0, true);
    setPointer(attr, TestRunAttr.ctx_out, ctxOut);
    v.setUint32(TestRunAttr.flags, input.flags ?? 0, true);
    v.setUint32(TestRunAttr.cpu, input.cpu ?? 0, true);
    v.setUint32(TestRunAttr.batch_size, input.batchSize ?? 0, true);
    expectOk(invoke(native, { cmd: BpfCmd.PROG_TEST_RUN, attrSize: TestRunAttr.size }, attr), {
      command: "BPF_PROG_TEST_RUN",
      object: label,
      einvalHint,
    });
    const dataSizeOut = v.getUint32(TestRunAttr.data_size_out, true);
    return {
      retval: v.getUint32(TestRunAttr.retval, true),
      durationNs: v.getUint32(TestRunAttr.duration, true),
      dataOut: dataOut === undefined ? new Uint8Array(0) : dataOut.bytes.slice(0, dataSizeOut),
      ctxOut: ctxOut?.bytes.slice(0, v.getUint32(TestRunAttr.ctx_size_out, true)),
    };
  });
}

export interface XdpTestRunInput {
  // The frame as received, starting at the Ethernet header.
  readonly packet: Uint8Array;
  // Bytes placed in front of the packet as XDP metadata (data_meta .. data); a multiple of 4.
  readonly metadata?: Uint8Array;
  readonly ingressIfindex?: number;
  readonly rxQueueIndex?: number;
  // Runs of the program; durationNs is the mean over them. Default 1.
  readonly repeat?: number;
  // TestRunFlag.XDP_LIVE_FRAMES sends XDP_TX/XDP_REDIRECT/XDP_PASS frames for real and returns no packet.
  readonly flags?: number;
  readonly batchSize?: number;
}

export interface XdpTestRunResult {
  // The XDP action (XDP_ABORTED 0, DROP 1, PASS 2, TX 3, REDIRECT 4) or whatever r0 held.
  readonly retval: number;
  // The packet as the program left it (after any head/tail adjustment), without metadata.
  readonly packet: Uint8Array;
  // The metadata in front of the packet as the program left it (empty when none).
  readonly metadata: Uint8Array;
  // Mean duration of one run in nanoseconds, as measured by the kernel.
  readonly durationNs: number;
}

const XDP_EINVAL_HINT =
  "for XDP the kernel wants at least 14 bytes of data, metadata in multiples of 4, and rx_queue_index below the ingress device's queue count";

export function testRunXdp(native: Native, progFd: number, input: XdpTestRunInput, label: string): XdpTestRunResult {
  const metadata = input.metadata ?? new Uint8Array(0);
  const live = ((input.flags ?? 0) & TestRunFlag.XDP_LIVE_FRAMES) !== 0;
  const dataIn = new Uint8Array(metadata.length + input.packet.length);
  dataIn.set(metadata, 0);
  dataIn.set(input.packet, metadata.length);
  // ctx_in is always given (ingress_ifindex 0 keeps the loopback default) so that ctx_out can say
  // where the packet starts even when the program grew metadata with bpf_xdp_adjust_meta.
  const raw = testRunRaw(
    native,
    progFd,
    {
      dataIn,
      ctxIn: xdpMd(metadata.length, dataIn.length, input.ingressIfindex ?? 0, input.rxQueueIndex ?? 0),
      ctxOutBytes: live ? undefined : XdpMdLayout.size,
      readData: !live,
      repeat: input.repeat,
      flags: input.flags,
      batchSize: input.batchSize,
    },
    label,
    XDP_EINVAL_HINT,
  );
  const metaLength = raw.ctxOut === undefined ? 0 : new DataView(raw.ctxOut.buffer).getUint32(XdpMdLayout.data, true);
  return {
    retval: raw.retval,
    packet: raw.dataOut.slice(metaLength),
    metadata: raw.dataOut.slice(0, metaLength),
    durationNs: raw.durationNs,
  };
}

// struct xdp_md for ctx_in; offsets relative to data_meta.
function xdpMd(metaLength: number, dataEnd: number, ingressIfindex: number, rxQueueIndex: number): Uint8Array {
  const md = new Uint8Array(XdpMdLayout.size);
  const view = new DataView(md.buffer);
  view.setUint32(XdpMdLayout.data, metaLength, true);
  view.setUint32(XdpMdLayout.data_end, dataEnd, true);
  view.setUint32(XdpMdLayout.ingress_ifindex, ingressIfindex, true);
  view.setUint32(XdpMdLayout.rx_queue_index, rxQueueIndex, true);
  return md;
}
