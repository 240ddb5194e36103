#!/usr/bin/env python3
"""Runs every case of programs/expectations.json through the real kernel:
loads the object with bpftool (the kernel verifier must accept it), writes
the case's map entries, runs the program once with BPF_PROG_TEST_RUN
(bpftool prog run) and compares the return value, the output frame and the
expected map contents. Needs root, bpftool and a bpffs at /sys/fs/bpf.

Usage: sudo python3 programs/tools/check_kernel.py [-v] [--file=expectations.json] [program ...]
Exit status: 0 all cases agree, 1 some disagree, 2 cannot run here.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BPFFS = "/sys/fs/bpf"
NETNS = "osim_router_%d" % os.getpid()  # unique: parallel runs must not share it


def run(cmd, netns=None, check=True):
    if netns:
        cmd = ["nsenter", "--net=/run/netns/" + netns] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), (p.stderr or p.stdout).strip()[-2000:]))
    return p.stdout


def hex_args(hexstr):
    return ["hex"] + [hexstr[i:i + 2] for i in range(0, len(hexstr), 2)]


def setup_router_netns(env):
    run(["ip", "netns", "del", NETNS], check=False)
    run(["ip", "netns", "add", NETNS])
    ns = NETNS
    run(["ip", "link", "set", "lo", "up"], ns)
    for link in env["links"]:
        run(["ip", "link", "add", link["name"], "index", str(link["ifindex"]), "address", link["mac"],
             "type", "veth", "peer", "name", link["peer"]], ns)
        run(["ip", "link", "set", link["name"], "up"], ns)
        run(["ip", "link", "set", link["peer"], "up"], ns)
        for addr in link["addresses"]:
            extra = ["nodad"] if ":" in addr else []
            run(["ip", "addr", "add", addr, "dev", link["name"]] + extra, ns)
    for route in env["routes"]:
        run(["ip", "route", "add", route["type"], route["dst"]], ns)
    for n in env["neighbours"]:
        run(["ip", "neigh", "replace", n["dst"], "lladdr", n["mac"], "dev", n["dev"], "nud", "permanent"], ns)
    run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"], ns)


def pinned_map(pin_dir, name):
    """bpftool pins maps by libbpf's name; global-variable maps are named
    '<object prefix>.<section>' and pinned with '.' turned into '_'."""
    maps_dir = os.path.join(pin_dir, "maps")
    files = os.listdir(maps_dir)
    if name in files:
        return os.path.join(maps_dir, name)
    if name.startswith("."):
        suffix = "_" + name[1:]
        hits = [f for f in files if f.endswith(suffix)]
        if len(hits) == 1:
            return os.path.join(maps_dir, hits[0])
    raise RuntimeError("map %s not found among pinned maps %s" % (name, files))


def read_map(path, netns):
    dump = json.loads(run(["bpftool", "-j", "map", "dump", "pinned", path], netns))
    content = {}
    for e in dump:
        key = "".join(b[2:] for b in e["key"])
        if "values" in e:  # per-CPU: sum each little-endian u64 word over CPUs
            words = None
            for cpu in e["values"]:
                raw = bytes(int(b, 16) for b in cpu["value"])
                w = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
                words = w if words is None else [(a + b) & ((1 << 64) - 1) for a, b in zip(words, w)]
            content[key] = b"".join(x.to_bytes(8, "little") for x in words).hex()
        else:
            content[key] = "".join(b[2:] for b in e["value"])
    return content


def is_array_like(path, netns):
    info = json.loads(run(["bpftool", "-j", "map", "show", "pinned", path], netns))
    return info["type"] in ("array", "percpu_array")


def masked_equal(actual, expected, mask):
    if mask is None:
        return actual == expected
    a, e, m = bytes.fromhex(actual), bytes.fromhex(expected), bytes.fromhex(mask)
    return len(a) == len(e) and all((x & k) == (y & k) for x, y, k in zip(a, e, m))


def compare_map(name, path, spec, netns):
    actual = read_map(path, netns)
    problems = []
    expected = {e["key"]: e for e in spec["entries"]}
    if is_array_like(path, netns):
        actual = {k: v for k, v in actual.items() if int(v, 16) != 0 or k in expected}
    for key, e in expected.items():
        if key not in actual:
            problems.append("%s: missing key %s" % (name, key))
        elif not masked_equal(actual[key], e["value"], e.get("valueMask")):
            problems.append("%s[%s] = %s, expected %s" % (name, key, actual[key], e["value"]))
    for key in actual:
        if key not in expected:
            problems.append("%s: unexpected key %s = %s" % (name, key, actual[key]))
    return problems


def write_entries(pin_dir, name, entries, netns):
    path = pinned_map(pin_dir, name)
    for e in entries:
        if "program" in e:  # a prog-array slot
            value = ["pinned", os.path.join(pin_dir, e["program"])]
        else:
            value = hex_args(e["value"])
        run(["bpftool", "map", "update", "pinned", path, "key"] + hex_args(e["key"]) + ["value"] + value, netns)


def check_load_time_maps(entry, pin_dir, netns):
    """Compares what loading put into maps with entry['loadTimeMaps']."""
    problems = []
    for name, spec in entry.get("loadTimeMaps", {}).items():
        path = pinned_map(pin_dir, name)
        actual = read_map(path, netns)
        for e in spec["entries"]:
            if "program" in e:
                prog = json.loads(run(["bpftool", "-j", "prog", "show", "pinned",
                                       os.path.join(pin_dir, e["program"])], netns))
                want = prog["id"].to_bytes(4, "little").hex()
            else:
                want = e["value"]
            if actual.get(e["key"]) != want:
                problems.append("load-time %s[%s] = %s, expected %s" % (name, e["key"], actual.get(e["key"]), want))
    return problems


def run_case(entry, case, env_ready):
    netns = NETNS if case.get("environment") == "router-netns" else None
    pin_dir = tempfile.mkdtemp(prefix="osim_check_", dir=BPFFS)
    os.rmdir(pin_dir)
    work = tempfile.mkdtemp(prefix="osim_check_")
    try:
        run(["bpftool", "prog", "loadall", os.path.join(ROOT, entry["object"]), pin_dir, "type", "xdp",
             "pinmaps", os.path.join(pin_dir, "maps")], netns)
        problems = check_load_time_maps(entry, pin_dir, netns)
        for name, spec in case.get("maps", {}).items():
            write_entries(pin_dir, name, spec["entries"], netns)
        data_in, data_out = os.path.join(work, "in.bin"), os.path.join(work, "out.bin")
        with open(data_in, "wb") as f:
            f.write(bytes.fromhex(case["packet"]))
        result = json.loads(run(["bpftool", "-j", "prog", "run", "pinned",
                                 os.path.join(pin_dir, entry["program"]),
                                 "data_in", data_in, "data_out", data_out], netns))
        with open(data_out, "rb") as f:
            out = f.read().hex()
        exp = case["expected"]
        if result["retval"] != exp["retval"]:
            problems.append("retval %d, expected %d (%s)" % (result["retval"], exp["retval"], exp["action"]))
        if out != exp["packetOut"]:
            problems.append("packet out %s\n      expected %s" % (out, exp["packetOut"]))
        for name, spec in exp.get("maps", {}).items():
            problems += compare_map(name, pinned_map(pin_dir, name), spec, netns)
        return problems, result["retval"], out
    finally:
        shutil.rmtree(pin_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def check_map_files(netns_ready):
    """Writes every programs/maps/<object>.<map>.json into a freshly loaded
    object: the kernel refuses keys and values of the wrong size."""
    problems = []
    maps_dir = os.path.join(ROOT, "programs", "maps")
    for fname in sorted(os.listdir(maps_dir)):
        obj, name, _ = fname.rsplit(".", 2)
        netns = NETNS if obj == "xdp_router" and netns_ready else None
        pin_dir = tempfile.mkdtemp(prefix="osim_check_", dir=BPFFS)
        os.rmdir(pin_dir)
        try:
            run(["bpftool", "prog", "loadall", os.path.join(ROOT, "programs", obj + ".o"), pin_dir,
                 "type", "xdp", "pinmaps", os.path.join(pin_dir, "maps")], netns)
            with open(os.path.join(maps_dir, fname)) as f:
                write_entries(pin_dir, name, json.load(f)["entries"], netns)
        except RuntimeError as err:
            problems.append("%s: %s" % (fname, err))
        finally:
            shutil.rmtree(pin_dir, ignore_errors=True)
    return problems


def main(argv):
    verbose = "-v" in argv
    only = [a for a in argv if not a.startswith("-")]
    if os.geteuid() != 0 or not shutil.which("bpftool"):
        print("check_kernel: needs root and bpftool; skipped")
        return 2
    if not os.path.ismount(BPFFS):
        run(["mount", "-t", "bpf", "bpf", BPFFS])
    path = os.path.join(ROOT, "programs", "expectations.json")
    for a in argv:
        if a.startswith("--file="):
            path = a[len("--file="):]
    with open(path) as f:
        spec = json.load(f)
    netns_needed = any(c.get("environment") == "router-netns"
                       for p in spec["programs"] for c in p["cases"])
    if netns_needed:
        setup_router_netns(spec["environments"]["router-netns"])
    failures = total = 0
    map_problems = []
    try:
        if not only:
            map_problems = check_map_files(netns_needed)
            for p in map_problems:
                print("FAIL " + p)
        for entry in spec["programs"]:
            if only and entry["program"] not in only:
                continue
            for case in entry["cases"]:
                total += 1
                problems, retval, out = run_case(entry, case, netns_needed)
                status = "ok  " if not problems else "FAIL"
                if problems:
                    failures += 1
                if problems or verbose:
                    print("%s %s: %s" % (status, entry["program"], case["name"]))
                for p in problems:
                    print("      " + p)
    finally:
        if netns_needed:
            run(["ip", "netns", "del", NETNS], check=False)
    print("check_kernel: %d of %d cases agree with the kernel%s" % (
        total - failures, total, "" if only else "; %d map file problems" % len(map_problems)))
    return 1 if failures or map_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
