#!/bin/sh
# make demo: runs the main example scenario end to end and prints its summary.
set -eu
exec bin/clustersim run scenarios/web-db.json --out out/demo
