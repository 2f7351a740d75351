# Options set when the package loads (R/zzz.R) and the functions that read
# them (R/checks.R).

test_that("loading sets jntk.threads and jntk.max_memory_gb when they are unset", {
  old <- options(jntk.threads = NULL, jntk.max_memory_gb = NULL)
  on.exit(options(old), add = TRUE)
  jntk:::.onLoad("lib", "jntk")
  expect_identical(getOption("jntk.threads"), 1L)
  # 80% of physical memory (read from /proc/meminfo on Linux)
  # (rounded to 3 significant digits)
  expect_equal(getOption("jntk.max_memory_gb"), 0.8 * jntk:::physical_memory_gb(), tolerance = 5e-3)
  expect_identical(default_threads(), 1L)
  expect_equal(jntk:::max_memory_gb(), getOption("jntk.max_memory_gb"))
})

test_that("loading keeps options the user set", {
  old <- options(jntk.threads = 2L, jntk.max_memory_gb = 3)
  on.exit(options(old), add = TRUE)
  jntk:::.onLoad("lib", "jntk")
  expect_identical(getOption("jntk.threads"), 2L)
  expect_identical(getOption("jntk.max_memory_gb"), 3)
  expect_identical(default_threads(), 2L)
  expect_identical(jntk:::max_memory_gb(), 3)
})

test_that("bad option values give classed errors that say what to set", {
  old <- options(jntk.threads = "two", jntk.max_memory_gb = -1)
  on.exit(options(old), add = TRUE)
  expect_error(default_threads(), class = "jntk_error_argument")
  expect_snapshot(error = TRUE, default_threads())
  expect_snapshot(error = TRUE, jntk:::max_memory_gb())
  options(jntk.threads = 0)
  expect_snapshot(error = TRUE, default_threads())
})
