# Finite networks: forward pass, input Jacobian, containers.

test_that("predict() is the forward pass of math.md §1", {
  # reference: plain R, one input at a time (helper-network.R); agreement to
  # rounding (1e-12 relative) since both compute the same sums.
  cases <- list(
    list(depth = 0, act = "relu", width = 3),
    list(depth = 1, act = "erf", width = 7),
    list(depth = 2, act = "gelu", width = c(6, 4)),
    list(depth = 3, act = "tanh", width = c(5, 3, 8)),
    list(depth = 2, act = "leaky_relu", width = 5),
    list(depth = 2, act = "softplus", width = 5)
  )
  for (cs in cases) {
    set.seed(10 + cs$depth)
    net <- mlp(cs$depth, cs$act, sigma_w = 1.3, sigma_b = 0.4, kappa = 0.6, slope = 0.2)
    nw <- sample_mlp(net, cs$width, input_dim = 3)
    x <- matrix(rnorm(15), 5, 3)
    ref <- nref_predict(nw, x)
    expect_equal(predict(nw, x), ref, tolerance = 1e-12)
    expect_equal(predict(nw, newdata = x), ref, tolerance = 1e-12)
  }
})

test_that("sample_mlp() follows set.seed() and the widths", {
  net <- mlp(2, "erf")
  set.seed(3)
  a <- sample_mlp(net, c(4, 6), input_dim = 2)
  set.seed(3)
  b <- sample_mlp(net, c(4, 6), input_dim = 2)
  expect_identical(a, b)
  expect_identical(a$widths, c(2L, 4L, 6L, 1L))
  expect_identical(dim(a$weights[[2]]), c(6L, 4L))
  expect_snapshot(print(a))
})

test_that("input_jacobian() matches central differences of predict()", {
  # h = 1e-5: truncation error ~ h^2 |f'''| ~ 1e-10, rounding ~ 1e-16/h = 1e-11
  # relative, so 1e-7 relative is a wide but still sharp margin.
  for (act in c("erf", "gelu", "tanh", "sin", "silu", "relu", "abs")) {
    set.seed(20)
    net <- mlp(2, act, sigma_b = 0.3, kappa = 0.8)
    nw <- sample_mlp(net, c(9, 7), input_dim = 4)
    x <- matrix(rnorm(12), 3, 4)
    J <- input_jacobian(nw, x)
    expect_identical(dim(J), c(3L, 4L))
    h <- 1e-5
    fd <- vapply(1:4, function(i) {
      e <- replace(numeric(4), i, h)
      (predict(nw, sweep(x, 2, e, "+")) - predict(nw, sweep(x, 2, e, "-"))) / (2 * h)
    }, numeric(3))
    expect_equal(J, fd, tolerance = 1e-7, ignore_attr = TRUE)
  }
})

test_that("edge cases: d = 1, one input, zero input, depth 0, duplicates", {
  set.seed(4)
  nw <- sample_mlp(mlp(1, "erf", sigma_b = 0.2), 5, input_dim = 1)
  x <- matrix(c(0, 0.5, 0.5), 3, 1)
  expect_equal(predict(nw, x), nref_predict(nw, x), tolerance = 1e-12)
  J <- input_jacobian(nw, x)
  expect_identical(dim(J), c(3L, 1L))
  expect_identical(J[2, ], J[3, ])
  expect_length(predict(nw, 0.3), 1L) # a vector is one point
  # depth 0: f = kappa (sigma_w/sqrt(d) w.x + sigma_b b), J = kappa sigma_w/sqrt(d) w
  set.seed(5)
  net0 <- mlp(0, "relu", sigma_w = 2, sigma_b = 0.5, kappa = 0.3)
  nw0 <- sample_mlp(net0, 1, input_dim = 4)
  x <- matrix(rnorm(8), 2, 4)
  w <- drop(nw0$weights[[1]])
  expect_equal(predict(nw0, x), drop(0.3 * (2 / 2 * x %*% w + 0.5 * nw0$biases[[1]])), tolerance = 1e-14)
  expect_equal(input_jacobian(nw0, x), rbind(0.3 * w, 0.3 * w), tolerance = 1e-14, ignore_attr = TRUE)
})

test_that("results do not depend on the number of threads", {
  set.seed(6)
  nw <- sample_mlp(mlp(2, "gelu"), 300, input_dim = 5)
  x <- matrix(rnorm(5 * 40), 40, 5)
  expect_identical(predict(nw, x, threads = 1), predict(nw, x, threads = 2))
  expect_identical(input_jacobian(nw, x, threads = 1), input_jacobian(nw, x, threads = 2))
})

test_that("input errors say what is wrong", {
  set.seed(7)
  nw <- sample_mlp(mlp(1, "erf"), 4, input_dim = 3)
  expect_snapshot(error = TRUE, predict(nw, matrix(1, 2, 2)))
  expect_snapshot(error = TRUE, predict(nw, matrix(c(1, NA, 3), 1)))
  expect_snapshot(error = TRUE, predict(nw))
  expect_snapshot(error = TRUE, input_jacobian(nw, "a"))
  expect_snapshot(error = TRUE, input_jacobian(list(), matrix(1, 1, 3)))
  expect_snapshot(error = TRUE, predict(nw, matrix(1, 1, 3), threads = 0))
  expect_error(predict(nw, matrix(1, 2, 2)), class = "jntk_error_input")
})

test_that("mlp_network() validates its parts", {
  net <- mlp(1, "tanh")
  expect_snapshot(error = TRUE, mlp_network(net, list(matrix(1, 2, 3)), list(c(0, 0), 0)))
  expect_snapshot(error = TRUE, mlp_network(net, list(matrix(1, 2, 3), matrix(1, 1, 3)), list(c(0, 0), 0)))
  expect_snapshot(error = TRUE, mlp_network(net, list(matrix(1, 2, 3), matrix(1, 2, 2)), list(c(0, 0), c(0, 0))))
  expect_snapshot(error = TRUE, mlp_network(net, list(matrix(1, 2, 3), matrix(1, 1, 2)), list(c(0, NA), 0)))
  expect_snapshot(error = TRUE, sample_mlp(mlp(2), width = c(3, 4, 5), input_dim = 2))
  expect_snapshot(error = TRUE, sample_mlp(mlp(2), width = 3))
  nw <- mlp_network(net, list(matrix(0.5, 2, 3), matrix(1, 1, 2)), list(c(0, 0), 0))
  expect_equal(predict(nw, c(1, 1, 1)), nref_forward_one(nw, c(1, 1, 1)))
})
