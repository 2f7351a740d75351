# Classed conditions and formatting helpers (R/utils.R).

test_that("jntk_abort() and jntk_warn() signal classed conditions without a call", {
  e <- tryCatch(jntk:::jntk_abort("bad ", "thing", class = "jntk_error_input", data = list(n = 3)),
                error = function(e) e)
  expect_s3_class(e, c("jntk_error_input", "jntk_error", "error", "condition"), exact = TRUE)
  expect_identical(conditionMessage(e), "bad thing")
  expect_null(conditionCall(e))
  expect_identical(e$n, 3)
  expect_warning(jntk:::jntk_warn("careful", class = "jntk_warning_x"), class = "jntk_warning_x")
})

test_that("describe_type() and format_bytes() read well", {
  expect_identical(jntk:::describe_type(NULL), "NULL")
  expect_identical(jntk:::describe_type(factor("a")), "a factor")
  expect_identical(jntk:::describe_type(data.frame(a = 1)), "a data frame")
  expect_identical(jntk:::describe_type(list(1)), "a list")
  expect_identical(jntk:::describe_type(1i), "a complex vector")
  expect_identical(jntk:::format_bytes(1536), "1.54 kB")
  expect_identical(jntk:::format_bytes(0), "0 B")
  expect_identical(jntk:::format_bytes(64e9), "64 GB")
})
