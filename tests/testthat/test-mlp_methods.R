# summary() and plot() of an architecture (R/mlp_methods.R).

test_that("summary.mlp() gives the kernels at |x|^2/d = 1, checked against the depth-0 closed form", {
  # depth 0: Sigma(x, x') = Theta(x, x') = kappa^2 (sigma_w^2 x.x'/d + sigma_b^2)
  net <- mlp(0, "relu", sigma_w = 1.3, sigma_b = 0.4, kappa = 0.5)
  s <- summary(net, input_dim = 3)
  sw2 <- 1.3^2; sb2 <- 0.4^2
  expect_equal(s$kernels$value, rep(0.25 * (sw2 + sb2), 2))
  expect_equal(s$kernels$orthogonal, rep(sb2 / (sw2 + sb2), 2))
  expect_equal(s$kernels$opposite, rep((sb2 - sw2) / (sw2 + sb2), 2))
  # Var(df/dx_1) of the affine network: kappa^2 sigma_w^2 / d
  expect_equal(s$derivative_variance, 0.25 * sw2 / 3)
  expect_equal(s$n_parameters, 3 + 1)
})

test_that("summary.mlp() agrees with the kernel functions and counts parameters like sample_mlp()", {
  net <- mlp(2, "erf", sigma_w = 1.5, sigma_b = 0.1, kappa = 0.1)
  s <- summary(net, width = 10, input_dim = 3)
  x <- rbind(c(sqrt(3), 0, 0), c(0, sqrt(3), 0), c(-sqrt(3), 0, 0))
  expect_equal(s$kernels$value, c(nngp(net, x[1, ])[1, 1], ntk(net, x[1, ])[1, 1]))
  expect_equal(s$kernels$orthogonal[2], ntk(net, x[1, ], x[2, ])[1, 1] / ntk(net, x[1, ])[1, 1])
  expect_equal(s$derivative_variance, jacobian_nngp(net, x[1, , drop = FALSE])[2, 2])
  expect_true(s$jntk_available)
  set.seed(1)
  nw <- sample_mlp(net, 10, input_dim = 3)
  expect_equal(s$n_parameters, sum(lengths(nw$weights)) + sum(lengths(nw$biases)))
  expect_snapshot(print(s))
  expect_false(summary(mlp(3, "relu"))$jntk_available)
  expect_snapshot(print(summary(mlp(3, "relu", sigma_b = 0.1))))
})

test_that("summary.mlp() refuses an input dimension the architecture does not have", {
  expect_snapshot(error = TRUE, summary(mlp(1, "erf", input_dim = 4), input_dim = 3))
  expect_snapshot(error = TRUE, summary(mlp(1, "erf"), width = 0))
})

test_that("plot.mlp() draws the limits along the circle", {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  net <- mlp(3, "relu", sigma_b = 0.1)
  res <- plot(net, n_points = 9)
  circle <- unit_circle(9, include_end = TRUE)
  expect_equal(res$angle, attr(circle, "angle"))
  expect_equal(res$ntk, as.vector(ntk(net, c(1, 0), circle)))
  expect_equal(res$nngp, as.vector(nngp(net, c(1, 0), circle)))
  # in R^4: the great circle through e1 and e2
  net4 <- mlp(2, "erf", input_dim = 4)
  res4 <- plot(net4, kernel = "nngp", n_points = 5, legend = NULL)
  g <- res4$angle
  expect_equal(res4$nngp, as.vector(nngp(net4, c(1, 0, 0, 0), cbind(cos(g), sin(g), 0, 0))))
  expect_snapshot(error = TRUE, plot(net, kernel = "jntk"))
})
