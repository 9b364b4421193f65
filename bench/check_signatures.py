#!/usr/bin/env python3
"""Check the built-in failure-signature catalog (signatures.yml).

Checks: file shape; unique kebab-case ids; allowed categories and severities; regexes that
compile in Python `re` and stay inside the ICU/Python common subset (only a leading (?i), no
lookaround, named groups, possessive quantifiers or backreferences; at most two `.*`; no
nested quantifiers); every example matches its own signature, and the FIRST signature in
file order that matches it is that signature (no shadowing); no counterexample matches its
signature; `service` is lower-case literal or a capture group that exists and captures on
every example; service maps are lower-case. Prints counts by category; exits 1 on a problem.

Usage: python3 bench/check_signatures.py [path/to/signatures.yml]
"""
import os
import re
import sys
from collections import Counter

import yaml

CATEGORIES = {
    "connectivity", "dns", "tls", "timeout", "resource-exhaustion", "oom", "crash-loop",
    "auth", "config", "quorum", "disk", "dependency-down", "probe", "upstream",
    "scheduling", "image", "rate-limit", "deadlock", "data", "crash",
}
SEVERITIES = {"critical", "high", "medium", "low"}
KEYS = {"id", "match", "category", "service", "severity", "symptom", "hint", "examples", "counterexamples"}
REQUIRED = {"id", "match", "category", "severity", "hint", "examples"}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SERVICE_RE = re.compile(r"^(?:[a-z0-9][a-z0-9._+-]*|\$[1-9])$")
MIN_SIGNATURES = 70


def tokens(body):
    """Yield (kind, text) for a regex body: esc, class, open, close, quant, lit."""
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            yield "esc", body[i:i + 2]
            i += 2
        elif c == "[":
            j = i + 1
            if j < len(body) and body[j] == "^":
                j += 1
            if j < len(body) and body[j] == "]":
                j += 1
            while j < len(body) and body[j] != "]":
                j += 2 if body[j] == "\\" else 1
            yield "class", body[i:j + 1]
            i = j + 1
        elif c == "(":
            j = i + 1
            if body.startswith("?", j):
                j = body.index(":", j) + 1 if body.startswith("?:", j) else j + 1
            yield "open", body[i:j]
            i = j
        elif c == ")":
            yield "close", c
            i += 1
        elif c in "*+?":
            yield "quant", c
            i += 1
        elif c == "{" and re.match(r"\{\d+(?:,\d*)?\}", body[i:]):
            m = re.match(r"\{\d+(?:,\d*)?\}", body[i:])
            yield "quant", m.group(0)
            i += len(m.group(0))
        else:
            yield "lit", c
            i += 1


def regex_problems(rx):
    """Portability and cost checks for the ICU / Python common subset."""
    out = set()
    body = rx[4:] if rx.startswith("(?i)") else rx
    if body.count(".*") > 2:
        out.add("more than two `.*`")
    toks = list(tokens(body))
    for kind, text in toks:
        if kind == "lit" and text == "{":
            out.add("unescaped '{' that is not a quantifier (an error in ICU)")
        if kind == "class" and re.search(r"(?<!\\)\[", text[1:]):
            out.add("unescaped '[' inside a character class (a nested set in ICU)")
    stack = []          # per open group: does it contain an unbounded quantifier?
    prev = None
    for n, (kind, text) in enumerate(toks):
        if kind == "open":
            if text not in ("(", "(?:"):
                out.add(f"group {text!r}: only (...) and (?:...) are allowed "
                        "(no lookaround, named groups or inline flags)")
            stack.append(False)
        elif kind == "close":
            inner = stack.pop() if stack else False
            nxt = toks[n + 1] if n + 1 < len(toks) else None
            unbounded = nxt is not None and nxt[0] == "quant" and nxt[1] in ("*", "+") or (
                nxt is not None and nxt[0] == "quant" and nxt[1].endswith(",}"))
            if inner and unbounded:
                out.add("nested quantifier")
            if stack and inner:
                stack[-1] = True
        elif kind == "quant":
            if prev is not None and prev[0] == "quant" and text == "+":
                out.add("possessive quantifier")
            if stack and (text in ("*", "+") or text.endswith(",}")):
                stack[-1] = True
        elif kind == "esc" and re.match(r"\\[1-9]", text):
            out.add("backreference")
        prev = (kind, text)
    return sorted(out)


