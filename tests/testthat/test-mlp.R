test_that("mlp() validates and prints", {
  net <- mlp(depth = 3, activation = "relu", sigma_w = 1, sigma_b = 0.1)
  expect_s3_class(net, "mlp")
  expect_equal(net$depth, 3L)
  expect_snapshot(print(net))
  expect_snapshot(print(mlp(2, "tanh", quadrature_degree = 20)))
  expect_snapshot(error = TRUE, mlp(2, "tanh", quadrature_degree = 1000))
})

test_that("mlp() errors name the argument and what to do", {
  expect_snapshot(error = TRUE, mlp(depth = -1))
  expect_snapshot(error = TRUE, mlp(depth = 1.5))
  expect_snapshot(error = TRUE, mlp())
  expect_snapshot(error = TRUE, mlp(2, sigma_w = 0))
  expect_snapshot(error = TRUE, mlp(2, sigma_b = -0.1))
  expect_snapshot(error = TRUE, mlp(2, kappa = 0))
  expect_snapshot(error = TRUE, mlp(2, activation = "swish"))
  expect_snapshot(error = TRUE, mlp(2, activation = "ReLU"))
  expect_snapshot(error = TRUE, mlp(2, sigma_w = NA))
})

test_that("Gauss-Hermite rule integrates polynomials exactly", {
  gh <- jntk:::gauss_hermite(12)
  # E[z^(2k)] = (2k-1)!!
  expect_equal(sum(gh$weights), 1, tolerance = 1e-14)
  expect_equal(sum(gh$weights * gh$nodes^2), 1, tolerance = 1e-13)
  expect_equal(sum(gh$weights * gh$nodes^4), 3, tolerance = 1e-13)
  expect_equal(sum(gh$weights * gh$nodes^10), 945, tolerance = 1e-12)
  expect_equal(sum(gh$weights * gh$nodes^3), 0, tolerance = 1e-13)
})

test_that("quadrature_tol replaces quadrature_degree, which is deprecated", {
  net <- mlp(2, "tanh", quadrature_tol = 1e-8)
  expect_equal(net$quadrature_tol, 1e-8)
  expect_snapshot(print(net))
  expect_warning(mlp(2, "tanh", quadrature_degree = 50), class = "jntk_warning_deprecated")
  expect_silent(mlp(2, "tanh", quadrature_degree = NULL))
  expect_snapshot(error = TRUE, mlp(2, "tanh", quadrature_tol = 1e-16))
  expect_snapshot(error = TRUE, mlp(2, "tanh", quadrature_tol = "a"))
  # the deprecated value changes nothing
  x <- matrix(c(1, 0.3, -0.2, 0.8), 2)
  expect_identical(suppressWarnings(ntk(mlp(2, "tanh", quadrature_degree = 20), x)),
                   ntk(mlp(2, "tanh"), x))
})

test_that("the mixture rule integrates the Kolmogorov-Smirnov law", {
  # tanh(x) = E_V[erf(x / (sqrt(2) V))] with V Kolmogorov-Smirnov distributed
  # (the logistic distribution as a normal scale mixture): the 16-node rule
  # has the law's mean sqrt(pi/2) log 2 and reproduces tanh pointwise to
  # 1e-14 for small x, 1e-11 for larger ones (a sharper integrand in V than
  # the kernels' smoothed ones, whose accuracy test-accuracy.R checks)
  r <- jntk:::mixture_rule(16L)
  expect_equal(sum(r$weights), 1, tolerance = 1e-15)
  expect_equal(sum(r$weights * r$nodes), sqrt(pi / 2) * log(2), tolerance = 1e-14)
  for (x in c(0.01, 0.5, 2, 10)) {
    expect_equal(sum(r$weights * (2 * pnorm(x / r$nodes) - 1)), tanh(x),
                 tolerance = if (x < 1) 1e-14 else 1e-11)
  }
})
