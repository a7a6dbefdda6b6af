#!/bin/sh
# End-to-end checks of the clustersim binary: commands, exit codes, outputs.
set -eu
BIN=${1:-bin/clustersim}
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
"$BIN" --help >/dev/null 2>&1 && ok || bad "--help"
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
