"""What `npm run test:fuzz` sends as `X-Fault-Inject`: plain Python (no Schemathesis import), so
test/scripts/fuzz-hooks.test.ts runs it without the fuzz venv. schemathesis_hooks.py applies it to every case.

Two kinds of value are taken out of a generated case (the header is optional, so the rest of the case stays what it
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
