#!/bin/sh
# make demo: the main job. Runs the journey from a single server to millions of users and
# writes out/journey/report.html with its plots, tables and the last stage's run.
set -eu
bin/clustersim journey scenarios/journey --out out/journey
echo "open out/journey/report.html"
