# PROTECT discipline at run time: one call of each registered .Call routine
# under gctorture(TRUE) (a full garbage collection at every allocation, so an
# object the C code forgot to PROTECT is collected and its memory reused at
# once), at the tiny sizes of the garbage drivers, compared with the same call
# without it. The routines and their valid arguments are found at run time
# (tests/testthat/helper-garbage.R: the exported functions run with .Call
# intercepted).
#
#   bash scripts/dev-install.sh NAME
#   cd /work/wt/NAME && R_LIBS=/tmp/jntk-lib-NAME Rscript scripts/gctorture.R        # first call per routine
#   R_LIBS=/tmp/jntk-lib-NAME Rscript scripts/gctorture.R --all                       # every captured call
#
# scripts/sanitize.sh also runs it in its AddressSanitizer build, where a
# collected large vector is freed memory and any later use is reported.
# Exits with status 1 if a result differs or a call fails under torture.
args <- commandArgs(TRUE)
if (!requireNamespace("callr", quietly = TRUE)) stop("gctorture.R needs the callr package")
suppressPackageStartupMessages(library(jntk))
# no JIT: compiling a closure at its second call, under torture, takes minutes
invisible(compiler::enableJIT(0))
source(file.path("tests", "testthat", "helper-garbage.R"))
start <- proc.time()[["elapsed"]]
cap <- garbage_capture()
if (any(cap$status != "ok")) stop("drivers failed: ", paste(names(cap$status), cap$status, collapse = "; "))
calls <- if ("--all" %in% args) cap$calls else garbage_first_calls(cap$calls)
missing <- setdiff(garbage_routines()$name, vapply(calls, `[[`, "", "routine"))
routines <- getDLLRegisteredRoutines("jntk")$.Call
run <- function(b) do.call(.Call, c(list(routines[[b$routine]]), b$args))
bad <- 0L
for (b in calls) {
  ref <- run(b)
  t0 <- proc.time()[["elapsed"]]
  gctorture(TRUE)
  res <- tryCatch(run(b), error = function(e) e)
  gctorture(FALSE)
  dt <- proc.time()[["elapsed"]] - t0
  ok <- identical(res, ref)
  if (!ok) bad <- bad + 1L
  cat(sprintf("%-20s %-9s %6.2f s  (from %s)%s\n", b$routine, if (ok) "identical" else "DIFFERS", dt,
              b$driver, if (inherits(res, "error")) paste(":", conditionMessage(res)) else ""))
}
if (length(missing)) cat("routines without a captured call:", paste(missing, collapse = ", "), "\n")
cat(sprintf("gctorture: %d call(s), %d routine(s), %d differ(s); %.0f s\n", length(calls),
            length(unique(vapply(calls, `[[`, "", "routine"))), bad,
            proc.time()[["elapsed"]] - start))
quit(status = if (bad > 0L || length(missing)) 1L else 0L)
