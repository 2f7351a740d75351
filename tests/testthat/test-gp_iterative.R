# GP regression through the matrix-free solve (R/gp_iterative.R) against the
# dense Cholesky fit of the same model.

gp_iter_data <- function(N = 24, d = 2, seed = 1) {
  set.seed(seed)
  x <- matrix(runif(N * d, -2, 2), N, d)
  list(x = x, y = sin(x[, 1]) + 0.3 * x[, 2], dy = cbind(cos(x[, 1]), 0.3),
       xt = matrix(runif(6 * d, -2, 2), 6, d))
}

# The training covariance's condition number: CG stops at a relative
# residual tol, so alpha (and every product with it) is right to about
# cond * tol relative; 10 cond tol of the largest entry is the tolerance.
gp_iter_tol <- function(g) {
  K <- gp_prior(g$net, g$kernel, g$x, g$gradients, 1L)
  diag(K) <- diag(K) + g$added
  10 * kappa(K, exact = TRUE) * g$tol
}

expect_gp_agree <- function(gi, gd, xt, jacobian) {
  tol <- gp_iter_tol(gi)
  pd <- predict(gd, xt, jacobian = jacobian, cov = TRUE)
  pi <- predict(gi, xt, jacobian = jacobian, cov = TRUE)
  rel <- function(a, b) max(abs(a - b)) / max(abs(b))
  expect_lt(rel(pi$mean, pd$mean), tol)
  # variances: the error of k' (K + D)^{-1} k relative to the prior variance
  prior <- max(gp_prior_diag(gd$net, gd$kernel, xt, jacobian, 1L))
  expect_lt(max(abs(pi$var - pd$var)) / prior, tol)
  expect_lt(max(abs(pi$cov - pd$cov)) / prior, tol)
  if (jacobian) {
    expect_lt(rel(pi$jacobian, pd$jacobian), tol)
    expect_lt(max(abs(pi$jacobian_var - pd$jacobian_var)) / prior, tol)
  }
  expect_lt(rel(fitted(gi), fitted(gd)), tol)
  # and the check is not vacuous: the tolerance is well below the scale
  expect_lt(tol, 1e-4)
}

test_that("iterative fits agree with the dense ones (values, gradients, both kernels)", {
  dt <- gp_iter_data()
  net <- mlp(2, "erf", sigma_w = 1.5, sigma_b = 0.2)
  cases <- list(
    values = list(noise = 1e-2),
    tied = list(dy = dt$dy, noise = 1e-2),
    untied = list(dy = dt$dy, noise = 1e-2, dy_noise = 1e-3),
    ntk = list(dy = dt$dy, noise = 1e-2, kernel = "ntk"))
  for (nm in names(cases)) {
    a <- cases[[nm]]
    gd <- do.call(gp_fit, c(list(net, dt$x, dt$y, solver = "dense"), a))
    gi <- do.call(gp_fit, c(list(net, dt$x, dt$y, solver = "iterative"), a))
    expect_identical(gi$solver, "iterative")
    expect_identical(gi$cg$preconditioner, if (nm %in% c("tied", "ntk")) "two_level" else "diagonal")
    expect_true(all(gi$cg$residual <= gi$tol))
    expect_gp_agree(gi, gd, dt$xt, jacobian = TRUE)
  }
})

test_that("iterative fits handle several outputs and gradients predicted without gradient data", {
  dt <- gp_iter_data(N = 16, seed = 2)
  net <- mlp(1, "gelu", sigma_b = 0.1)
  Y <- cbind(dt$y, cos(dt$x[, 2]))
  gd <- gp_fit(net, dt$x, Y, noise = 1e-3, solver = "dense")
  gi <- gp_fit(net, dt$x, Y, noise = 1e-3, solver = "iterative")
  expect_gp_agree(gi, gd, dt$xt, jacobian = TRUE)
  expect_equal(dim(predict(gi, dt$xt)$mean), c(6L, 2L))
})

test_that("solver = \"auto\" switches at the documented size", {
  dt <- gp_iter_data(N = 20)
  net <- mlp(1, "erf")
  expect_identical(gp_fit(net, dt$x, dt$y, noise = 1e-3)$solver, "dense")
  withr_opt <- options(jntk.gp_dense_max = 59)
  on.exit(options(withr_opt))
  # n = N = 20 stays dense, n = N (d + 1) = 60 > 59 goes iterative
  expect_identical(gp_fit(net, dt$x, dt$y, noise = 1e-3)$solver, "dense")
  expect_identical(gp_fit(net, dt$x, dt$y, dy = dt$dy, noise = 1e-3)$solver, "iterative")
  options(jntk.gp_dense_max = "a lot")
  expect_error(gp_fit(net, dt$x, dt$y, noise = 1e-3), class = "jntk_error_argument")
})

test_that("an iterative fit refuses the evidence with a reason", {
  dt <- gp_iter_data(N = 10)
  net <- mlp(1, "erf")
  gi <- gp_fit(net, dt$x, dt$y, dy = dt$dy, noise = 1e-3, solver = "iterative")
  expect_snapshot(error = TRUE, logLik(gi))
  expect_error(summary(gi), class = "jntk_error_unsupported")
  expect_error(gp_optimise(gi), class = "jntk_error_unsupported")
  expect_error(anova(gi), class = "jntk_error_unsupported")
  expect_error(AIC(gi), class = "jntk_error_unsupported")
  # (the iteration count and residual digits depend on the BLAS: no snapshot)
  expect_output(print(gi), "conjugate gradients on the 30 x 30 covariance \\(two_level preconditioner\\)")
  expect_output(print(gi), "no log marginal likelihood")
})

test_that("variances of an iterative fit: at most 200 rows, or the mean alone", {
  dt <- gp_iter_data(N = 10)
  net <- mlp(1, "erf")
  gi <- gp_fit(net, dt$x, dt$y, noise = 1e-3, solver = "iterative")
  gd <- gp_fit(net, dt$x, dt$y, noise = 1e-3, solver = "dense")
  set.seed(3)
  xt <- matrix(runif(2 * 201), 201, 2)
  expect_snapshot(error = TRUE, predict(gi, xt))
  p <- predict(gi, xt, var = FALSE)
  expect_true(all(is.na(p$var)))
  expect_equal(p$mean, predict(gd, xt)$mean, tolerance = gp_iter_tol(gi))
  expect_true(all(is.na(predict(gd, xt, var = FALSE)$var)))
  expect_error(predict(gi, xt[1:3, ], cov = TRUE, var = FALSE), class = "jntk_error_argument")
})

test_that("a solve that cannot converge is a classed error asking for noise", {
  net <- mlp(1, "erf")
  x <- rbind(c(1, 0), c(1, 0), c(0, 1))   # a repeated input with two values
  expect_error(gp_fit(net, x, c(1, -1, 0), noise = 0, solver = "iterative"),
               class = "jntk_error_convergence")
  expect_error(gp_fit(net, x, c(1, -1, 0), solver = "iterative", tol = 0), class = "jntk_error_argument")
})
