#!/usr/bin/env bash
# Installs what building, testing and checking jntk needs on a fresh Debian
# machine (R itself, testthat and a C compiler are assumed): knitr, rmarkdown
# and pandoc for the vignettes, roxygen2 for the docs, qpdf and tidy for
# R CMD check --as-cran. Installs only what is missing; needs root for apt-get.
set -euo pipefail
need=()
have_r_pkg() { Rscript -e "quit(status = !requireNamespace('$1', quietly = TRUE))" >/dev/null 2>&1; }
have_r_pkg knitr || need+=(r-cran-knitr)
have_r_pkg rmarkdown || need+=(r-cran-rmarkdown)
have_r_pkg roxygen2 || need+=(r-cran-roxygen2)
have_r_pkg jsonlite || need+=(r-cran-jsonlite)
command -v pandoc >/dev/null 2>&1 || need+=(pandoc)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
command -v tidy >/dev/null 2>&1 || need+=(tidy)
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
