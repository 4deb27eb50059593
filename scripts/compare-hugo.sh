#!/usr/bin/env bash
# blameless against Hugo on the same generated archive, side by side (examples/compare.rs):
# installs Hugo from the distribution's packages when it is missing, builds blameless in
# release mode and prints both builds' wall, user and system time, peak memory, output and the
# ratio, as medians of alternating runs.
#
#   scripts/compare-hugo.sh                    1,000 and 10,000 post-mortems, 5 runs each
#   scripts/compare-hugo.sh --runs 3 50000     any sizes and number of runs
#
# The archives go to TMPDIR (a tmpfs such as /dev/shm keeps the disk out of the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hugo >/dev/null; then
  echo "== installing hugo" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends hugo >/dev/null
fi
cargo build --release --quiet
cargo run --release --quiet --example compare -- "$@"
