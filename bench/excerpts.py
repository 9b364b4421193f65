#!/usr/bin/env python3
"""Score `incident analyze --json` against the real-log corpus in bench/excerpts/.

Usage:
    python3 bench/excerpts.py BINARY [--split dev|holdout|all] [--json] [--verbose]

For every folder bench/excerpts/NN-slug/ (log.txt + expect.yml) the script runs
`BINARY analyze --json bench/excerpts/NN-slug/log.txt` (30 s timeout) and scores up to
five criteria, each 0 or 1. A criterion whose expectation is null is skipped (not counted).

  primary      expect.primary (or any of expect.primary_any) is a case-insensitive substring
               of the tool's primary.example or primary.template.
  severity     the tool's top-level `severity` equals expect.severity.
  services     expected []: 1 if the tool lists at most one service.
               otherwise: 1 if the FIRST expected service is in the tool's `services` AND at
               least half of the expected services are there. Names are compared lower-case,
               '_' read as '-', with a few aliases (see ALIASES below).
  source       expect.source is a case-insensitive substring of any of `source_locations`.
  occurrences  the tool's primary.count equals expect.occurrences, or is within +-10% of it
               when the expected count is >= 10.

A nonzero exit, a crash, a timeout or output that is not a JSON object scores 0 on every
criterion of that excerpt and is listed as a failure. Totals are printed per criterion and
overall, separately for the dev and the holdout split (the holdout half is for measuring, not
for tuning: look at its failures as little as possible).

expect.yml is a flat YAML subset, parsed here without PyYAML: `key: value` lines where a value
is a double-quoted string (JSON escapes), null, an integer, a bare word, or a flow list
`[a, "b c"]`. The thread URL is under `url:` (the key `source:` is the expected source location).

Exit status: 0 always, except 2 when BINARY does not exist or is not executable.
"""
import argparse
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "excerpts")
CRITERIA = ["primary", "severity", "services", "source", "occurrences"]
TIMEOUT = 30

# Same service, different spellings. Left side is read as the right side.
ALIASES = {
    "postgresql": "postgres", "pg": "postgres", "psql": "postgres",
    "mongodb": "mongo", "mongod": "mongo",
    "redis-server": "redis",
    "mysqld": "mysql", "mariadb": "mysql",
    "rabbit": "rabbitmq",
    "elastic": "elasticsearch", "es": "elasticsearch",
    "dockerd": "docker",
    "k8s": "kubernetes",
    "php-fpm7": "php-fpm", "php-fpm8": "php-fpm", "phpfpm": "php-fpm",
}


# ---------------------------------------------------------------- expect.yml

def _scalar(text):
    text = text.strip()
    if text == "" or text in ("null", "~"):
        return None
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def _split_flow(body):
    items, cur, quote, esc = [], "", None, False
    for ch in body:
        if quote:
            cur += ch
            if esc:
                esc = False
            elif ch == "\\" and quote == '"':
                esc = True
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            cur += ch
        elif ch == ",":
            items.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        items.append(cur)
    return [_scalar(i) for i in items if i.strip()]


def parse_expect(path):
    data = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):(.*)$", line.rstrip("\n"))
            if not m:
                raise ValueError("%s:%d: not a flat 'key: value' line" % (path, n))
            key, raw = m.group(1), m.group(2).strip()
            if raw.startswith("["):
                if not raw.endswith("]"):
                    raise ValueError("%s:%d: flow list must fit on one line" % (path, n))
                data[key] = _split_flow(raw[1:-1])
            else:
                data[key] = _scalar(raw)
    return data


# ---------------------------------------------------------------- scoring

def norm_service(name):
    s = str(name).strip().lower().replace("_", "-")
    return ALIASES.get(s, s)


def _texts(items):
    """source_locations / services may be strings or objects; flatten to strings."""
    out = []
    for it in items or []:
        if isinstance(it, dict):
            for key in ("name", "service", "location", "file", "value"):
                if isinstance(it.get(key), str):
                    out.append(it[key])
            out.append(json.dumps(it, ensure_ascii=False))
        elif it is not None:
            out.append(str(it))
    return out


def score(expect, out):
    """Returns ({criterion: 0/1 or None}, {criterion: what the tool said})."""
    res, got = {}, {}
    prim = out.get("primary") or {}
    if not isinstance(prim, dict):
        prim = {}

    exp = expect.get("primary")
    got["primary"] = prim.get("example") or prim.get("template")
    if exp is None:
        res["primary"] = None
    else:
        hay = " \n ".join(str(prim.get(k) or "") for k in ("example", "template")).lower()
        wants = [exp] + list(expect.get("primary_any") or [])
        res["primary"] = int(any(str(w).lower() in hay for w in wants if w))

    exp = expect.get("severity")
    got["severity"] = out.get("severity")
    res["severity"] = None if exp is None else int(str(out.get("severity") or "").lower() == str(exp).lower())

    exp = expect.get("services")
    tool = [norm_service(s) for s in _texts(out.get("services")) if not s.startswith("{")]
    got["services"] = tool
    if exp is None:
        res["services"] = None
    elif len(exp) == 0:
        res["services"] = int(len(tool) <= 1)
    else:
        want = [norm_service(s) for s in exp]
        found = sum(1 for s in want if s in tool)
        res["services"] = int(want[0] in tool and 2 * found >= len(want))

    exp = expect.get("source")
    locs = _texts(out.get("source_locations"))
    got["source"] = locs
    res["source"] = None if exp is None else int(any(str(exp).lower() in l.lower() for l in locs))

    exp = expect.get("occurrences")
    cnt = prim.get("count")
    got["occurrences"] = cnt
    if exp is None:
        res["occurrences"] = None
    elif not isinstance(cnt, int):
        res["occurrences"] = 0
    elif exp >= 10:
        res["occurrences"] = int(abs(cnt - exp) <= 0.1 * exp)
    else:
        res["occurrences"] = int(cnt == exp)
    return res, got


