// The network a case runs in (`equiv --env FILE[#NAME]`): links, routes and
// neighbours for bpf_fib_lookup and the devices a devmap names. The host
// interpreter and the NIC's host part read it as a route table; the kernel
// side builds it in a fresh network namespace (src/oracle/environment.ts).
import { readFileSync } from "node:fs";
import { EMPTY_ENVIRONMENT, environmentRouteTable, parseEnvironment, type NetworkEnvironment } from "../oracle/environment.ts";
import { EquivInputError } from "./errors.ts";

export { EMPTY_ENVIRONMENT, type NetworkEnvironment };

// FILE: an environment document; FILE#NAME: entry NAME of the file's "environments" (programs/expectations.json has them).
export function readEnvironmentSpec(spec: string): NetworkEnvironment {
  const hash = spec.lastIndexOf("#");
  const [file, name] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, undefined];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if (error instanceof SyntaxError) throw new EquivInputError(`${file}: not valid JSON (${error.message}).`, { file });
    throw error;
  }
  if (name === undefined) return parseEnvironment(json, file);
  const environments = (json as { environments?: Record<string, unknown> } | null)?.environments;
  if (environments?.[name] === undefined) throw new EquivInputError(`${file} has no environment named '${name}' under "environments".`, { file });
  return parseEnvironment(environments[name], `${file}#${name}`);
}

export { environmentRouteTable };
