# The shared argument checks (R/checks.R): canonical values back, classed
# errors that name the argument otherwise.

test_that("check_choice() takes the default vector, one valid string, and names the argument otherwise", {
  ch <- c("fgsm", "pgd", "gaussian")
  expect_identical(jntk:::check_choice(ch, ch, "attack"), "fgsm")
  expect_identical(jntk:::check_choice("pgd", ch, "attack"), "pgd")
  expect_error(jntk:::check_choice("foo", ch, "attack"), class = "jntk_error_argument")
  expect_error(jntk:::check_choice(c("pgd", "fgsm"), ch, "attack"), class = "jntk_error_argument")
  expect_error(jntk:::check_choice(NA_character_, ch, "attack"), class = "jntk_error_argument")
  expect_snapshot(error = TRUE, jntk:::check_choice("foo", ch, "attack"))
  expect_snapshot(error = TRUE, jntk:::check_choice(1, c("t", "x"), "over"))
  # what was given, as it prints: NA, TRUE, or how many values
  expect_snapshot(error = TRUE, jntk:::check_choice(NA_character_, ch, "attack"))
  expect_snapshot(error = TRUE, jntk:::check_choice(c("pgd", "fgsm"), ch, "attack"))
  expect_snapshot(error = TRUE, jntk:::check_choice(TRUE, ch, "attack"))
})

test_that("check_number() puts its hint after a semicolon, so a hint may hold parentheses", {
  hint <- "it counts hidden layers (Jacot et al.'s L = 4 is depth = 3)"
  for (bad in list(NA, "1", c(1, 2), -1)) {
    msg <- conditionMessage(tryCatch(jntk:::check_number(bad, "depth", lower = 0, integer = TRUE, hint = hint),
                                     error = identity))
    expect_match(msg, paste0("; ", hint, "."), fixed = TRUE)
    # no parenthesis opened inside another
    expect_false(grepl("\\([^)]*\\(", msg))
  }
  expect_snapshot(error = TRUE, jntk:::check_number("1", "depth", lower = 0, integer = TRUE, hint = hint))
})

test_that("check_flag() and check_number() refuse what is not one value", {
  expect_true(jntk:::check_flag(TRUE, "cov"))
  for (bad in list(NA, c(TRUE, FALSE), "yes", 1)) {
    expect_error(jntk:::check_flag(bad, "cov"), class = "jntk_error_argument")
  }
  expect_identical(jntk:::check_number(3, "depth", lower = 0, integer = TRUE), 3L)
  expect_error(jntk:::check_number(3e9, "depth", lower = 0, integer = TRUE), class = "jntk_error_size")
  expect_error(jntk:::check_number(2.5, "depth", integer = TRUE), class = "jntk_error_argument")
  expect_error(jntk:::check_number(-1, "sigma_b", lower = 0), class = "jntk_error_argument")
  expect_error(jntk:::check_number(0, "kappa", lower = 0, lower_open = TRUE), class = "jntk_error_argument")
  expect_snapshot(error = TRUE, jntk:::check_number(3e9, "depth", lower = 0, integer = TRUE))
})

test_that("check_times() accepts one or many non-negative times", {
  expect_identical(jntk:::check_times(c(0, 1, Inf)), c(0, 1, Inf))
  expect_identical(jntk:::check_times(2L, one = TRUE), 2)
  expect_error(jntk:::check_times(c(1, 2), one = TRUE), class = "jntk_error_argument")
  expect_error(jntk:::check_times(-1), class = "jntk_error_argument")
  expect_error(jntk:::check_times(c(1, NA)), class = "jntk_error_argument")
})

test_that("check_threads() caps requests above the cores, once per value, with a classed message", {
  cores <- jntk:::available_cores()
  expect_identical(jntk:::check_threads(1), 1L)
  big <- cores + 7919
  expect_message(n <- jntk:::check_threads(big), class = "jntk_message_threads")
  expect_identical(n, cores)
  expect_silent(jntk:::check_threads(big))   # said once per session and value
  for (bad in list(0, NA, 1.5, "2", c(1, 2))) {
    expect_error(jntk:::check_threads(bad), class = "jntk_error_argument")
  }
})

