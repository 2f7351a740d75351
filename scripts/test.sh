#!/usr/bin/env bash
# Sets up, installs jntk into a private library and runs the test suite.
#   bash scripts/test.sh                 # a few minutes on two cores
#   JNTK_HEAVY_TESTS=true bash scripts/test.sh   # also the large statistical checks
# Ends with a line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
lib=$(mktemp -d)
R CMD INSTALL --no-multiarch -l "$lib" . >"$lib/install.log" 2>&1 || { tail -50 "$lib/install.log"; echo "0 passed, 1 failed"; exit 1; }
NOT_CRAN=true R_LIBS="$lib${R_LIBS:+:$R_LIBS}" Rscript -e '
  res <- testthat::test_dir("tests/testthat", package = "jntk", load_package = "installed",
                            reporter = testthat::ProgressReporter$new(show_praise = FALSE),
                            stop_on_failure = FALSE)
  df <- as.data.frame(res)
  failed <- sum(df$failed) + sum(df$error)
  passed <- sum(df$passed)
  skipped <- sum(df$skipped)
  cat(sprintf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped))
  quit(status = if (failed > 0) 1 else 0)
'
