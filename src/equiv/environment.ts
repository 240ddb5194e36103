// The network a case runs in (`equiv --env FILE[#NAME]`): links, routes and
// neighbours for bpf_fib_lookup and the devices a devmap names. The host
// interpreter and the NIC's host part read it as a route table; the kernel
// side builds it in a fresh network namespace (src/oracle/environment.ts).
// Reading --env is src/oracle's (environment-file.ts), shared with kernel-check.
import { EMPTY_ENVIRONMENT, environmentRouteTable, type NetworkEnvironment } from "../oracle/environment.ts";

export { EMPTY_ENVIRONMENT, environmentRouteTable, type NetworkEnvironment };
export { readEnvironmentSpec } from "../oracle/environment-file.ts";
