#!/usr/bin/env bash
# gridstitch's imagezmq hub against imagezmq's own ImageHub loop (numpy), 16 real senders at
# 240×320, in one sitting. Builds the release binary and the test venv if missing, then runs
# compare.py (its --help lists the knobs; extra arguments go to it), which writes
# timings/imagezmq/results.json and prints a table.
#   timings/imagezmq/run.sh                                  # 16 senders, 2000 grids, 3 repeats
#   timings/imagezmq/run.sh --senders 2 --grids 50 --repeats 1   # a quick check
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .build/release/gridstitch ] || swift build -c release
[ -x .venv-test/bin/python ] || make venv
exec .venv-test/bin/python timings/imagezmq/compare.py "$@"
