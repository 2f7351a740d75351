#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer check of jntk's C code.
#
#   bash scripts/sanitize.sh            # ASan+UBSan build, whole suite + every man/ example
#   bash scripts/sanitize.sh --malloc   # also a second build whose R_alloc scratch comes
#                                       # from malloc (ASan then sees its exact bounds),
#                                       # run on the routine drivers and the fast test files
#
# Builds the package with -fsanitize=address,undefined -fno-omit-frame-pointer -g
# (through a private Makevars file given in R_MAKEVARS_USER, never ~/.R/Makevars)
# into a private library, then runs the test suite and the examples with the
# sanitizer runtime preloaded (R itself is not instrumented), with leak
# detection off (R's own allocations look like leaks) and UBSan halting on
# the first report; then scripts/gctorture.R (one call of each routine under
# gctorture). Every process, the test run's child R processes included,
# writes its sanitizer reports to files under the work directory; the check
# fails if there is any report, or if R died. Test failures are printed (the
# ordinary test run, scripts/test.sh, is where they fail CI); test-interrupts.R
# is left out: it measures wall-clock latency, which a sanitized build
# distorts. Needs gcc's libasan/libubsan (Debian: libasan8 libubsan1, installed
# here when missing and root).
set -uo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
malloc_build=false
[ "${1:-}" = "--malloc" ] && malloc_build=true
start=$(date +%s)

