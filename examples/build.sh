#!/bin/sh
# Builds the example implementations into examples/build/ (git-ignored) with AddressSanitizer and
# UndefinedBehaviorSanitizer, so that a memory error in them is a report the conformance suite turns into a
# violation. Usage: examples/build.sh [NAME...]   (default: all; NAME as listed below)
# A binary is rebuilt only when a source is newer; each is written to a temporary name and renamed, so
# concurrent builds never see a half-written file. CC overrides the compiler (default gcc).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
cc=${CC:-gcc}
flags="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra"
mkdir -p "$out"

# name | sources (relative to examples/) | extra flags
targets='
dma-pool|dma-pool/main.c dma-pool/pool.c common/jsonl.c|
dma-pool-free-twice|dma-pool/main.c dma-pool/pool.c common/jsonl.c|-DBUG_FREE_RETURNS_TWICE
nvgrace-gpu|nvgrace-gpu/main.c nvgrace-gpu/region.c common/jsonl.c|
nvgrace-gpu-past-end|nvgrace-gpu/main.c nvgrace-gpu/region.c common/jsonl.c|-DBUG_READ_PAST_END
'

build() {
  name=$1 sources=$2 extra=$3
  bin="$out/$name"
  stale=no
  [ -x "$bin" ] || stale=yes
  for s in $sources "common/jsonl.h" "build.sh"; do
    [ "$here/$s" -nt "$bin" ] && stale=yes
  done
  for h in "$here"/$(dirname "$(echo $sources | cut -d' ' -f1)")/*.h; do
    [ -e "$h" ] && [ "$h" -nt "$bin" ] && stale=yes
  done
  [ "$stale" = no ] && return 0
  files=""
  for s in $sources; do files="$files $here/$s"; done
  tmp="$bin.$$.tmp"
  # shellcheck disable=SC2086
  $cc $flags $extra -o "$tmp" $files
  mv -f "$tmp" "$bin"
  echo "built $bin"
}

wanted="$*"
found=no
echo "$targets" | while IFS='|' read -r name sources extra; do
  [ -n "$name" ] || continue
  if [ -z "$wanted" ] || echo " $wanted " | grep -q " $name "; then
    [ -e "$here/$(echo $sources | cut -d' ' -f1)" ] || { echo "skip $name (no sources yet)"; continue; }
    build "$name" "$sources" "$extra"
  fi
done
