#!/usr/bin/env bash
# valgrind memcheck of jntk's C code.
#
#   bash scripts/valgrind.sh                           # routine drivers + the fast test files
#   JNTK_VALGRIND_FILTER='kernels|jacobian' bash scripts/valgrind.sh   # other test files
#   JNTK_VALGRIND_FILTER=all bash scripts/valgrind.sh  # the whole suite (~35 min)
#
# Builds the package with -g -O2 (private Makevars via R_MAKEVARS_USER) into a
# private library, then runs under memcheck (1) a script that calls every
# registered C routine at small sizes through the exported R functions (the
# drivers of tests/testthat/helper-garbage.R), with 1 and with 2 threads, and
# (2) the suite's fast test files (those that neither start child R processes
# nor take long; pick others with JNTK_VALGRIND_FILTER, a regex on the
# file names without test- and .R). Fails unless our code (a stack frame in
# jntk.so) has 0 invalid reads/writes/frees, 0 uses of uninitialised values
# and 0 definitely lost blocks; reports elsewhere (R, libgomp) are counted
# and shown, not failed on.
set -uo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
start=$(date +%s)
bash scripts/setup.sh >/dev/null || exit 1
if ! command -v valgrind >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
  fi
  command -v valgrind >/dev/null 2>&1 || { echo "valgrind: not installed (Debian: apt-get install valgrind)"; exit 1; }
fi

work=${JNTK_VALGRIND_DIR:-$(mktemp -d /tmp/jntk-valgrind.XXXXXX)}
mkdir -p "$work"
rm -f "$work"/vg.*.log
tree="$work/tree"
lib="$work/lib"
rm -rf "$tree" "$lib"; mkdir -p "$tree" "$lib"
tar -C "$src" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude=out -cf - . | tar -C "$tree" -xf -
printf 'CFLAGS = -g -O2\n' >"$work/Makevars"
R_MAKEVARS_USER="$work/Makevars" R CMD INSTALL --no-multiarch -l "$lib" "$tree" >"$work/install.log" 2>&1 ||
  { tail -40 "$work/install.log"; echo "valgrind: build failed"; exit 1; }

vg="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-origins=yes --num-callers=40 --fullpath-after= --log-file=$work/vg.%p.log"

cat >"$work/routines.R" <<'EOF'
# Every registered routine at small sizes, through the exported functions.
suppressPackageStartupMessages(library(jntk))
source("tests/testthat/helper-garbage.R")
drivers <- garbage_drivers()
for (th in 1:2) {
  options(jntk.threads = th)
  for (nm in names(drivers)) {
    invisible(eval(drivers[[nm]], new.env(parent = asNamespace("jntk"))))
    cat("driver", nm, "threads", th, "ok\n")
  }
}
EOF
filter=${JNTK_VALGRIND_FILTER:-dynamics|empirical|mlp|network|plots|robustness|training}
[ "$filter" = all ] && filter=""

status=0
echo "== valgrind: routine drivers"
(cd "$tree" && R_LIBS="$lib${R_LIBS:+:$R_LIBS}" R -d "$vg" --vanilla --no-echo -f "$work/routines.R") \
  >"$work/routines.log" 2>&1 || { echo "valgrind: the routine script failed"; tail -20 "$work/routines.log"; status=1; }
tail -n 2 "$work/routines.log"
echo "== valgrind: test files ${filter:-all}"
(cd "$tree" && NOT_CRAN=true R_LIBS="$lib${R_LIBS:+:$R_LIBS}" JNTK_FILTER="$filter" \
  R -d "$vg" --vanilla --no-echo -e '
    filter <- Sys.getenv("JNTK_FILTER")
    res <- testthat::test_dir("tests/testthat", package = "jntk", load_package = "installed",
                              filter = if (nzchar(filter)) paste0("^(", filter, ")$"),
                              reporter = testthat::SummaryReporter$new(show_praise = FALSE),
                              stop_on_failure = FALSE)
    df <- as.data.frame(res)
    cat(sprintf("\ntests: %d passed, %d failed, %d skipped\n", sum(df$passed),
                sum(df$failed) + sum(df$error), sum(df$skipped)))') >"$work/tests.log" 2>&1 ||
  { echo "valgrind: the test run failed"; tail -20 "$work/tests.log"; status=1; }
tail -n 1 "$work/tests.log"

# Parse every process's log into error records; ours have a frame in jntk.so.
Rscript --vanilla -e '
  files <- list.files(commandArgs(TRUE)[1], "^vg\\.[0-9]+\\.log$", full.names = TRUE)
  kinds <- c(invalid = "^Invalid (read|write|free)|^Mismatched free|^Source and destination overlap|fishy value",
             uninitialised = "uninitialised",
             leak = "definitely lost in loss record")
  tab <- matrix(0L, 3, 2, dimnames = list(names(kinds), c("ours", "elsewhere")))
  ours <- character()
  for (f in files) {
    l <- sub("^==[0-9]+== ?", "", readLines(f, warn = FALSE))
    blank <- l == ""
    block <- cumsum(blank)
    for (b in split(l[!blank], block[!blank])) {
      k <- names(kinds)[vapply(kinds, function(p) grepl(p, b[1]), NA)]
      if (!length(k)) next
      mine <- any(grepl("jntk\\.so|/src/[a-z_]+\\.[ch]:", b))
      tab[k[1], if (mine) "ours" else "elsewhere"] <- tab[k[1], if (mine) "ours" else "elsewhere"] + 1L
      if (mine) ours <- c(ours, paste(c(paste0("---- ", basename(f)), utils::head(b, 30)), collapse = "\n"))
    }
  }
  cat(sprintf("valgrind: %d process log(s)\n", length(files)))
  print(tab)
  if (length(ours)) cat(ours, sep = "\n")
  quit(status = if (sum(tab[, "ours"]) > 0) 1 else 0)
' "$work" || status=1
echo "valgrind: $([ $status -eq 0 ] && echo clean || echo FAILED) (logs in $work); $(( $(date +%s) - start )) s"
exit $status
