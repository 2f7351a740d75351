# Every plot is drawn to a null device; the tests check what the functions
# return (the numbers behind the figure) and their errors.

# One null device for the whole file, closed at the end.
grDevices::pdf(NULL)
plots_device <- grDevices::dev.cur()

# plot_spectrum() --------------------------------------------------------------

test_that("plot_kernel_circle() draws the limit and the sampled networks", {
  set.seed(3)
  net <- mlp(3, "relu", sigma_w = 1, sigma_b = 0.1)
  res <- plot_kernel_circle(net, widths = c(16, 64), n_init = 2, n_points = 9)
  expect_equal(res$angle, seq(0, 2 * pi, length.out = 9))
  # the limit equals ntk() at x0 = (1, 0) ...
  expect_equal(res$limit, as.vector(ntk(net, matrix(c(1, 0), 1), unit_circle(9, include_end = TRUE))))
  # ... and the sanity values of the mathematical notes at gamma = 0 and pi
  expect_equal(res$limit[c(1, 5)], c(0.2825, 0.0644), tolerance = 1e-3)
  expect_equal(nrow(res$empirical), 4L)
  expect_equal(res$empirical$width, c(16, 16, 64, 64))
  expect_equal(unique(res$empirical$group), "t = 0")
  expect_true(all(lengths(res$empirical$kernel) == 9L))
  # reproducible under set.seed()
  set.seed(3)
  res2 <- plot_kernel_circle(net, widths = c(16, 64), n_init = 2, n_points = 9)
  expect_identical(res2$empirical$kernel, res$empirical$kernel)
})

test_that("plot_kernel_circle() draws given groups of networks and the NNGP", {
  set.seed(4)
  net <- mlp(2, "erf", sigma_b = 0.1)
  a <- lapply(1:2, function(i) sample_mlp(net, 32, input_dim = 2))
  b <- lapply(1:2, function(i) sample_mlp(net, 8, input_dim = 2))
  res <- plot_kernel_circle(net, networks = list(first = a, second = b), n_points = 7,
                            kernel = "nngp", legend = "bottomleft", main = "custom")
  expect_equal(res$empirical$group, c("first", "first", "second", "second"))
  expect_equal(res$empirical$width, c(32, 32, 8, 8))
  circle <- unit_circle(7, include_end = TRUE)
  x0 <- matrix(c(1, 0), 1)
  expect_equal(res$limit, as.vector(nngp(net, x0, circle)))
  expect_equal(res$empirical$kernel[[3]], as.vector(empirical_nngp(b[[1]], x0, circle)))
  # a flat list of networks is one group
  res1 <- plot_kernel_circle(net, networks = a, n_points = 5, legend = NULL)
  expect_equal(nrow(res1$empirical), 2L)
})

test_that("plot_kernel_circle() refuses bad arguments", {
  net <- mlp(1, "relu")
  expect_snapshot(error = TRUE, plot_kernel_circle(net, kernel = "jntk"))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, widths = c(10, 0.5)))
  expect_snapshot(error = TRUE, plot_kernel_circle(mlp(1, "relu", input_dim = 3)))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, networks = list(a = 1)))
  set.seed(1)
  nw3 <- sample_mlp(net, 4, input_dim = 3)
  expect_snapshot(error = TRUE, plot_kernel_circle(net, networks = list(a = list(nw3))))
})

grDevices::dev.off(plots_device)