class ICU:
    """The ICU regex engine that NSRegularExpression uses, through libicui18n's C API."""

    ERROR_ON_UNKNOWN_ESCAPES = 512     # NSRegularExpression passes UREGEX_ERROR_ON_UNKNOWN_ESCAPES

    def __init__(self):
        import ctypes
        import ctypes.util
        import glob
        self.ct = ctypes
        names = [ctypes.util.find_library("icui18n")] + sorted(
            glob.glob("/usr/lib/*/libicui18n.so.*") + glob.glob("/usr/lib/libicui18n.so.*")
            + glob.glob("/opt/homebrew/opt/icu4c/lib/libicui18n.*.dylib"))
        self.lib = None
        for name in names:
            if not name:
                continue
            try:
                self.lib = ctypes.CDLL(name)
                self.name = name
                break
            except OSError:
                continue
        if self.lib is None:
            raise OSError("libicui18n not found")
        suffix = None
        for cand in [""] + [f"_{v}" for v in range(80, 43, -1)]:
            if hasattr(self.lib, "uregex_open" + cand):
                suffix = cand
                break
        if suffix is None:
            raise OSError("uregex_open not found in " + self.name)
        f = lambda n: getattr(self.lib, n + suffix)
        self._open, self._close = f("uregex_open"), f("uregex_close")
        self._set_text, self._find = f("uregex_setText"), f("uregex_find")
        self._group = f("uregex_group")
        P, I, U = ctypes.c_void_p, ctypes.c_int32, ctypes.c_uint32
        self._open.restype, self._open.argtypes = P, [P, I, U, P, P]
        self._close.argtypes = [P]
        self._set_text.argtypes = [P, P, I, P]
        self._find.restype, self._find.argtypes = ctypes.c_int8, [P, I, P]
        self._group.restype, self._group.argtypes = I, [P, I, P, I, P]
        self.keep = []

    def _u16(self, text):
        data = text.encode("utf-16-le")
        buf = self.ct.create_string_buffer(data + b"\0\0", len(data) + 2)
        return buf, len(data) // 2

    def compile(self, pattern):
        """Return a handle, or raise ValueError with ICU's error code."""
        ct = self.ct
        buf, n = self._u16(pattern)
        status = ct.c_int32(0)
        perr = ct.create_string_buffer(128)
        h = self._open(buf, n, self.ERROR_ON_UNKNOWN_ESCAPES, perr, ct.byref(status))
        if status.value > 0 or not h:
            raise ValueError(f"ICU error {status.value}")
        self.keep.append(buf)
        return h

    def search(self, h, text, group=0):
        """None if no match, else the text of `group` ('' when it did not take part)."""
        ct = self.ct
        buf, n = self._u16(text)
        status = ct.c_int32(0)
        self._set_text(h, buf, n, ct.byref(status))
        found = self._find(h, 0, ct.byref(status))
        if status.value > 0:
            raise ValueError(f"ICU error {status.value}")
        if not found:
            return None
        out = ct.create_string_buffer(2 * (n + 1))
        st = ct.c_int32(0)
        k = self._group(h, group, out, n + 1, ct.byref(st))
        return out.raw[:2 * max(k, 0)].decode("utf-16-le", "replace") if st.value <= 0 else ""


