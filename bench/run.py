#!/usr/bin/env python3
"""Every benchmark in one run and one table (`make bench`): each row the tool's figure, its peer's
on the same input in the same run, the ratio, the target and the input size.

Usage: python3 bench/run.py [--sizes 1,10,100,1000] [--runs 3] [--drain3-max-mb 100] [--bin PATH]

Works from a fresh clone: builds the release binary, makes a venv under bench/.venv with Drain3
0.9.11 from PyPI, generates its inputs under bench/out/ (logs from the Loghub-2k samples in
../shared/data/loghub-2k when present, otherwise synthesised from the repo's example log and
JSON lines, which the table says), and writes the table to bench/out/bench.md.

Times are wall-clock medians of --runs runs, ours and the peer's interleaved; peak RSS is the
process's own (wait4). Drain3's figure is its in-process time (lines fed to TemplateMiner,
Python start-up and imports left out), as `bench/drain3_run.py` reports it.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
out_dir = os.path.join(here, "out")
loghub = os.path.join(root, "..", "shared", "data", "loghub-2k")


def sh(command, **kwargs):
    return subprocess.run(command, shell=True, check=True, text=True, capture_output=True, **kwargs).stdout


def timed(argv, stdin_path=None, pipe_from=None, cwd=None):
    """Runs one command with stdout to a file; returns (seconds, peak RSS KiB, stdout text, CPU seconds).
    pipe_from: a command whose output is piped into this one (the pair is timed together)."""
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        feeder = None
        if pipe_from:
            feeder = subprocess.Popen(pipe_from, stdout=subprocess.PIPE)
            stdin = feeder.stdout
        else:
            stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        process = subprocess.Popen(argv, stdin=stdin, stdout=sink, stderr=subprocess.DEVNULL, cwd=cwd)
        if feeder:
            feeder.stdout.close()
        _, status, usage = os.wait4(process.pid, 0)
        if feeder:
            feeder.wait()
        elapsed = time.perf_counter() - start
        if stdin_path:
            stdin.close()
        code = os.waitstatus_to_exitcode(status)
        # grep -c exits 1 when it counts nothing; anything else non-zero is a failure.
        if code not in (0, 1) or (code == 1 and argv[0] != "grep"):
            raise SystemExit(f"{' '.join(argv)} exited {code}")
        sink.seek(0)
        return elapsed, usage.ru_maxrss, sink.read().decode("utf-8", "replace"), usage.ru_utime + usage.ru_stime


cpu_ratios = {}


def interleaved(runs, ours, peer):
    """Median wall seconds of ours and of the peer, run alternately; and ours' peak RSS. The
    ratio of median CPU seconds (user + system, the measured process only) is kept in cpu_ratios
    under the next row's number: on a shared machine it moves less than wall time."""
    ours_times, peer_times, ours_cpu, peer_cpu, peak = [], [], [], [], 0
    for _ in range(runs):
        seconds, rss, _, cpu = ours()
        ours_times.append(seconds)
        ours_cpu.append(cpu)
        peak = max(peak, rss)
        result = peer()
        peer_times.append(result[0])
        peer_cpu.append(result[3])
    cpu_ratios[len(rows)] = statistics.median(ours_cpu) / max(statistics.median(peer_cpu), 1e-3)
    return statistics.median(ours_times), statistics.median(peer_times), peak


def peak_rss_kib(argv, cwd):
    """Peak RSS of one run through /usr/bin/time: wait4's figure for a child of this Python
    process can include the parent's pages from before exec (the parsed list JSON)."""
    with tempfile.NamedTemporaryFile() as report, open(os.devnull, "wb") as sink:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name] + argv, cwd=cwd, stdout=sink, check=True)
        return int(open(report.name).read().split()[-1])


