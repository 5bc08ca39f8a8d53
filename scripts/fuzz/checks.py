"""Prints the checks `st run` will run, as JSON {"on": [...], "off": [...], "declared_off": [...]}, resolved the way Schemathesis 4.32.5's
`st run` resolves them (cli/commands/run/__init__.py: the config file, then the command line's check options on top).

Usage: checks.py CONFIG_FILE [CHECKS]   (CHECKS: what run.ts would pass as --checks, comma-separated; empty: none)

scripts/fuzz/run.ts runs it with the fuzz venv's Python before fuzzing and stops when the checks that are off are not
exactly the ones schemathesis.toml turns off (each with its reason): a command-line option that silently turned an
exclusion back on (as `--checks all` did) fails the run before it starts.
"""
import json
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11: Schemathesis depends on tomli there
    import tomli as tomllib

import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig

config = SchemathesisConfig.from_path(sys.argv[1])
with open(sys.argv[1], "rb") as f:
    declared = tomllib.load(f).get("checks", {})
included = [c for c in sys.argv[2].split(",") if c] if len(sys.argv) > 2 else []
config.projects.override.checks.update(included_check_names=included or None, excluded_check_names=None)
resolved = config.projects.get_default().checks_config_for()
names = sorted(CHECKS.get_all_names())
print(json.dumps({
    "on": [n for n in names if resolved.get_by_name(name=n).enabled],
    "off": [n for n in names if not resolved.get_by_name(name=n).enabled],
    # What the file itself turns off: [checks.<name>] enabled = false.
    "declared_off": sorted(n for n, v in declared.items() if isinstance(v, dict) and v.get("enabled") is False),
}))
