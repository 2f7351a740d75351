#!/usr/bin/env bash
# Installs what building, testing and checking jntk needs on a fresh Debian
# machine (R >= 4.1, testthat and a C compiler are assumed): knitr, rmarkdown
# and pandoc for the vignettes, roxygen2 for the docs, qpdf and tidy for
# R CMD check --as-cran, and every package in Suggests, so that the tests
# exercise their code paths instead of skipping them. Installs only what is
# missing; needs root for apt-get (otherwise it lists what to install).
set -euo pipefail
need=()
have_r_pkg() { Rscript -e "quit(status = !requireNamespace('$1', quietly = TRUE))" >/dev/null 2>&1; }
# R package -> Debian package
for p in knitr:r-cran-knitr rmarkdown:r-cran-rmarkdown roxygen2:r-cran-roxygen2 \
         jsonlite:r-cran-jsonlite callr:r-cran-callr future:r-cran-future \
         future.apply:r-cran-future.apply RSpectra:r-cran-rspectra kernlab:r-cran-kernlab \
         mlbench:r-cran-mlbench Rmpfr:r-cran-rmpfr mvtnorm:r-cran-mvtnorm MASS:r-cran-mass \
         future.batchtools:r-cran-future.batchtools parallelly:r-cran-parallelly \
         bigmemory:r-cran-bigmemory; do
  have_r_pkg "${p%%:*}" || need+=("${p#*:}")
done
command -v pandoc >/dev/null 2>&1 || need+=(pandoc)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
command -v tidy >/dev/null 2>&1 || need+=(tidy)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root; install these Debian packages first: ${need[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "setup: dependencies present"
