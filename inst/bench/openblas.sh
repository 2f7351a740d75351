#!/usr/bin/env bash
# OpenBLAS for the benchmarks, without changing the system: downloads the
# Debian/Ubuntu package libopenblas0-pthread (apt-get download, no install),
# unpacks it into a folder (default /tmp/openblas) and prints the directory
# that holds its libblas.so.3. Run R on it with
#   dir=$(bash inst/bench/openblas.sh)
#   R_LD_LIBRARY_PATH=$dir LD_LIBRARY_PATH=$dir OPENBLAS_NUM_THREADS=1 Rscript ...
# (check with extSoftVersion()["BLAS"]). Prints nothing and exits 1 when it
# cannot (no apt-get, no network); the benchmarks then run with R's BLAS only.
set -u
dest=${1:-/tmp/openblas}
find_lib() { find "$dest" -name libblas.so.3 -path '*openblas*' 2>/dev/null | head -n 1; }
lib=$(find_lib)
if [ -z "$lib" ]; then
  command -v apt-get >/dev/null 2>&1 || exit 1
  command -v dpkg >/dev/null 2>&1 || exit 1
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libopenblas0-pthread >/dev/null 2>&1) || { rm -rf "$tmp"; exit 1; }
  deb=$(ls "$tmp"/libopenblas0-pthread_*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || { rm -rf "$tmp"; exit 1; }
  mkdir -p "$dest"
  dpkg -x "$deb" "$dest" || { rm -rf "$tmp"; exit 1; }
  rm -rf "$tmp"
  lib=$(find_lib)
fi
[ -n "$lib" ] || exit 1
dirname "$lib"
