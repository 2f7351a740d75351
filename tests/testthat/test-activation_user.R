# mlp(activation = <R function>): the series machinery on tables of phi
# evaluated by R (src/series_user.c). Without a second method at large
# variances, certified 1e-10 needs moderate pre-activation variances (about
# 1-2 for tanh's Jacobian kernels): the inputs are scaled to |x|^2 / d = 0.8.
unit_rows <- function(X, s = 0.8) X / sqrt(rowSums(X^2) / ncol(X)) * sqrt(s)

test_that("an R function tanh gives the built-in tanh's four kernels", {
  set.seed(11)
  X <- unit_rows(matrix(rnorm(15), 5, 3))
  for (depth in 1:3) {
    ref <- mlp(depth, "tanh", sigma_w = 1.1, sigma_b = 0.1)
    net <- mlp(depth, tanh, sigma_w = 1.1, sigma_b = 0.1)
    for (k in c("nngp", "ntk", "jacobian_nngp", "jntk")) {
      f <- get(k)
      A <- as.matrix(f(ref, X)); B <- as.matrix(f(net, X))
      # both are certified to quadrature_tol = 1e-10 relative to the largest entry
      expect_lt(krel_err(B, A), 2e-10)
    }
  }
})

test_that("derivatives given or derived by integration by parts agree", {
  set.seed(12)
  X <- unit_rows(matrix(rnorm(8), 4, 2))
  d1 <- function(x) 1 - tanh(x)^2
  d2 <- function(x) -2 * tanh(x) * (1 - tanh(x)^2)
  n0 <- mlp(2, tanh, sigma_b = 0.2)
  n1 <- mlp(2, tanh, dphi = d1, sigma_b = 0.2)
  n2 <- mlp(2, tanh, dphi = d1, d2phi = d2, sigma_b = 0.2)
  n3 <- mlp(2, list(tanh, d1, d2), sigma_b = 0.2)
  K0 <- jntk(n0, X, as = "matrix")
  for (n in list(n1, n2, n3)) {
    expect_lt(krel_err(jntk(n, X, as = "matrix"), K0), 2e-10)  # two certified values
  }
  expect_equal(jntk(n2, X, as = "matrix"), jntk(n3, X, as = "matrix"))
})

test_that("an activation without a closed form matches the independent reference", {
  # phi(x) = exp(-x^2/2): no closed form in the package; the reference is
  # nested Gauss-Legendre quadrature in x-space with R jets (helper-reference.R)
  set.seed(13)
  X <- unit_rows(matrix(rnorm(6), 3, 2))
  net <- mlp(2, function(x) exp(-x^2 / 2), sigma_w = 1.5, sigma_b = 0.3, kappa = 0.7)
  mom <- function(a, b, rho) ref_moments("gauss", a, b, rho, which = c(1, 4))
  Kref <- matrix(0, 3, 3); Tref <- Kref
  for (i in 1:3) for (j in 1:3) {
    Kref[i, j] <- ref_pair_jets(2, 1.5, 0.3, 0.7, X[i, ], X[j, ],
                                function(a, b, rho) ref_moments("gauss", a, b, rho), FALSE)[["v"]]
  }
  # tolerance: 1e-10 certified plus the reference's ~1e-14
  expect_lt(krel_err(nngp(net, X), Kref), 2e-10)
  J <- jacobian_nngp(net, X, as = "matrix")
  Jref <- ref_jacobian_kernel("gauss", 2, 1.5, 0.3, 0.7, X, tangent = FALSE)
  expect_lt(krel_err(J, Jref), 2e-10)
  Tk <- jntk(net, X, as = "matrix")
  Tkref <- ref_jacobian_kernel("gauss", 2, 1.5, 0.3, 0.7, X, tangent = TRUE)
  expect_lt(krel_err(Tk, Tkref), 2e-10)
  # and the Jacobian blocks are the input derivatives of the NTK (finite
  # differences: h = 1e-5 / 1e-4 leave about 1e-8 relative)
  fd <- jref_fd_jacobian(function(a, b) ntk(net, a, b), X, X)
  expect_lt(krel_err(Tk, fd), 1e-6)
})

test_that("what cannot be certified stops with the accuracy error", {
  set.seed(14)
  X <- unit_rows(matrix(rnorm(6), 3, 2))
  # a jump: the Hermite coefficients decay like k^(-3/4), no tail bound holds
  expect_error(nngp(mlp(1, function(x) sign(x)), X), class = "jntk_error_accuracy")
  # tanh at variance ~ 20 is beyond the 2048-node rule and 256 terms
  expect_error(nngp(mlp(2, tanh, sigma_w = 4), X * 5), class = "jntk_error_accuracy")
  # but a loose tolerance is met, and the answer is within it
  loose <- mlp(1, tanh, sigma_w = 2, quadrature_tol = 1e-3)
  expect_lt(krel_err(ntk(loose, X), ntk(mlp(1, "tanh", sigma_w = 2), X)), 1e-3)
  # a derivative at variance 0 cannot come from phi alone; given, it is fine
  Z <- rbind(c(0, 0), c(1, 0.5))
  expect_error(ntk(mlp(1, tanh), Z), class = "jntk_error_accuracy")
  expect_lt(krel_err(ntk(mlp(1, tanh, dphi = function(x) 1 - tanh(x)^2), Z), ntk(mlp(1, "tanh"), Z)),
            2e-10)
})

test_that("bad R-function activations give classed errors", {
  expect_snapshot(error = TRUE, mlp(2, function(x) max(x, 0)))
  expect_snapshot(error = TRUE, mlp(2, function(x) ifelse(x > 1, Inf, x)))
  expect_snapshot(error = TRUE, mlp(2, function(x) stop("no")))
  expect_snapshot(error = TRUE, mlp(2, list(tanh, 3)))
  expect_snapshot(error = TRUE, mlp(2, "tanh", dphi = cos))
  expect_snapshot(error = TRUE, mlp(2, tanh, d2phi = cos))
  # finite at the probe points but not at a far pre-activation
  X <- matrix(c(1, 2, 3, 4), 2)
  expect_error(nngp(mlp(1, function(x) ifelse(abs(x) > 5, NaN, x), sigma_w = 3), X),
               class = "jntk_error_activation")
})

# finite networks with an R-function activation: test-mlp_user.R

test_that("an R-function network prints what it is", {
  expect_snapshot(print(mlp(2, tanh)))
  expect_snapshot(print(mlp(2, tanh, dphi = function(x) 1 - tanh(x)^2, sigma_b = 0.1)))
})