def icu_checks(sigs, bad):
    try:
        icu = ICU()
    except OSError as e:
        print(f"ICU: skipped ({e})")
        return
    handles = []
    for s in sigs:
        h = None
        if isinstance(s, dict) and isinstance(s.get("match"), str):
            try:
                h = icu.compile(s["match"])
            except ValueError as e:
                bad(f"{s.get('id')}: regex does not compile in ICU: {e}")
        handles.append(h)
    for n, s in enumerate(sigs):
        h = handles[n]
        if h is None:
            continue
        sid, svc = s.get("id"), s.get("service")
        grp = int(svc[1:]) if isinstance(svc, str) and svc.startswith("$") else 0
        for ex in s.get("examples") or []:
            if not isinstance(ex, str):
                continue
            m = icu.search(h, ex, grp)
            if m is None:
                bad(f"{sid}: ICU: example does not match: {ex!r}")
                continue
            if grp and not m:
                bad(f"{sid}: ICU: service ${grp} captures nothing on {ex!r}")
            for k in range(n):
                if handles[k] is not None and icu.search(handles[k], ex) is not None:
                    bad(f"{sid}: ICU: example shadowed by earlier {sigs[k].get('id')}: {ex!r}")
                    break
        for cx in s.get("counterexamples") or []:
            if isinstance(cx, str) and icu.search(h, cx) is not None:
                bad(f"{sid}: ICU: counterexample matches: {cx!r}")
    print(f"ICU: checked with {icu.name}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "signatures.yml")
    problems = []

    def bad(msg):
        problems.append(msg)

    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or set(doc) != {"services", "signatures"}:
        print("FAIL: top level must be exactly {services, signatures}")
        return 1

    services = doc["services"]
    for key in ("ports", "schemes", "libraries"):
        m = services.get(key) if isinstance(services, dict) else None
        if not isinstance(m, dict) or not m:
            bad(f"services.{key}: missing or empty map")
            continue
        for k, v in m.items():
            if not isinstance(k, str):
                bad(f"services.{key}: key {k!r} must be a string (quote it)")
            elif k != k.lower():
                bad(f"services.{key}: key {k!r} is not lower-case")
            if not isinstance(v, str) or not SERVICE_RE.match(v) or v.startswith("$"):
                bad(f"services.{key}.{k}: value {v!r} is not a lower-case service name")
        if key == "ports":
            for k in m:
                if isinstance(k, str) and not k.isdigit():
                    bad(f"services.ports: key {k!r} is not a port number")

    sigs = doc["signatures"]
    if not isinstance(sigs, list):
        print("FAIL: signatures must be a list")
        return 1
    compiled, seen = [], set()
    for n, s in enumerate(sigs):
        sid = s.get("id", f"#{n}") if isinstance(s, dict) else f"#{n}"
        if not isinstance(s, dict):
            bad(f"{sid}: not a mapping")
            compiled.append(None)
            continue
        extra, missing = set(s) - KEYS, REQUIRED - set(s)
        if extra:
            bad(f"{sid}: unknown keys {sorted(extra)}")
        if missing:
            bad(f"{sid}: missing keys {sorted(missing)}")
        if not isinstance(sid, str) or not ID_RE.match(sid):
            bad(f"{sid}: id is not kebab-case")
        if sid in seen:
            bad(f"{sid}: duplicate id")
        seen.add(sid)
        if s.get("category") not in CATEGORIES:
            bad(f"{sid}: category {s.get('category')!r} not allowed")
        if s.get("severity") not in SEVERITIES:
            bad(f"{sid}: severity {s.get('severity')!r} not allowed")
        if "symptom" in s and not isinstance(s["symptom"], bool):
            bad(f"{sid}: symptom {s['symptom']!r} is not true or false")
        hint = s.get("hint")
        if not isinstance(hint, str) or not hint.strip() or "\n" in hint:
            bad(f"{sid}: hint must be one non-empty line")
        rx = s.get("match")
        try:
            c = re.compile(rx)
        except (re.error, TypeError) as e:
            bad(f"{sid}: regex does not compile: {e}")
            compiled.append(None)
            continue
        for p in regex_problems(rx):
            bad(f"{sid}: {p}")
        svc = s.get("service")
        if svc is not None:
            if not isinstance(svc, str) or not SERVICE_RE.match(svc):
                bad(f"{sid}: service {svc!r} must be lower-case literal or $N")
            elif svc.startswith("$") and int(svc[1:]) > c.groups:
                bad(f"{sid}: service {svc} but the regex has {c.groups} group(s)")
        compiled.append(c)
        exs = s.get("examples")
        if not isinstance(exs, list) or not exs:
            bad(f"{sid}: needs at least one example")
        cxs = s.get("counterexamples") or []
        if not isinstance(cxs, list):
            bad(f"{sid}: counterexamples must be a list")
            s["counterexamples"] = []

    if len(sigs) < MIN_SIGNATURES:
        bad(f"only {len(sigs)} signatures (want >= {MIN_SIGNATURES})")

    for n, s in enumerate(sigs):
        c = compiled[n]
        if c is None or not isinstance(s, dict):
            continue
        sid = s.get("id")
        svc = s.get("service")
        for ex in s.get("examples") or []:
            if not isinstance(ex, str):
                bad(f"{sid}: example {ex!r} is not a string")
                continue
            m = c.search(ex)
            if not m:
                bad(f"{sid}: example does not match: {ex!r}")
                continue
            if isinstance(svc, str) and svc.startswith("$"):
                g = m.group(int(svc[1:]))
                if not g:
                    bad(f"{sid}: service {svc} captures nothing on {ex!r}")
            for k in range(n):
                if compiled[k] is not None and compiled[k].search(ex):
                    bad(f"{sid}: example shadowed by earlier {sigs[k].get('id')}: {ex!r}")
                    break
        for cx in s.get("counterexamples") or []:
            if isinstance(cx, str) and c.search(cx):
                bad(f"{sid}: counterexample matches: {cx!r}")

    icu_checks(sigs, bad)

    counts = Counter(s.get("category") for s in sigs if isinstance(s, dict))
    sev = Counter(s.get("severity") for s in sigs if isinstance(s, dict))
    print(f"{len(sigs)} signatures")
    for cat in sorted(counts, key=lambda k: (-counts[k], str(k))):
        print(f"  {cat:20} {counts[cat]}")
    print("severities: " + ", ".join(f"{k}={sev[k]}" for k in ("critical", "high", "medium", "low")))
    print(f"services: {len(services.get('ports', {}))} ports, {len(services.get('schemes', {}))} "
          f"schemes, {len(services.get('libraries', {}))} libraries")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  - " + p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
