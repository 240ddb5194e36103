// Reading a network environment named on the command line (`--env FILE[#NAME]`):
// FILE is an environment document; FILE#NAME is entry NAME of the file's
// "environments" (programs/expectations.json has them).
import { EnvironmentError, parseEnvironment, type NetworkEnvironment } from "./environment.ts";
import { readInputText } from "../input-file.ts";

export function readEnvironmentSpec(spec: string): NetworkEnvironment {
  const hash = spec.lastIndexOf("#");
  const [file, name] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, undefined];
  let json: unknown;
  try {
    json = JSON.parse(readInputText(file));
  } catch (error) {
    if (error instanceof SyntaxError) throw new EnvironmentError(`${file}: not valid JSON (${error.message}).`, { file });
    throw error;
  }
  if (name === undefined) return parseEnvironment(json, file);
  const environments = (json as { environments?: Record<string, unknown> } | null)?.environments;
  if (environments?.[name] === undefined) throw new EnvironmentError(`${file} has no environment named '${name}' under "environments".`, { file });
  return parseEnvironment(environments[name], `${file}#${name}`);
}