test_that("check_targets() gives an N x k matrix, one-hot for factors, and explains bad targets", {
  t1 <- jntk:::check_targets(c(1, -1, 1), 3)
  expect_identical(t1$type, "binary")
  expect_identical(dim(t1$y), c(3L, 1L))
  t2 <- jntk:::check_targets(factor(c("a", "b", "a")), 3)
  expect_identical(t2$type, "class")
  expect_equal(unname(t2$y), cbind(c(1, 0, 1), c(0, 1, 0)))
  expect_identical(jntk:::check_targets(matrix(1:6, 3), 3)$type, "regression")
  expect_error(jntk:::check_targets(1:2, 3), class = "jntk_error_input")
  expect_error(jntk:::check_targets(c(1, NA, 2), 3), class = "jntk_error_input")
  expect_error(jntk:::check_targets(list(1, 2, 3), 3), class = "jntk_error_input")
  expect_snapshot(error = TRUE, jntk:::check_targets(c(1, NA, 2), 3))
})

test_that("as_input_matrix() reads vectors, matrices and data frames and refuses the rest", {
  expect_identical(dim(jntk:::as_input_matrix(1:3)), c(1L, 3L))
  df <- data.frame(a = 1:2, b = c(0.5, 1))
  expect_identical(jntk:::as_input_matrix(df), cbind(a = c(1, 2), b = c(0.5, 1)))
  expect_error(jntk:::as_input_matrix(data.frame(a = "x")), class = "jntk_error_input")
  expect_error(jntk:::as_input_matrix(matrix(0, 0, 2)), class = "jntk_error_input")
  expect_error(jntk:::as_input_matrix(c(1, Inf)), class = "jntk_error_input")
  expect_error(jntk:::as_input_matrix(1:3, d = structure(2, why = "the network")), class = "jntk_error_input")
  expect_error(jntk:::as_input_matrix(complex(real = 1:2)), class = "jntk_error_input")
})

test_that("check_alloc() refuses before allocating, with the size and an alternative", {
  old <- options(jntk.max_memory_gb = 1)
  on.exit(options(old))
  expect_silent(jntk:::check_alloc(1e6, "A small thing", "Use less."))
  expect_error(jntk:::check_alloc(1e9, "A 8 GB thing", "Use blocks."), class = "jntk_error_size")
  expect_snapshot(error = TRUE, jntk:::check_alloc(1e9, "A 8 GB thing", "Use blocks."))
})

test_that("a plain vector is one point, and the messages say how to make points of it", {
  x <- seq(-2, 2, length.out = 20)
  # no dimension to check against: one point, silently ...
  expect_identical(dim(jntk:::as_input_matrix(x)), c(1L, 20L))
  # ... unless the result is that point's kernel with itself (1 x 1)
  expect_warning(jntk:::as_input_matrix(x, "x1", square = TRUE), class = "jntk_warning_vector_point")
  expect_snapshot(m <- jntk:::as_input_matrix(x, "x1", square = TRUE))
  expect_identical(dim(m), c(1L, 20L))
  # a one-number vector is one point in R^1, no warning
  expect_no_warning(jntk:::as_input_matrix(3, "x1", square = TRUE))
  # the dimension is known: say how to make points
  expect_error(jntk:::as_input_matrix(x, "x", d = 1), class = "jntk_error_input")
  expect_snapshot(error = TRUE, jntk:::as_input_matrix(x, "x", d = structure(1L, why = "the network")))
  expect_snapshot(error = TRUE, jntk:::as_input_matrix(x, "newdata", d = 2))
  expect_snapshot(error = TRUE, jntk:::as_input_matrix(1:3, "x", d = 2))
  # a vector with one value per target
  expect_snapshot(error = TRUE, jntk:::as_input_matrix(x, "x", n = 20))
  expect_identical(dim(jntk:::as_input_matrix(c(1, 2), "x", n = 1)), c(1L, 2L))
  # the target-length message (gradient_flow() etc.) names the slip too
  expect_snapshot(error = TRUE, jntk:::check_targets(sin(x), 1L))
  expect_snapshot(error = TRUE, gradient_flow(mlp(1, "erf"), x, sin(x)))
})
