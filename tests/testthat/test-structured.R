# The structured Jacobian kernel behaves like its dense matrix: every method
# is checked against the dense assembly (itself checked against finite
# differences and the reference values in test-jacobian.R).

structured_fixture <- function() {
  net <- mlp(2, "erf", sigma_w = 1.3, sigma_b = 0.2, kappa = 0.7)
  x1 <- rbind(c(1, 0.2, -0.3), c(-0.4, 0.8, 0.1), c(0.3, 0.3, 0.9), c(0, -1, 0.5))
  x2 <- rbind(c(0.5, -0.2, 0.1), c(1, 1, 0), c(-0.7, 0.4, 0.2))
  S <- jntk(net, x1, x2, as = "structured")
  list(S = S, D = as.matrix(S), Ss = jacobian_nngp(net, x1, as = "structured"))
}

test_that("block() of a structured kernel equals the dense block, without the dense matrix", {
  fx <- structured_fixture()
  for (b in c("ff", "fj", "jf", "jj")) {
    expect_equal(block(fx$S, b), block(fx$D, b), tolerance = 1e-14)
  }
  Ds <- as.matrix(fx$Ss)
  for (b in c("ff", "fj", "jf", "jj")) expect_equal(block(fx$Ss, b), block(Ds, b), tolerance = 1e-14)
  # one point on either side (no dropped dimensions)
  net <- mlp(1, "erf")
  S1 <- jntk(net, rbind(c(1, 2)), rbind(c(0.5, -1), c(0, 1)), as = "structured")
  for (b in c("ff", "fj", "jf", "jj")) expect_equal(block(S1, b), block(as.matrix(S1), b))
})

test_that("S[i, j] gives dense entries by position, sign, logical and name", {
  fx <- structured_fixture()
  S <- fx$S; D <- fx$D
  expect_equal(S[2:7, c(1, 5, 12)], D[2:7, c(1, 5, 12)])
  expect_equal(S[-1, 3], D[-1, 3])
  expect_equal(S[c("f(2)", "d3 f(4)"), ], D[c("f(2)", "d3 f(4)"), ])
  expect_equal(S[rep(c(TRUE, FALSE), 8), 1:2], D[rep(c(TRUE, FALSE), 8), 1:2])
  expect_equal(S[4, 4, drop = FALSE], D[4, 4, drop = FALSE])
  expect_equal(dimnames(S), dimnames(D))
  expect_error(S["nope", 1], class = "jntk_error_input")
  expect_error(S[100, 1], class = "jntk_error_input")
})

test_that("t() is the same S3 and S4, and matches the dense transpose", {
  fx <- structured_fixture()
  expect_equal(as.matrix(t(fx$S)), t(fx$D))
  expect_equal(as.matrix(methods::getMethod("t", "jntk_structured")(fx$S)), t(fx$D))
  expect_equal(diag(fx$Ss), diag(as.matrix(fx$Ss)))
})

test_that("base operations say what a structured kernel supports", {
  fx <- structured_fixture()
  S <- fx$S
  expect_error(S + S, class = "jntk_error_unsupported")
  expect_error(2 * S, class = "jntk_error_unsupported")
  expect_error(sqrt(S), class = "jntk_error_unsupported")
  expect_error(sum(S), class = "jntk_error_unsupported")
  expect_snapshot(error = TRUE, S + 1)
  expect_snapshot(error = TRUE, exp(S))
})

test_that("as.matrix() and block() check the dense size before allocating", {
  net <- mlp(1, "erf")
  set.seed(1)
  x <- matrix(rnorm(40 * 50), 40)
  S <- jacobian_nngp(net, x, as = "structured")
  old <- options(jntk.max_memory_gb = 1e-4)
  on.exit(options(old))
  expect_error(as.matrix(S), class = "jntk_error_size")
  expect_error(block(S, "jj"), class = "jntk_error_size")
  expect_identical(dim(block(S, "ff")), c(40L, 40L))
})

test_that("the cached cosines give the same products, bit for bit, and each object has its own", {
  fx <- structured_fixture()
  S <- fx$S
  set.seed(11)
  v <- rnorm(ncol(S)); V <- matrix(rnorm(3 * ncol(S)), ncol = 3)
  expect_false(exists("rho", envir = S@cache, inherits = FALSE))
  p1 <- S %*% v                                   # computes and caches the cosines
  expect_true(exists("rho", envir = S@cache, inherits = FALSE))
  # the cosines of the pairs, as from the definition
  u1 <- S@x1 / sqrt(rowSums(S@x1^2)); u2 <- S@x2 / sqrt(rowSums(S@x2^2))
  expect_equal(S@cache$rho, pmin(pmax(tcrossprod(u1, u2), -1), 1), tolerance = 1e-15)
  expect_identical(S %*% v, p1)                   # from the cache
  without <- .Call(jntk:::C_kernels_matvec, S@F, S@x1, S@x2, matrix(v), NULL)
  expect_identical(p1, without)
  expect_identical(S %*% V, .Call(jntk:::C_kernels_matvec, S@F, S@x1, S@x2, V, NULL))
  expect_equal(as.vector(p1), as.vector(fx$D %*% v), tolerance = 1e-13)
  # the transpose is its own object with its own (N2 x N1) cosines
  St <- t(S)
  w <- rnorm(ncol(St))
  expect_equal(as.vector(St %*% w), as.vector(t(fx$D) %*% w), tolerance = 1e-13)
  expect_identical(dim(St@cache$rho), rev(dim(S@cache$rho)))
  # wrong cosines are refused in C (never read out of bounds)
  expect_error(.Call(jntk:::C_kernels_matvec, S@F, S@x1, S@x2, matrix(v), matrix(0, 2, 2)),
               "n1 x n2")
})
