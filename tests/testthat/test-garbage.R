# Every registered .Call routine survives garbage (issue 17): wrong types,
# NULL, NA, zero-length and zero-row input, mismatched dimensions, negative or
# huge sizes, 1e6 threads, and valid arguments with one (or, for sizes, all
# matching) mutated. Each call runs in a child R process (helper-garbage.R), so
# a crash is counted instead of ending the run; the answer to garbage must be
# an R error raised by the entry point's own checks, never a crash, a hang or
# an error from BLAS/LAPACK's argument check (which, inside a parallel region,
# is a crash). A call still running after the timeout must stop on SIGINT
# ("slow": e.g. a million training steps is valid, only long). Light: one
# valid call per routine. Full sweep (every captured call, threads 1 and 2):
# JNTK_HEAVY_TESTS=true.

skip_if_no_garbage <- function() {
  skip_on_cran()
  skip_if_not_installed("callr")
}

garbage_cache <- new.env()
garbage_captured <- function() {
  if (is.null(garbage_cache$cap)) garbage_cache$cap <- garbage_capture()
  garbage_cache$cap
}

expect_no_garbage_failures <- function(res) {
  counts <- table(factor(res$outcome, c("ok", "error", "slow", "blas", "crash", "hang", "not run")))
  info <- paste0(paste(names(counts), counts, sep = ": ", collapse = ", "), "\n",
                 garbage_failures(res))
  expect_equal(sum(res$outcome == "crash"), 0, info = info)
  expect_equal(sum(res$outcome == "hang"), 0, info = info)
  expect_equal(sum(res$outcome == "blas"), 0, info = info)
  expect_equal(sum(res$outcome == "not run"), 0, info = info)
}

test_that("the drivers reach every registered routine with valid arguments", {
  skip_if_no_garbage()
  cap <- garbage_captured()
  expect_equal(cap$status[cap$status != "ok"], setNames(character(0), character(0)))
  reached <- unique(vapply(cap$calls, `[[`, "", "routine"))
  # a routine here needs a driver in helper-garbage.R that reaches it
  expect_equal(setdiff(garbage_routines()$name, reached), character(0))
  # the captured calls are valid: replayed as they are, each one succeeds
  base <- garbage_first_calls(cap$calls)
  valid <- lapply(base, function(b) list(routine = b$routine, args = b$args,
                                          what = paste("valid call from", b$driver)))
  res <- garbage_run(valid)
  expect_equal(res$outcome, rep("ok", length(valid)), info = garbage_failures(res, "error"))
})

test_that("generic garbage in every argument gives R errors, never crashes", {
  skip_if_no_garbage()
  res <- garbage_run(garbage_generic_calls())
  expect_no_garbage_failures(res)
  # wrong types everywhere are refused (an all-empty call may pass as empty)
  expect_true(all(res$outcome[grepl("string$|complex$|closure$|na$", res$what)] == "error"))
})

test_that("valid calls with one argument mutated never crash (light: one call per routine)", {
  skip_if_no_garbage()
  base <- garbage_first_calls(garbage_captured()$calls)
  calls <- c(garbage_mutated_calls(base), garbage_coupled_calls(base))
  res <- garbage_run(calls)
  expect_no_garbage_failures(res)
  # most mutations are refused (a few are harmless: 1e6 threads is capped)
  expect_gt(mean(res$outcome == "error"), 0.5)
})

test_that("full mutation sweep: every captured call, threads 1 and 2 (heavy)", {
  skip_if_no_garbage()
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  cap <- garbage_captured()
  base <- c(cap$calls, garbage_with_threads(cap$calls, 2L))
  calls <- c(garbage_mutated_calls(base), garbage_coupled_calls(base))
  res <- garbage_run(calls, timeout = 60)
  expect_no_garbage_failures(res)
})
