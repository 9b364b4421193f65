#!/usr/bin/env python3
"""Shows where grouping differs from Loghub's ground truth: parsed groups that mix events, and
events split over groups. Usage: bench/ga_diff.py INCIDENT_BINARY SYSTEM [DATA_DIR]"""
import collections, csv, os, subprocess, sys, tempfile
binary, name = sys.argv[1], sys.argv[2]
data = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "loghub-2k")
rows = list(csv.DictReader(open(os.path.join(data, f"{name}_2k.log_structured.csv"), newline="")))
with tempfile.NamedTemporaryFile(suffix=".tsv") as out:
    subprocess.run([binary, "analyze", os.path.join(data, f"{name}_2k.log"), "--events-out", out.name], check=True, stdout=subprocess.DEVNULL)
    parsed = {int(l.split("\t")[0]): l.split("\t")[1].strip() for l in open(out.name)}
by_parsed = collections.defaultdict(list)
by_truth = collections.defaultdict(list)
for row in rows:
    i = int(row["LineId"])
    by_parsed[parsed[i]].append(row)
    by_truth[row["EventId"]].append(parsed[i])
print("== parsed groups mixing events")
for p, members in by_parsed.items():
    events = collections.Counter(r["EventId"] for r in members)
    if len(events) > 1:
        print(p, dict(events))
        for e in events:
            print("   ", e, next(r["EventTemplate"] for r in members if r["EventId"] == e)[:140])
print("== events split over groups")
for e, groups in by_truth.items():
    c = collections.Counter(groups)
    if len(c) > 1:
        tpl = next(r["EventTemplate"] for r in rows if r["EventId"] == e)
        print(e, tpl[:120], dict(c))
        for g in list(c)[:4]:
            print("   ", g, next(r["Content"] for r in rows if parsed[int(r["LineId"])] == g and r["EventId"] == e)[:140])
