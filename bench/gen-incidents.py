#!/usr/bin/env python3
"""Writes N realistic incident files (front-matter, identify and five-whys sections) into DIR/incidents."""
import os
import random
import sys

n, folder = int(sys.argv[1]), sys.argv[2]
os.makedirs(os.path.join(folder, "incidents"), exist_ok=True)
rng = random.Random(7)
alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
services = ["redis", "postgres", "kafka", "api", "auth", "billing", "search", "nginx"]
stages = ["five-whys", "test-plan", "issue", "fix", "verify", "resolved"]
for i in range(n):
    ident = "inc-" + "".join(rng.choice(alphabet) for _ in range(6))
    svc = rng.choice(services)
    title = f"{svc.capitalize()} connection failure in staging #{i}"
    stage = rng.choice(stages)
    day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    text = f"""---
id: {ident}
title: {title}
severity: {rng.choice(["critical", "high", "medium", "low"])}
status: {"resolved" if stage == "resolved" else "open"}
stage: {stage}
owner: dana
environment: staging
services: [{svc}]
source: netra_backend.app.smd._validate_gcp_websocket_readiness
fingerprint: {rng.getrandbits(48):012x}
occurrences: {rng.randint(1, 500)}
first_seen: {day}T02:25:11Z
last_seen: {day}T02:31:13Z
recurrence_of: null
created: {day}T02:40:11Z
stages:
  identify: {{completed: {day}T02:40:11Z}}
  five-whys:
    completed: {day}T03:02:47Z
    answers:
      whys:
        - The backend refused to start because readiness validation failed on {svc}.
        - Every connection to {svc} timed out after 5 seconds.
        - The instance is only reachable through the VPC connector.
      root_cause: The staging service lost its VPC connector in the Terraform migration.
---
# {title}

<!-- incident:stage identify -->
## Issue Identification

**Severity**: critical · **Environment**: staging · **Services**: {svc}

**Error pattern**:
```
2025-09-09 02:25:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [{svc}]. Elapsed: 7.49s
```

<!-- incident:stage five-whys -->
## Five Whys Analysis

1. **Why?** The backend refused to start because readiness validation failed on {svc}.
1. **Why?** Every connection to {svc} timed out after 5 seconds.
1. **Why?** The instance is only reachable through the VPC connector.

**Root cause**: The staging service lost its VPC connector in the Terraform migration.
"""
    with open(os.path.join(folder, "incidents", f"{day}-{svc}-connection-failure-in-staging-{i}-{ident}.md"), "w") as f:
        f.write(text)