# The tool reads a repo's own signatures.yml (found from the working directory) on top of the
# built-in ones: it runs in an empty directory, so a binary is scored with the catalog compiled
# into it, not with whatever the checkout's signatures.yml holds at the time.
EMPTY_DIR = tempfile.mkdtemp(prefix="excerpts-")
atexit.register(shutil.rmtree, EMPTY_DIR, True)


def run_tool(binary, log):
    try:
        p = subprocess.run([os.path.abspath(binary), "analyze", "--json", os.path.abspath(log)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT, cwd=EMPTY_DIR)
    except subprocess.TimeoutExpired:
        return None, "timeout after %ds" % TIMEOUT
    except OSError as e:
        return None, "could not run: %s" % e
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, "exit %d%s" % (p.returncode, (": " + err[-1][:200]) if err else "")
    try:
        out = json.loads(p.stdout.decode("utf-8", "replace"))
    except ValueError as e:
        return None, "output is not JSON: %s" % e
    if not isinstance(out, dict):
        return None, "output is not a JSON object"
    return out, None


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--split", choices=["dev", "holdout", "all"], default="all")
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    ap.add_argument("--verbose", action="store_true", help="per-excerpt table and failures")
    args = ap.parse_args()

    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        print("excerpts.py: %s is not an executable file" % args.binary, file=sys.stderr)
        return 2

    rows = []
    for name in sorted(os.listdir(CORPUS)):
        d = os.path.join(CORPUS, name)
        exp_path, log_path = os.path.join(d, "expect.yml"), os.path.join(d, "log.txt")
        if not (os.path.isdir(d) and os.path.isfile(exp_path) and os.path.isfile(log_path)):
            continue
        expect = parse_expect(exp_path)
        split = expect.get("split")
        if args.split != "all" and split != args.split:
            continue
        out, err = run_tool(args.binary, log_path)
        if err:
            res = {c: (None if expect.get(c) is None else 0) for c in CRITERIA}
            got = {}
        else:
            res, got = score(expect, out)
        rows.append({"name": name, "split": split, "stack": expect.get("stack") or [],
                     "url": expect.get("url"), "error": err, "scores": res, "got": got,
                     "expect": {c: expect.get(c) for c in CRITERIA}})

    summary = {}
    for split in ("dev", "holdout"):
        sel = [r for r in rows if r["split"] == split]
        if not sel:
            continue
        per = {}
        tot_pts = tot_n = 0
        for c in CRITERIA:
            vals = [r["scores"][c] for r in sel if r["scores"].get(c) is not None]
            per[c] = {"points": sum(vals), "of": len(vals)}
            tot_pts += sum(vals)
            tot_n += len(vals)
        summary[split] = {"excerpts": len(sel), "criteria": per, "points": tot_pts, "of": tot_n,
                          "percent": round(100.0 * tot_pts / tot_n, 1) if tot_n else None,
                          "tool_failures": [r["name"] for r in sel if r["error"]]}

    if args.json:
        print(json.dumps({"binary": args.binary, "summary": summary, "excerpts": rows},
                         indent=2, ensure_ascii=False))
        return 0

    mark = {1: "ok", 0: "--", None: " ."}
    if args.verbose:
        print("%-44s %-7s %4s %4s %4s %4s %4s" % ("excerpt", "split", "prim", "sev", "svc", "src", "occ"))
        for r in rows:
            s = r["scores"]
            print("%-44s %-7s %4s %4s %4s %4s %4s%s" % (
                r["name"][:44], r["split"], mark[s.get("primary")], mark[s.get("severity")],
                mark[s.get("services")], mark[s.get("source")], mark[s.get("occurrences")],
                ("  TOOL FAILED: " + r["error"]) if r["error"] else ""))
        print()
        print("Failures (expected -> got), with the stack of each excerpt:")
        for r in rows:
            bad = [c for c in CRITERIA if r["scores"].get(c) == 0]
            if not bad:
                continue
            print("  %s [%s] stack: %s" % (r["name"], r["split"], ", ".join(r["stack"])))
            if r["error"]:
                print("      tool failed: %s" % r["error"])
                continue
            for c in bad:
                g = r["got"].get(c)
                if isinstance(g, str) and len(g) > 140:
                    g = g[:140] + "..."
                print("      %-11s expected %s -> got %s" % (
                    c, json.dumps(r["expect"][c], ensure_ascii=False), json.dumps(g, ensure_ascii=False)))
        print()

    for split, s in summary.items():
        print("%s: %d excerpts, overall %d/%d = %s%%" % (
            split, s["excerpts"], s["points"], s["of"], s["percent"]))
        for c in CRITERIA:
            p = s["criteria"][c]
            pct = (100.0 * p["points"] / p["of"]) if p["of"] else 0.0
            print("  %-12s %3d/%-3d %5.1f%%" % (c, p["points"], p["of"], pct))
        if s["tool_failures"]:
            print("  tool failed (scored 0): %s" % ", ".join(s["tool_failures"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
