// `--env FILE[#NAME]`: one reader for kernel-check and equiv. Bad input is one
// sentence naming the file (and the entry), never a stack trace.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/oracle/environment.ts";
import { readEnvironmentSpec } from "../../src/oracle/environment-file.ts";

const dir = mkdtempSync(join(tmpdir(), "offload-sim-env-"));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

// One veth with one IPv4 address.
const ROUTER = { links: [{ name: "eth1", ifindex: 2, mac: "02:00:00:00:00:01", peer: "peer1", addresses: ["10.0.0.1/24"] }] };

describe("readEnvironmentSpec", () => {
  it("reads a whole file as one environment", () => {
    const file = write("router.json", JSON.stringify(ROUTER));
    const environment = readEnvironmentSpec(file);
    expect(environment.links.map((l) => [l.name, l.ifindex, l.addresses])).toEqual([["eth1", 2, ["10.0.0.1/24"]]]);
  });

  it("FILE#NAME takes entry NAME of the file's environments", () => {
    const file = write("several.json", JSON.stringify({ environments: { router: ROUTER, isolated: { forwarding: false } } }));
    expect(readEnvironmentSpec(`${file}#isolated`)).toEqual({ links: [], routes: [], neighbours: [], forwarding: false });
    expect(readEnvironmentSpec(`${file}#router`).links).toHaveLength(1);
  });

  it("says which file is not JSON, and which entry is missing", () => {
    const broken = write("broken.json", "{ links: ");
    expect(() => readEnvironmentSpec(broken)).toThrow(EnvironmentError);
    expect(() => readEnvironmentSpec(broken)).toThrow(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not valid JSON`));
    const file = write("named.json", JSON.stringify({ environments: { router: ROUTER } }));
    expect(() => readEnvironmentSpec(`${file}#nowhere`)).toThrow(`${file} has no environment named 'nowhere' under "environments".`);
  });

  it("names the entry in errors from inside it", () => {
    const file = write("bad-entry.json", JSON.stringify({ environments: { router: { links: [{ ...ROUTER.links[0], ifindex: 1 }] } } }));
    expect(() => readEnvironmentSpec(`${file}#router`)).toThrow(`${file}#router: links[0].ifindex must be an integer from 2 to 65535.`);
  });
});
