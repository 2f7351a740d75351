# The user-level bad-input matrix (issue 17 "The user-level bad-input
# matrix", issue 14 "Where a user goes wrong"): every exported function and
# the methods users call, each argument given each bad value of its kind, one
# at a time. The families and the runner are in helper-bad-input.R, the
# table in helper-bad-input-table.R.

test_that("the table has a row for every exported function", {
  ex <- getNamespaceExports("jntk")
  ex <- ex[!startsWith(ex, ".__")]
  covered <- unique(vapply(bad_input_table(), `[[`, "", "fun"))
  covered <- sub("\\..*$", "", covered[!startsWith(covered, "print.")])
  missing <- setdiff(ex, c(covered, names(bad_input_exempt)))
  expect(length(missing) == 0L, paste("no row of the bad-input table for:", paste(missing, collapse = ", ")))
  # an exemption of a function that is no longer exported is stale
  expect_setequal(intersect(names(bad_input_exempt), ex), names(bad_input_exempt))
})

test_that("no case of the table is left out", {
  # (the `left_out` field of bad_row() is for a case that fails in a file
  # being rewritten elsewhere; it must be empty when that work is merged)
  left <- Filter(function(r) length(r$left_out) > 0L, bad_input_table())
  expect(length(left) == 0L, paste("rows with left-out cases:",
                                   paste(vapply(left, `[[`, "", "fun"), collapse = ", ")))
})

test_that("every bad input ends in a classed jntk_error that names the argument", {
  res <- bad_input_results()
  # 58 rows x their arguments x the families of each kind (about 2,050 calls)
  expect_gt(length(res), 1900L)
  failed <- Filter(function(r) !isTRUE(r$ok), res)
  expect(length(failed) == 0L, paste(c(
    sprintf("%d of %d bad inputs not handled:", length(failed), length(res)),
    vapply(failed, function(r) sprintf("%s\n    %s", r$label, r$why), "")), collapse = "\n"))
  # every kind of failure is represented: each case ends in an error of the
  # family it names (or is a capped thread count)
  classes <- unlist(lapply(res, function(r) grep("^jntk_error_", class(r$condition), value = TRUE)[1]))
  expect_true(all(c("jntk_error_argument", "jntk_error_input", "jntk_error_size",
                    "jntk_error_unsupported") %in% classes))
})

test_that("a refusal of an impossible size comes before any large allocation", {
  res <- Filter(function(r) identical(r$case$family, "size"), bad_input_results())
  expect_gt(length(res), 20L)
  heap <- vapply(res, `[[`, 0, "heap_mb")
  expect_true(all(heap < bad_input_heap_limit_mb))
})

# One representative per family for each group of functions, so that the
# wording of the messages is reviewed.
for (group in unique(vapply(bad_input_table(), `[[`, "", "group"))) {
  test_that(sprintf("bad-input messages: %s", group), {
    expect_snapshot(bad_input_show(bad_input_results(), group),
                    transform = function(lines) gsub(tempdir(), "<tempdir>", lines, fixed = TRUE))
  })
}
