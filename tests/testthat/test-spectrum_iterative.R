# min_eigenvalue() on the operator (iterative) against the dense
# eigendecomposition (R/spectrum.R).

test_that("iterative extreme eigenvalues match dense ones to 1e-8 relative", {
  set.seed(1)
  x <- matrix(stats::rnorm(30 * 6), 30, 6) / 2
  net <- mlp(3, "erf", sigma_b = 0.1, kappa = 0.1)
  a <- min_eigenvalue(net, x, kernel = c("ntk", "jntk"), method = "dense")
  b <- min_eigenvalue(net, x, kernel = c("ntk", "jntk"), method = "iterative")
  expect_identical(b$method, c("iterative", "iterative"))
  # condition ~1e5 here: shift-and-invert with inner solves to 1e-11 leaves
  # ~1e-11 relative error in the smallest eigenvalue (measured 1e-13)
  expect_lt(max(abs(b$min_eigenvalue - a$min_eigenvalue) / a$min_eigenvalue), 1e-8)
  expect_lt(max(abs(b$max_eigenvalue - a$max_eigenvalue) / a$max_eigenvalue), 1e-8)
  expect_true(all(b$residual < 1e-8 * b$min_eigenvalue))
  expect_identical(a$residual, c(0, 0))
  # without RSpectra: the package's own Lanczos
  f <- function(v) as.vector(crossprod(matrix(1:9 / 10, 3)) %*% v + diag(c(1, 2, 3)) %*% v)
  M <- crossprod(matrix(1:9 / 10, 3)) + diag(c(1, 2, 3))
  lz <- jntk:::krylov_lanczos_extreme(f, 3, tol = 1e-12)
  expect_equal(lz$value, max(eigen(M)$values), tolerance = 1e-12)
})

test_that("a nearly singular JNTK falls back to Lanczos with a residual", {
  x <- rbind(c(1, 0), c(0.6, 0.8), c(-0.8, 0.6), c(0, -1))
  net <- mlp(1, "erf")
  b <- min_eigenvalue(net, x, kernel = "jntk", depth = 1, method = "iterative")
  a <- min_eigenvalue(net, x, kernel = "jntk", depth = 1, method = "dense")
  # the residual bounds the distance to an eigenvalue (Weyl/Bauer-Fike for
  # symmetric matrices); allow rounding of the dense one on top
  expect_lte(abs(b$min_eigenvalue - a$min_eigenvalue), b$residual + 10 * a$tolerance)
})

test_that("a dense eigendecomposition above a size is refused with a time estimate", {
  old <- options(jntk.max_dense_eigen_minutes = 1e-6)
  on.exit(options(old))
  x <- matrix(seq(0.1, 2.4, by = 0.1), 12, 2)
  expect_snapshot(error = TRUE, min_eigenvalue(mlp(2, "erf"), x, kernel = "jntk", method = "dense"))
  expect_snapshot(error = TRUE, min_eigenvalue(mlp(2, "erf"), x, method = "lanczos"))
})
