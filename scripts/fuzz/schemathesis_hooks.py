"""Schemathesis hooks of `npm run test:fuzz` (loaded through SCHEMATHESIS_HOOKS).

What JSON Schema cannot say about POST /orders, said here so the fuzzer knows it:
- each SKU may appear once in `items` (a duplicate is a documented 400: "unique by a property" has no JSON Schema
  keyword). Generated bodies with a duplicate SKU are left out, coverage-phase ones get distinct SKUs (rules.py), so
  a "valid" body really is valid and a rejected one was meant to be invalid.

And what the fuzzer must not send as `X-Fault-Inject` (scripts/fuzz/rules.py says why): a value that names
real fault hooks, and the coverage phase's stand-in value in cases that do not test the header. How often each
change was made is written to FUZZ_HOOKS_REPORT (JSON) when the run ends; scripts/fuzz/run.ts prints it.
"""
import atexit
import collections
import copy
import json
import os
import sys

import schemathesis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rules  # noqa: E402  (a sibling file; this one is loaded by path, not as a package)

_PATTERN = rules.accepted_pattern()
_CHANGED: "collections.Counter[str]" = collections.Counter()


@schemathesis.hook
def filter_body(ctx, body):
    return not rules.has_duplicate_sku(body)


@schemathesis.hook
def map_case(ctx, case):
    if case.headers:
        meta = case.meta
        phase = str(meta.phase.name) if meta else ""
        target = getattr(meta.phase.data, "parameter", None) if meta else None
        _CHANGED.update(f"X-Fault-Inject removed: {why}" for why in rules.strip(case.headers, pattern=_PATTERN, phase=phase, target=target))
    if case.meta and str(case.meta.phase.name) == "coverage" and rules.has_duplicate_sku(case.body):
        body = copy.deepcopy(case.body)  # the coverage phase may share the value with other cases
        _CHANGED["duplicate SKU renamed (coverage phase)"] += rules.distinct_skus(body)
        case.body = body
    return case


def _report():
    path = os.environ.get("FUZZ_HOOKS_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(dict(_CHANGED), out)


atexit.register(_report)
