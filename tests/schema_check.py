#!/usr/bin/env python3
"""Checks scenarios/schema.json with a real JSON Schema validator: every shipped scenario
conforms, and scenarios with known mistakes do not."""
import glob
import json
import sys

import jsonschema

schema = json.load(open("scenarios/schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
passed = failed = 0
for path in sorted(glob.glob("scenarios/*.json") + glob.glob("scenarios/*/*.json")):
    if path.endswith("schema.json"):
        continue
    errors = list(validator.iter_errors(json.load(open(path))))
    if errors:
        failed += 1
        print(f"FAIL: {path} does not conform: {errors[0].message}", file=sys.stderr)
    else:
        passed += 1
good = json.load(open("scenarios/mm1.json"))
mistakes = {
    "unknown field": lambda s: s["components"][0].update(workres=2),
    "unknown type": lambda s: s["components"][0].update(type="servce"),
    "bad duration": lambda s: s.update(duration="10 parsecs"),
    "negative rate": lambda s: s["workload"].update(rate=-1),
    "missing workload": lambda s: s.pop("workload"),
    "bad distribution": lambda s: s["components"][0].update(service={"dist": "exp"}),
}
for name, spoil in mistakes.items():
    bad = json.loads(json.dumps(good))
    spoil(bad)
    if validator.is_valid(bad):
        failed += 1
        print(f"FAIL: schema accepts a scenario with {name}", file=sys.stderr)
    else:
        passed += 1
print(f"schema: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
