#!/usr/bin/env bash
# Builds every fuzz target once (libFuzzer + AddressSanitizer), replays each one's committed
# corpus (Tests/FuzzCorpus/<Target>/) and every input that ever crashed it (FailCases/<Target>/),
# then fuzzes each for ${FUZZ_SECONDS:-60} seconds from a scratch copy of its corpus, so the
# committed one is never written to. Exits non-zero if any target crashed or reported.
#   FUZZ_SECONDS=20 FuzzTesting/run.sh            all targets
#   FuzzTesting/run.sh FuzzJPEG FuzzScenePNG      some of them
# A new crash is left in FuzzTesting/.build/artifacts/<Target>/: fix it, then move it to
# FailCases/<Target>/ so it is replayed from then on.
set -uo pipefail
cd "$(dirname "$0")"

SECONDS_EACH=${FUZZ_SECONDS:-60}
CONFIG=${FUZZ_CONFIG:-release}
SWIFT=${SWIFT:-swift}
ALL=(FuzzZMQWire FuzzImageZMQMetadata FuzzJPEG FuzzTileFitter FuzzScenePNG FuzzGalleryPath FuzzByteRange FuzzProduceArguments FuzzMedia)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
# libFuzzer, not Swift's backtracer, must catch a trap: it then reports it and keeps the input.
export SWIFT_BACKTRACE=enable=no
FLAGS=(-c "$CONFIG" -Xswiftc -g -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

# The versions the main package resolved, when it has resolved them.
[ -f Package.resolved ] || [ ! -f ../Package.resolved ] || cp ../Package.resolved Package.resolved

started=$(date +%s)
if ! "$SWIFT" build "${FLAGS[@]}"; then
  echo "fuzz: the build failed" >&2
  exit 1
fi
echo "fuzz: built in $(($(date +%s) - started)) s"
BIN=$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/gridstitch-fuzz-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
failed=()
summary=()
for target in "${TARGETS[@]}"; do
  corpus=../Tests/FuzzCorpus/$target
  artifacts=.build/artifacts/$target
  mkdir -p "$artifacts"
  options=(-print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 "-artifact_prefix=$artifacts/")
  [ -f "Dictionaries/$target.dict" ] && options+=("-dict=Dictionaries/$target.dict")

  # Regressions: every committed input once, each as a file of its own.
  regressions=()
  for folder in "$corpus" "FailCases/$target"; do
    [ -d "$folder" ] && while IFS= read -r -d '' file; do regressions+=("$file"); done \
      < <(find "$folder" -type f -print0 | sort -z)
  done
  if [ ${#regressions[@]} -gt 0 ] && ! "$BIN/$target" "${options[@]}" "${regressions[@]}" \
    >"$SCRATCH/$target.replay.log" 2>&1; then
    echo "fuzz: $target FAILED on a committed input:" >&2
    tail -n 40 "$SCRATCH/$target.replay.log" >&2
    failed+=("$target")
    continue
  fi

  # Fuzzing, from a scratch copy of the corpus.
  work=$SCRATCH/$target
  mkdir -p "$work"
  [ -d "$corpus" ] && cp -R "$corpus/." "$work/"
  if "$BIN/$target" "${options[@]}" "-max_total_time=$SECONDS_EACH" "$work" >"$SCRATCH/$target.log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
    echo "fuzz: $target FAILED; the input is in $PWD/$artifacts:" >&2
    tail -n 60 "$SCRATCH/$target.log" >&2
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$SCRATCH/$target.log" | tail -n 1)
  line="$target: $status, ${runs:-?} executions in ${SECONDS_EACH} s, ${#regressions[@]} inputs replayed"
  echo "fuzz: $line"
  summary+=("$line")
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#TARGETS[@]} targets, no crash"
