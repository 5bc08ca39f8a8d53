"""Rules of `npm run test:fuzz` for generated cases: plain Python (no Schemathesis import), so
test/scripts/fuzz.test.ts runs them without the fuzz venv. schemathesis_hooks.py applies them.

SKUs. Each SKU may appear once in `items` (a documented 400; "unique by a property" has no JSON Schema keyword).
Hypothesis-generated bodies with a duplicate are filtered out (`filter_body`); the coverage phase does not run body
filters, and its boundary cases repeat one item (`maxItems`: 50 x {"sku": "0"}), so there `distinct_skus` renames
the repeats instead: the case still tests what it was built for (50 items is a valid order), and a valid body is valid.

X-Fault-Inject. Two kinds of value are taken out of a generated case (the header is optional, so the rest of the case stays what it
was generated to be; Schemathesis revalidates a case a hook changed and labels it again):

- a value the API accepts (`^...$` of docs/openapi.local.json, i.e. FAULT_HEADER of lambdas/core/faults.ts): it
  names real fault hooks (`relay-gives-up`, `fail:<service>`, `crash-in-provider`, ...), which would make real
  faults happen in the stack during the run: dead letters, held orders and outbox records the run's own checks (no
  DLQ growth, queues drained) would then count as the fuzzer's findings. What the hooks do is `npm run test:faults`'s
  subject; that a valid header is accepted is covered by the unit and property tests of the API handler.
- in the coverage phase, a value the API refuses in a case that does not target `X-Fault-Inject`. Schemathesis
  4.32.5 has no positive value for a header whose pattern needs a character outside A-Za-z0-9 (its header
  strings are alphanumeric), so it seeds the optional header with its first negative value (`0`) and sends that in
  every coverage case of the operation (specs/openapi/coverage/_operation.py, `_seed_parameters`): the positive ones
  ("Default positive test case", `valid_object`: a 400 INVALID_HEADER counted by positive_data_acceptance) and the
  body mutations, which the API then refused for the header before reading the body. The cases that target
  `X-Fault-Inject` itself keep their value: they test that a malformed header is a 400.
"""
import json
import re
import unicodedata
from pathlib import Path

HEADER = "x-fault-inject"
DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.local.json"

ACCEPTED = "accepted by the API: would inject real faults"
COVERAGE_SEED = "coverage-phase seed in a case that does not target the header (Schemathesis 4.32.5)"


def accepted_pattern(document: Path = DOCUMENT) -> "re.Pattern[str]":
    """The pattern the API enforces, from the document (generated from FAULT_HEADER; a test keeps them equal)."""
    doc = json.loads(document.read_text(encoding="utf-8"))
    return re.compile(doc["components"]["parameters"]["FaultInject"]["schema"]["pattern"])


def removal(value: object, *, pattern: "re.Pattern[str]", phase: str, target: "str | None") -> "str | None":
    """Why a generated `X-Fault-Inject` value is taken out of its case, or None when it is sent.

    `phase` is Schemathesis's phase name; `target` the parameter a coverage case mutates (None for other phases).
    """
    # JavaScript's `$` (the API's) matches only at the end; Python's also before a final newline: fullmatch.
    if isinstance(value, str) and pattern.fullmatch(value):
        return ACCEPTED
    if phase == "coverage" and (target or "").lower() != HEADER:
        return COVERAGE_SEED
    return None


def strip(headers: dict, *, pattern: "re.Pattern[str]", phase: str, target: "str | None") -> "list[str]":
    """Removes from `headers` (in place) every `X-Fault-Inject` spelling `removal` refuses; returns the reasons."""
    reasons = []
    for name in [k for k in headers if isinstance(k, str) and k.lower() == HEADER]:
        reason = removal(headers[name], pattern=pattern, phase=phase, target=target)
        if reason:
            del headers[name]
            reasons.append(reason)
    return reasons


SKU_MAX_LENGTH = 64


def _skus(body):
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return []
    return [line for line in body["items"] if isinstance(line, dict) and isinstance(line.get("sku"), str)]


def has_duplicate_sku(body) -> bool:
    # The API compares SKUs after NFC normalisation.
    normalised = [unicodedata.normalize("NFC", line["sku"]) for line in _skus(body)]
    return len(set(normalised)) != len(normalised)


def distinct_skus(body) -> int:
    """Renames (in place) every repeat of a SKU in `items` to an unused one within the length limit; returns how many."""
    seen = set()
    renamed = 0
    lines = _skus(body)
    taken = {unicodedata.normalize("NFC", line["sku"]) for line in lines}
    for line in lines:
        sku = unicodedata.normalize("NFC", line["sku"])
        if sku in seen:
            n = 1
            while True:
                suffix = f"~{n}"
                candidate = unicodedata.normalize("NFC", sku[: SKU_MAX_LENGTH - len(suffix)] + suffix)
                if candidate not in taken:
                    break
                n += 1
            line["sku"] = candidate
            taken.add(candidate)
            sku = candidate
            renamed += 1
        seen.add(sku)
    return renamed
