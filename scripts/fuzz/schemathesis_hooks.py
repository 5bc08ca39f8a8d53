"""Schemathesis hooks of `npm run test:fuzz` (loaded through SCHEMATHESIS_HOOKS).

What JSON Schema cannot say about POST /orders, said here so the fuzzer knows it:
- each SKU may appear once in `items` (a duplicate is a documented 400: "unique by a property" has no JSON Schema
  keyword). Bodies with a duplicate SKU are left out, so a "valid" body really is valid and a rejected one was meant
  to be invalid.

And what the fuzzer must not send as `X-Fault-Inject` (scripts/fuzz/fault_header.py says why): a value that names
real fault hooks, and the coverage phase's stand-in value in cases that do not test the header. How often each was
taken out is written to FUZZ_HOOKS_REPORT (JSON) when the run ends; scripts/fuzz/run.ts prints it.
"""
import atexit
import collections
import json
import os
import sys
import unicodedata

import schemathesis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_header  # noqa: E402  (a sibling file; this one is loaded by path, not as a package)

_PATTERN = fault_header.accepted_pattern()
_REMOVED: "collections.Counter[str]" = collections.Counter()


def _has_duplicate_sku(body):
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return False
    skus = [line.get("sku") for line in body["items"] if isinstance(line, dict) and isinstance(line.get("sku"), str)]
    # The API compares SKUs after NFC normalisation.
    normalised = [unicodedata.normalize("NFC", s) for s in skus]
    return len(set(normalised)) != len(normalised)


@schemathesis.hook
def filter_body(ctx, body):
    return not _has_duplicate_sku(body)


@schemathesis.hook
def map_case(ctx, case):
    if case.headers:
        meta = case.meta
        phase = str(meta.phase.name) if meta else ""
        target = getattr(meta.phase.data, "parameter", None) if meta else None
        _REMOVED.update(fault_header.strip(case.headers, pattern=_PATTERN, phase=phase, target=target))
    return case


def _report():
    path = os.environ.get("FUZZ_HOOKS_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"X-Fault-Inject removed": dict(_REMOVED)}, out)


atexit.register(_report)
