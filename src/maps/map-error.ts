import { OffloadSimError } from "../errors.ts";

// A map definition the kernel would refuse, a malformed map JSON file, or a
// key/value of the wrong size handed to a map: always names the map (and the
// file and entry when there is one).
export class MapError extends OffloadSimError {}