bash scripts/setup.sh >/dev/null || exit 1
cc=$(R CMD config CC | awk '{print $1}')
asan=$($cc -print-file-name=libasan.so)
if [ ! -e "$asan" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libasan8 libubsan1 >/dev/null
    asan=$($cc -print-file-name=libasan.so)
  fi
  [ -e "$asan" ] || { echo "sanitize: $cc has no libasan.so (Debian: apt-get install libasan8 libubsan1)"; exit 1; }
fi

work=${JNTK_SANITIZE_DIR:-$(mktemp -d /tmp/jntk-sanitize.XXXXXX)}
mkdir -p "$work"
reports="$work/reports"
rm -rf "$reports"; mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=8192:detect_odr_violation=0:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"

# build: $1 = library, $2 = extra CFLAGS
build() {
  local lib=$1 extra=$2 tree="$work/tree"
  rm -rf "$tree" "$lib"; mkdir -p "$tree" "$lib"
  tar -C "$src" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude=out -cf - . | tar -C "$tree" -xf -
  cat >"$work/Makevars" <<EOF
CFLAGS = -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer $extra
LDFLAGS = -fsanitize=address,undefined
EOF
  # (no test load: the library needs the runtime preloaded, which the
  # compiler and make should not get)
  R_MAKEVARS_USER="$work/Makevars" \
    R CMD INSTALL --no-test-load --no-multiarch -l "$lib" "$tree" >"$lib.install.log" 2>&1 ||
    { tail -40 "$lib.install.log"; echo "sanitize: build failed"; exit 1; }
  grep -q -- "-fsanitize=address" "$lib.install.log" || { echo "sanitize: flags not used"; exit 1; }
}

# run: $1 = library, $2 = test filter (R regex on file names, "" = all), $3 = examples (yes/no), $4 = label
run() {
  local lib=$1 filter=$2 examples=$3 label=$4 log="$work/$4.log"
  echo "== $label: test files ${filter:-all}, examples: $examples" | tee "$log"
  (cd "$work/tree" && NOT_CRAN=true LD_PRELOAD="$asan" R_LIBS="$lib${R_LIBS:+:$R_LIBS}" \
    JNTK_FILTER="$filter" JNTK_EXAMPLES="$examples" Rscript -e '
      filter <- Sys.getenv("JNTK_FILTER")
      files <- list.files("tests/testthat", "^test-.*\\.R$")
      keep <- sub("^test-(.*)\\.R$", "\\1", files)
      keep <- keep[keep != "interrupts" & (filter == "" | grepl(filter, keep))]
      res <- testthat::test_dir("tests/testthat", package = "jntk", load_package = "installed",
                                filter = paste0("^(", paste(keep, collapse = "|"), ")$"),
                                reporter = testthat::SummaryReporter$new(show_praise = FALSE),
                                stop_on_failure = FALSE)
      df <- as.data.frame(res)
      cat(sprintf("\ntests: %d passed, %d failed, %d skipped\n", sum(df$passed),
                  sum(df$failed) + sum(df$error), sum(df$skipped)))
      if (Sys.getenv("JNTK_EXAMPLES") == "yes") {
        suppressPackageStartupMessages(library(jntk))
        ex <- tempfile()
        n_ok <- 0L; bad <- character()
        for (rd in list.files("man", "\\.Rd$", full.names = TRUE)) {
          tools::Rd2ex(rd, ex)
          if (!file.exists(ex)) next
          grDevices::pdf(NULL)
          ok <- tryCatch({ sys.source(ex, envir = new.env(parent = globalenv())); TRUE },
                         error = function(e) { message(basename(rd), ": ", conditionMessage(e)); FALSE })
          grDevices::dev.off()
          unlink(ex)
          if (ok) n_ok <- n_ok + 1L else bad <- c(bad, basename(rd))
        }
        cat(sprintf("examples: %d ran, %d failed%s\n", n_ok, length(bad),
                    if (length(bad)) paste0(" (", paste(bad, collapse = ", "), ")") else ""))
      }
    ') >>"$log" 2>&1
  local rc=$?
  tail -n 4 "$log"
  [ $rc -eq 0 ] || { echo "sanitize: R exited with status $rc in $label"; died=1; }
}

died=0
build "$work/lib" ""
run "$work/lib" "${JNTK_SANITIZE_FILTER:-}" yes asan-ubsan
# one call of each routine under gctorture: a collected large vector is
# freed memory here, so a use after collection is reported
echo "== gctorture (scripts/gctorture.R)" | tee "$work/gctorture.log"
(cd "$work/tree" && LD_PRELOAD="$asan" R_LIBS="$work/lib${R_LIBS:+:$R_LIBS}" Rscript scripts/gctorture.R) \
  >>"$work/gctorture.log" 2>&1 || { echo "sanitize: gctorture.R failed"; died=1; }
tail -n 1 "$work/gctorture.log"
if $malloc_build; then
  # R_alloc from malloc: a forced include that routes R_alloc to malloc (never
  # freed: R would free it at the end of the .Call; without leak detection
  # that only costs memory, so this build runs the smaller set)
  cat >"$work/ralloc_malloc.h" <<'EOF'
#define R_NO_REMAP
#ifndef USE_FC_LEN_T
#define USE_FC_LEN_T
#endif
#include <R.h>
#include <Rinternals.h>
#include <stdlib.h>
static inline char *jntk_sanitize_alloc(size_t n, int size) {
  size_t bytes = n * (size_t) size;
  char *p = (char *) malloc(bytes ? bytes : 1);
  if (!p) Rf_error("cannot allocate %.0f bytes", (double) bytes);
  return p;
}
#define R_alloc(n, size) jntk_sanitize_alloc((n), (size))
EOF
  build "$work/lib-malloc" "-include $work/ralloc_malloc.h"
  run "$work/lib-malloc" "${JNTK_SANITIZE_MALLOC_FILTER:-garbage|threads|dynamics|network|empirical|training|mlp|robustness}" no asan-ubsan-malloc
fi

# a report is an error (ERROR: / runtime error:); ASan's warnings about
# allocations it refused (allocator_may_return_null) are not
pattern="ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer"
found=$(grep -l -E "$pattern" "$reports"/* "$work"/*.log 2>/dev/null)
n_reports=$(printf '%s' "$found" | grep -c . || true)
elapsed=$(( $(date +%s) - start ))
echo
if [ "$n_reports" -gt 0 ]; then
  for f in $found; do echo "---- $f"; grep -E -A30 "$pattern" "$f" | grep -v "^ *0x\|^Shadow\|^  [A-Z]" | head -40; done
  echo "sanitize: $n_reports sanitizer report(s) (logs in $work); ${elapsed} s"
  exit 1
fi
[ $died -eq 0 ] || { echo "sanitize: R died (logs in $work); ${elapsed} s"; exit 1; }
rm -rf "$work/tree" "$work/lib" "$work/lib-malloc"
echo "sanitize: no sanitizer reports (logs in $work); ${elapsed} s"