def build():
    print("building the release binary (swift build -c release --static-swift-stdlib, as make install)…", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--package-path", root], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(sh(f"swift build -c release --static-swift-stdlib --package-path {root} --show-bin-path").strip(), "incident")


def drain3_python():
    venv = os.path.join(here, ".venv")
    python = os.path.join(venv, "bin", "python3")
    check = [python, "-c", "import drain3"] if os.path.exists(python) else None
    if not check or subprocess.run(check, capture_output=True).returncode != 0:
        print("installing Drain3 0.9.11 into bench/.venv…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "drain3==0.9.11"], check=True)
    return python


def log_of(size_mb):
    path = os.path.join(out_dir, f"varied-{size_mb}.log")
    if not os.path.exists(path):
        print(f"generating {path}…", flush=True)
        subprocess.run([sys.executable, os.path.join(here, "gen-varied-log.py"), path + ".tmp", str(size_mb), loghub], check=True)
        os.rename(path + ".tmp", path)
    return path


def gz_of(path):
    gz = path + ".gz"
    if not os.path.exists(gz):
        print(f"compressing {gz}…", flush=True)
        sh(f"gzip -1 -c '{path}' > '{gz}.tmp' && mv '{gz}.tmp' '{gz}'")
    return gz


def incidents_folder(count=10000):
    folder = os.path.join(out_dir, f"incidents-{count}")
    if not os.path.isdir(os.path.join(folder, "incidents")):
        subprocess.run([sys.executable, os.path.join(here, "gen-incidents.py"), str(count), folder], check=True)
        subprocess.run(["git", "init", "-q", folder], check=True)
        # The read cache trusts a file only once it is 2 s older than the cache (git's "racily
        # clean" rule): files made this second would be parsed on every timed run. Incidents
        # are not listed the second they are written; the first `list` after this writes the cache.
        time.sleep(3)
    return folder


def megabytes(path):
    return os.path.getsize(path) / 1e6


rows = []  # (benchmark, input, ours, peer, peer's figure, wall ratio, CPU ratio, target, met)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10,100,1000", help="analysis input sizes in MB")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drain3-max-mb", type=float, default=100, help="run Drain3 on the logs up to this size (--sizes); it takes about 20 s on 100 MB, once")
    parser.add_argument("--bin", help="the incident binary (default: build the release binary)")
    args = parser.parse_args()
    os.makedirs(out_dir, exist_ok=True)
    binary = os.path.abspath(args.bin) if args.bin else build()  # run from other folders (cwd=)
    python = drain3_python()
    load_before = os.getloadavg()
    def row(name, size, ours, peer, peer_figure, ratio, target, met):
        cpu = cpu_ratios.pop(len(rows), None)
        rows.append((name, size, ours, peer, peer_figure, ratio, f"{cpu:.1f}×" if cpu else "", target,
                     "yes" if met else "**no**"))
        print(" | ".join(str(cell) for cell in rows[-1]), flush=True)

    # Analysis runs in an empty repo of its own: no signatures.yml or config of this one.
    scratch = tempfile.mkdtemp(prefix="incident-bench-")
    subprocess.run(["git", "init", "-q", scratch], check=True)

    def analyze(*argv, pipe_from=None):
        return lambda: timed([binary, "analyze", *argv, "--json"], pipe_from=pipe_from, cwd=scratch)

    # Start-up, next to gh when it is installed.
    if shutil.which("gh"):
        ours_s, gh_s, _ = interleaved(10, lambda: timed([binary, "--version"]), lambda: timed(["gh", "--version"]))
        row("start-up (`--version`)", "", f"{ours_s * 1000:.0f} ms", "`gh --version`", f"{gh_s * 1000:.0f} ms",
            f"{ours_s / gh_s:.2f}×", "≤ 1×", ours_s <= gh_s)
    else:
        ours_s = statistics.median(timed([binary, "--version"])[0] for _ in range(10))
        row("start-up (`--version`)", "", f"{ours_s * 1000:.0f} ms", "`gh --version`", "gh not installed", "", "", True)

    # list and stats on 10,000 incident files, next to cat of the same files.
    folder = incidents_folder()
    files = sorted(os.path.join(folder, "incidents", name) for name in os.listdir(os.path.join(folder, "incidents")))
    total = sum(os.path.getsize(f) for f in files) / 1e6
    listed = len(json.loads(timed([binary, "list", "--json"], cwd=folder)[2]))
    if listed != len(files):
        raise SystemExit(f"incident list --json listed {listed} of {len(files)} incidents")
    cat = lambda: timed(["cat"] + files)
    for name, argv in [("`list --json`", ["list", "--json"]), ("`list`", ["list"]), ("`stats`", ["stats"])]:
        ours_s, cat_s, rss = interleaved(max(args.runs, 5), lambda: timed([binary] + argv, cwd=folder), cat)
        row(f"{name}, 10,000 incidents", f"{total:.0f} MB", f"{ours_s * 1000:.0f} ms", "`cat` of the files",
            f"{cat_s * 1000:.0f} ms", f"{ours_s / cat_s:.2f}×", "≤ 2×", ours_s <= 2 * cat_s)

    # Analysis at each size: plain file, .gz and stdin, next to grep -c; Drain3 on the smaller ones.
    peak_at = {}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        log = log_of(size)
        mb = megabytes(log)
        label = f"{mb:.0f} MB" if mb >= 1.5 else f"{mb:.1f} MB"
        ours_s, grep_s, rss = interleaved(
            args.runs, analyze(log), lambda: timed(["grep", "-c", "ERROR", log]))
        peak_at[size] = rss
        row("`analyze` file", label, f"{ours_s:.2f} s ({mb / ours_s:.0f} MB/s)", "`grep -c ERROR`",
            f"{grep_s:.3f} s", f"{ours_s / grep_s:.1f}×", "≤ 10×", ours_s <= 10 * grep_s)
        # The size asked for, not the bytes written (the 10 MB log is 10.03 MB: it gets its Drain3 row).
        if size <= args.drain3_max_mb:
            text = timed([python, os.path.join(here, "drain3_run.py"), log])[2]
            drain_s = float(text.split("seconds=")[1].split()[0])
            row("`analyze` file", label, f"{ours_s:.2f} s ({mb / ours_s:.1f} MB/s)", "Drain3 0.9.11, masked",
                f"{drain_s:.1f} s ({mb / drain_s:.2f} MB/s)", f"{drain_s / ours_s:.0f}× faster", "≥ 50×",
                drain_s >= 50 * ours_s)
        gz = gz_of(log)
        ours_s, peer_s, _ = interleaved(
            args.runs, analyze(gz),
            lambda: timed(["grep", "-c", "ERROR"], pipe_from=["gzip", "-dc", gz]))
        row("`analyze` .gz", f"{label} ({megabytes(gz):.1f} MB .gz)", f"{ours_s:.2f} s", "`gzip -dc \\| grep -c`",
            f"{peer_s:.3f} s", f"{ours_s / peer_s:.1f}×", "≤ 10×", ours_s <= 10 * peer_s)
        ours_s, peer_s, _ = interleaved(
            args.runs, analyze("-", pipe_from=["cat", log]),
            lambda: timed(["grep", "-c", "ERROR"], pipe_from=["cat", log]))
        row("`analyze` stdin", label, f"{ours_s:.2f} s", "`cat \\| grep -c`", f"{peer_s:.3f} s",
            f"{ours_s / peer_s:.1f}×", "≤ 10×", ours_s <= 10 * peer_s)
    if peak_at:
        largest = max(peak_at)
        log = log_of(largest)
        size = f"{megabytes(log):.0f} MB"
        # Each way in: a plain file (two halves), .gz and standard input (segments on two workers).
        for name, argv in [("file", [binary, "analyze", log, "--json"]),
                           (".gz", [binary, "analyze", gz_of(log), "--json"]),
                           ("stdin", ["sh", "-c", f'cat "$1" | "$0" analyze - --json', binary, log])]:
            kib = peak_rss_kib(argv, scratch)
            row(f"`analyze` {name} peak RSS (/usr/bin/time)", size, f"{kib / 1024:.0f} MiB", "",
                "", "", "< 100 MiB", kib < 100 * 1024)

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    load_after = os.getloadavg()
    lines = [
        f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores ({cpu}); load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.",
        "Analysis inputs: " + ("Loghub-2k samples (../shared/data/loghub-2k), the example log and JSON lines, "
                               "digits redrawn (bench/gen-varied-log.py)." if os.path.isdir(loghub) else
                               "**synthesised**: no Loghub data at ../shared/data/loghub-2k, so only the example log "
                               "and JSON lines, digits redrawn (bench/gen-varied-log.py)."),
        f"Times: median of {args.runs} wall-clock runs (5 for list/stats), ours and the peer's interleaved.",
        "",
        "| benchmark | input | incident | peer | peer's figure | ratio (wall) | ratio (CPU) | target | met |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ] + ["| " + " | ".join(str(cell) for cell in r) + " |" for r in rows]
    table = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "bench.md"), "w") as f:
        f.write(table)
    print("\n" + table)
    print(f"(written to {os.path.relpath(os.path.join(out_dir, 'bench.md'), root)})")


if __name__ == "__main__":
    main()
