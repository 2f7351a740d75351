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
