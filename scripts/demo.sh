#!/usr/bin/env bash
# Sets up, installs jntk into a private library and runs the demo
# (scripts/demo.R): analytic kernels, a Monte-Carlo comparison with finite
# networks, and an infinite-width dynamics prediction; plots go to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lib=$(mktemp -d)
R CMD INSTALL --no-multiarch -l "$lib" . >"$lib/install.log" 2>&1 || { tail -50 "$lib/install.log"; exit 1; }
mkdir -p out
R_LIBS="$lib${R_LIBS:+:$R_LIBS}" Rscript scripts/demo.R
