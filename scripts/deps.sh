#!/bin/sh
# Installs the Debian packages clustersim needs to build, test and plot; prints the command instead when not root.
set -eu
# Arguments replace the list: `make fuzz` asks for its own extra packages this way.
pkgs=${*:-"build-essential pkg-config libgsl-dev libcjson-dev check gnuplot-nox libxxhash-dev libmd-dev python3-simpy python3-jsonschema valgrind"}
# make MPI=1 passes MPI=1: Open MPI for the multi-machine build only.
[ "${MPI:-}" = 1 ] && pkgs="$pkgs libopenmpi-dev openmpi-bin"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "clustersim needs these Debian packages:$missing" >&2
    echo "run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
