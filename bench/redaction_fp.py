#!/usr/bin/env python3
"""False redactions on the Loghub-2k raw logs: runs `incident analyze --json` on each
X_2k.log and prints what it redacted, per system. These logs hold no credentials, so with the
default config (no `redact.pii`) every row should be empty; a count is a false positive to fix
generally. `--pii` runs with `redact.pii: true` as well, for a look at what PII redaction takes.

Usage: bench/redaction_fp.py INCIDENT_BINARY [DATA_DIR] [--pii]
       (default DATA_DIR: ../shared/data/loghub-2k)
Data: Loghub (Zhu et al., ISSRE 2023), github.com/logpai/loghub."""
import json
import os
import subprocess
import sys
import tempfile

args = [a for a in sys.argv[1:] if a != "--pii"]
pii = "--pii" in sys.argv[1:]
if not args:
    print(__doc__)
    sys.exit(64)
binary = os.path.abspath(args[0])
data = args[1] if len(args) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "loghub-2k")
if not os.path.isdir(data):
    print(f"no Loghub data at {data}; pass its folder as the second argument")
    sys.exit(0)
data = os.path.abspath(data)

false_positives = 0
with tempfile.TemporaryDirectory() as repo:
    # A repo of its own, so the config is known: the defaults, or the defaults plus PII.
    subprocess.run([binary, "init"], cwd=repo, check=True, capture_output=True)
    if pii:
        config = os.path.join(repo, ".incident.yml")
        with open(config) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text.replace("pii: false", "pii: true"))
    print(f"{'system':<12} redactions{' (with redact.pii)' if pii else ''}")
    for name in sorted(f[:-4] for f in os.listdir(data) if f.endswith("_2k.log")):
        run = subprocess.run([binary, "analyze", os.path.join(data, name + ".log"), "--json"], cwd=repo,
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f"{name[:-3]:<12} exit {run.returncode}: {run.stderr.strip()}")
            false_positives += 1
            continue
        redactions = json.loads(run.stdout)["redactions"]
        false_positives += sum(redactions.values())
        shown = ", ".join(f"{kind} {count}" for kind, count in redactions.items()) or "-"
        print(f"{name[:-3]:<12} {shown}")
if not pii:
    print(f"total: {false_positives}")
    sys.exit(1 if false_positives else 0)
