#!/usr/bin/env python3
"""Writes a log of at least SIZE_MB megabytes built from varied lines: the Loghub-2k samples
(HDFS, Apache, OpenSSH, Proxifier, Linux, Zookeeper) when ../shared has them, the repo's example
log, and JSON lines in GCP, Kubernetes and pino shapes, with every digit redrawn so that values vary.
Usage: bench/gen-varied-log.py OUT SIZE_MB [LOGHUB_DIR]"""
import json, os, random, sys

out, size_mb = sys.argv[1], int(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
loghub = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "..", "shared", "data", "loghub-2k")
lines = []
if os.path.isdir(loghub):
    for name in sorted(os.listdir(loghub)):
        if name.endswith("_2k.log"):
            lines += open(os.path.join(loghub, name), encoding="utf-8", errors="replace").read().splitlines()
else:
    print(f"note: no Loghub data at {loghub}; using the example log and JSON lines only", file=sys.stderr)
lines += open(os.path.join(here, "..", "examples", "redis-staging.log")).read().splitlines()
for i in range(300):
    lines.append(json.dumps({"severity": "ERROR", "timestamp": "2025-09-09T02:25:11.531Z", "textPayload": f"connection to redis-{i % 7}.cache:6379 refused after {i} ms", "resource": {"labels": {"service_name": "api"}}}))
    lines.append(json.dumps({"log": f"2025-09-09T02:25:11Z INFO request {i} served in {i * 3} ms\n", "stream": "stdout", "time": "2025-09-09T02:25:11.531Z"}))
    lines.append(json.dumps({"level": 30, "time": 1757385611000 + i, "pid": 42, "hostname": "web-1", "msg": f"GET /api/items/{i} 200"}))
rng = random.Random(7)
digits = "0123456789"
table = {ord(d): None for d in digits}
target = size_mb * 1_000_000
written = 0
with open(out, "w", encoding="utf-8") as f:
    while written < target:
        chunk = []
        # Chunks of 2,000 lines (about 0.3 MB), so that a 1 MB log is about 1 MB.
        for line in rng.choices(lines, k=2000):
            if rng.random() < 0.5:
                # Values vary; the header (timestamps) stays as it was, so it still parses.
                line = line[:32] + "".join(rng.choice(digits) if c.isdigit() else c for c in line[32:])
            chunk.append(line)
        text = "\n".join(chunk) + "\n"
        f.write(text)
        written += len(text.encode("utf-8"))
print(f"{out}: {written / 1e6:.0f} MB, {len(lines)} distinct source lines")
