#!/usr/bin/env python3
"""Grouping accuracy (GA) of `incident analyze --events-out` on Loghub-2k raw logs, computed as
logpai's evaluator does: a line is correct when the set of lines in its parsed group equals the
set of lines in its ground-truth group; GA = correct lines / all lines.

Usage: bench/ga.py INCIDENT_BINARY [DATA_DIR]   (default DATA_DIR: ../shared/data/loghub-2k)
Data: Loghub (Zhu et al., ISSRE 2023), github.com/logpai/loghub."""
import collections
import csv
import os
import subprocess
import sys
import tempfile

binary = sys.argv[1]
data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "loghub-2k")
if not os.path.isdir(data):
    print(f"no Loghub data at {data}; pass its folder as the second argument")
    sys.exit(0)

def ga(truth, parsed):
    groups_truth = collections.defaultdict(set)
    groups_parsed = collections.defaultdict(set)
    for line, event in truth.items():
        groups_truth[event].add(line)
    for line in truth:
        groups_parsed[parsed.get(line, "missing")].add(line)
    correct = 0
    truth_sets = {frozenset(v) for v in groups_truth.values()}
    for members in groups_parsed.values():
        if frozenset(members) in truth_sets:
            correct += len(members)
    return correct / len(truth), len(groups_parsed), len(groups_truth)

results = []
for name in sorted(f[:-4] for f in os.listdir(data) if f.endswith("_2k.log")):
    with open(os.path.join(data, name + ".log_structured.csv"), newline="") as f:
        truth = {int(row["LineId"]): row["EventId"] for row in csv.DictReader(f)}
    with tempfile.NamedTemporaryFile(suffix=".tsv") as out:
        subprocess.run([binary, "analyze", os.path.join(data, name + ".log"), "--events-out", out.name],
                       check=True, stdout=subprocess.DEVNULL)
        parsed = {}
        for row in open(out.name):
            line, event = row.rstrip("\n").split("\t")
            parsed[int(line)] = event
    score, found, expected = ga(truth, parsed)
    results.append((name.replace("_2k", ""), score, found, expected))

print("| system | GA | groups found | groups in truth |")
print("| --- | ---: | ---: | ---: |")
for name, score, found, expected in results:
    print(f"| {name} | {score:.3f} | {found} | {expected} |")
print(f"| **mean** | **{sum(r[1] for r in results) / len(results):.3f}** | | |")
