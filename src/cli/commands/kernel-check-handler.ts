// What `offload-sim kernel-check` does, loaded only when the command runs (see kernel-check.ts for its options).
import { possibleCpuCount } from "../../elf/possible-cpus.ts";
import { OffloadSimError } from "../../errors.ts";
import { kernelOracleAvailability, withKernel } from "../../kernel/index.ts";
import { readEnvironmentSpec } from "../../oracle/environment-file.ts";
import { kernelCheck } from "../../oracle/kernel-check.ts";
import { formatKernelCheck, kernelCheckJson } from "../../oracle/kernel-check-report.ts";
import { createObjectMaps, loadMapFileContent, parseMapAssignment } from "../../oracle/object-setup.ts";
import { generatePackets, type TestPacket } from "../../oracle/packet-generator.ts";
import { capturePackets, poolFromMaps } from "../../oracle/packet-sources.ts";
import { readObjectFile } from "../../oracle/run-object.ts";
import type { KernelCheckArgs } from "./kernel-check.ts";

export class KernelCheckInputError extends OffloadSimError {}

// The kernel-check command once its arguments are parsed.
export async function kernelCheckHandler(args: KernelCheckArgs): Promise<void> {
  if (!(Number.isInteger(args.packets) && args.packets > 0)) throw new KernelCheckInputError(`--packets must be a positive integer, got ${args.packets}.`);
  if (!(Number.isInteger(args.seed) && args.seed >= 0)) throw new KernelCheckInputError(`--seed must be a non-negative integer, got ${args.seed}.`);
  if (!(Number.isInteger(args.trace) && args.trace >= 0)) throw new KernelCheckInputError(`--trace must be a non-negative integer, got ${args.trace}.`);
  const object = readObjectFile(args.object);
  const maps = (args.map ?? []).map(parseMapAssignment);
  const environment = args.env === undefined ? undefined : readEnvironmentSpec(args.env);
  let packets: TestPacket[];
  if (args.pcap !== undefined) {
    const capture = capturePackets(args.pcap, args.packets);
    for (const note of capture.notes) process.stderr.write(`offload-sim: ${note}\n`);
    if (capture.tooShort > 0) process.stderr.write(`offload-sim: ${capture.tooShort} packets shorter than 14 bytes left out (the kernel refuses them).\n`);
    packets = capture.packets;
  } else {
    // The address pool comes from the maps as the files fill them (a throw-away copy), with the
    // machine's possible CPUs as the kernel's maps will have them (a cpumap entry names one of them).
    let preview = createObjectMaps(object, possibleCpuCount());
    for (const { map, file } of maps) preview = loadMapFileContent(preview, map, file);
    packets = generatePackets(args.packets, args.seed, poolFromMaps(preview.maps));
  }
  const availability = kernelOracleAvailability();
  if (!availability.available) throw new KernelCheckInputError(`${availability.reason}.`);
  const report = await withKernel((k) =>
    kernelCheck(k, {
      object,
      ...(args.prog === undefined ? {} : { program: args.prog }),
      maps,
      packets,
      ...(environment === undefined ? {} : { environment }),
      ...(args.cpu === undefined ? {} : { cpu: args.cpu }),
      traceSteps: args.trace,
    }),
  );
  process.stdout.write(args.json ? `${JSON.stringify(kernelCheckJson(report, args.object))}\n` : formatKernelCheck(report, args.object));
  if (report.kind !== "agree") process.exitCode = 1;
}
