#!/usr/bin/env bash
# Developer helper: install the working tree into a private library without
# touching the tree (copies it, regenerates docs there, installs).
#   bash scripts/dev-install.sh NAME      -> library /tmp/jntk-lib-NAME
# Then: R_LIBS=/tmp/jntk-lib-NAME Rscript -e 'testthat::test_local()' or
#       cd /tmp/jntk-build-NAME && R_LIBS=/tmp/jntk-lib-NAME Rscript -e 'testthat::test_dir("tests/testthat", package = "jntk", load_package = "installed")'
set -euo pipefail
name=${1:-dev}
src=$(cd "$(dirname "$0")/.." && pwd)
build=/tmp/jntk-build-$name
lib=/tmp/jntk-lib-$name
rm -rf "$build"
mkdir -p "$build" "$lib"
tar -C "$src" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude=out -cf - . | tar -C "$build" -xf -
cd "$build"
Rscript -e 'suppressMessages(roxygen2::roxygenise(roclets = c("rd", "namespace")))' >/dev/null 2>roxygen.log || { cat roxygen.log; exit 1; }
# roxygen's load_all() compiles at -O0 (pkgbuild debug flags) and make does
# not track header changes: start the real build from clean objects
rm -f src/*.o src/*.so
R CMD INSTALL --no-test-load -l "$lib" . >install.log 2>&1 || { tail -40 install.log; exit 1; }
echo "installed into $lib (build tree $build)"
