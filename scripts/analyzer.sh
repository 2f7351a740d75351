#!/usr/bin/env bash
# gcc's static analyzer (-fanalyzer) over every C file of the package.
#
#   bash scripts/analyzer.sh            # all of src/*.c
#   bash scripts/analyzer.sh src/dynamics.c src/util.c
#
# Compiles each file as R CMD INSTALL would (R's include flags, OpenMP, -O2)
# plus -fanalyzer, to /dev/null, and fails on any analyzer warning
# (-Wanalyzer-*: leaks, double frees, NULL dereferences, uses of uninitialised
# or freed memory, ...) or compiler warning (-Wall -Wextra, less
# -Wcast-function-type: the DL_FUNC casts of R's registration idiom). The analyzer does
# not know R's garbage collector: PROTECT balance is checked at run time by
# scripts/gctorture.R.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
cc=$(R CMD config CC)
echo 'int main(void) { return 0; }' | $cc -fanalyzer -x c -o /dev/null - 2>/dev/null ||
  { echo "analyzer: $cc does not support -fanalyzer (needs gcc >= 10)"; exit 1; }
cppflags="$(R CMD config --cppflags)"  # no -I src: <omp.h> must be the system one
openmp=$(sed -n 's/^SHLIB_OPENMP_CFLAGS *= *//p' "$(R RHOME)/etc${R_ARCH:-}/Makeconf")
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(src/*.c)
log=$(mktemp /tmp/jntk-analyzer.XXXXXX)
n_warn=0
for f in "${files[@]}"; do
  out=$($cc $cppflags $openmp -fpic -O2 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-cast-function-type -fanalyzer \
           -c "$f" -o /dev/null 2>&1)
  k=$(printf '%s\n' "$out" | grep -c -E "warning:|error:")
  printf '%-28s %d warning(s)\n' "$f" "$k"
  if [ "$k" -gt 0 ]; then
    printf '%s\n' "$out" >>"$log"
    n_warn=$((n_warn + k))
  fi
done
elapsed=$(( $(date +%s) - start ))
if [ $n_warn -gt 0 ]; then
  cat "$log"
  echo "analyzer: $n_warn warning(s) in ${#files[@]} file(s) (log $log); ${elapsed} s"
  exit 1
fi
rm -f "$log"
echo "analyzer: clean, ${#files[@]} file(s); ${elapsed} s"
