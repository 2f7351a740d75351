#!/usr/bin/env bash
# First command of the README: sets up (scripts/setup.sh), builds the package
# tarball with its vignettes (R CMD build), installs it into your R library
# (R CMD INSTALL), says where, then runs the demo (scripts/demo.R: kernels, a
# Monte-Carlo comparison, a dynamics prediction; figure out/demo.png).
# Afterwards library(jntk), the tour and vignette("jntk") work in any new R
# session.
#   bash scripts/demo.sh
#   JNTK_LIB=/path/to/lib bash scripts/demo.sh   # install into another library
# The library is the first writable entry of .libPaths(), else R_LIBS_USER
# (created if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

lib=${JNTK_LIB:-$(Rscript -e '
  p <- .libPaths()
  w <- p[file.access(p, 2) == 0]
  if (length(w)) cat(w[1]) else {
    u <- strsplit(Sys.getenv("R_LIBS_USER"), .Platform$path.sep)[[1]][1]
    u <- path.expand(u)
    if (!nzchar(u)) stop("no writable library: set R_LIBS_USER or JNTK_LIB")
    dir.create(u, recursive = TRUE, showWarnings = FALSE)
    cat(u)
  }')}
mkdir -p "$lib"

# build from a clean copy of the tree (no objects, no out/, no .git)
mkdir -p "$work/jntk"
tar -C "$root" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude=out -cf - . | tar -C "$work/jntk" -xf -
echo "demo: building the package with its vignettes (R CMD build; about 3 minutes)"
(cd "$work" && R CMD build jntk >build.log 2>&1) || { tail -50 "$work/build.log"; exit 1; }
tarball=$(ls "$work"/jntk_*.tar.gz | head -n 1)
echo "demo: installing $(basename "$tarball") into $lib"
R CMD INSTALL --no-multiarch -l "$lib" "$tarball" >"$work/install.log" 2>&1 || { tail -50 "$work/install.log"; exit 1; }
echo "demo: installed jntk into $lib; in R: library(jntk); vignette(\"jntk\")"
mkdir -p out
R_LIBS="$lib${R_LIBS:+:$R_LIBS}" Rscript scripts/demo.R out/demo.png
