#!/usr/bin/env bash
# Second command of the README: sets up (scripts/setup.sh), installs jntk into
# a private temporary library and runs the test suite.
#   bash scripts/test.sh                          # about 1.5 minutes on two cores
#   JNTK_HEAVY_TESTS=true bash scripts/test.sh    # also the large statistical checks
# On a terminal it shows testthat's progress; otherwise (logs, CI) one line of
# dots per test file and the details of any failure. The last line is always
# "N passed, N failed, N skipped"; the exit status is 1 when a test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
lib=$(mktemp -d)
R CMD INSTALL --no-multiarch -l "$lib" . >"$lib/install.log" 2>&1 || { tail -50 "$lib/install.log"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
if [ -t 1 ]; then reporter=progress; else reporter=summary; fi
NOT_CRAN=true JNTK_TEST_REPORTER=$reporter R_LIBS="$lib${R_LIBS:+:$R_LIBS}" Rscript -e '
  rep <- if (Sys.getenv("JNTK_TEST_REPORTER") == "progress") {
    testthat::ProgressReporter$new(show_praise = FALSE)
  } else {
    testthat::SummaryReporter$new(show_praise = FALSE, omit_dots = FALSE)
  }
  res <- testthat::test_dir("tests/testthat", package = "jntk", load_package = "installed",
                            reporter = rep, stop_on_failure = FALSE)
  df <- as.data.frame(res)
  failed <- sum(df$failed) + sum(df$error)
  passed <- sum(df$passed)
  skipped <- sum(df$skipped)
  cat(sprintf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped))
  quit(status = if (failed > 0) 1 else 0)
'
