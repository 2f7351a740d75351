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
    expect_equal(J, nref_fd_jacobian(nw, x), tolerance = 1e-7, ignore_attr = TRUE)
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

test_that("summary() of a network lists its layers", {
  set.seed(8)
  nw <- sample_mlp(mlp(2, "tanh", sigma_b = 0.2), c(5, 3), input_dim = 2)
  s <- summary(nw)
  expect_s3_class(s, "summary.mlp_network")
  expect_equal(s$layers$parameters, c(5 * 2 + 5, 3 * 5 + 3, 3 + 1))
  expect_equal(sum(s$layers$parameters), s$n_par)
  expect_equal(s$layers$weight_maxabs[2], max(abs(nw$weights[[2]])))
  expect_snapshot(print(s))
})

test_that("the standard parametrisation: draws, forward pass, Jacobian", {
  net <- mlp(2, "gelu", sigma_w = 1.3, sigma_b = 0.4, kappa = 0.6)
  std <- net
  std$parametrisation <- "standard"
  expect_identical(jntk:::net_parametrisation(net), "ntk")
  expect_identical(jntk:::net_parametrisation(std), "standard")
  set.seed(9)
  a <- sample_mlp(net, c(6, 4), input_dim = 3)
  set.seed(9)
  b <- sample_mlp(std, c(6, 4), input_dim = 3)
  # the same normal draws, the scales moved into the parameters
  # (neural-tangents: W ~ N(0, W_std^2 / n_in), b ~ N(0, b_std^2))
  for (l in 1:3) {
    expect_equal(b$weights[[l]], a$weights[[l]] * 1.3 / sqrt(c(3, 6, 4)[l]), tolerance = 1e-15)
    expect_equal(b$biases[[l]], a$biases[[l]] * 0.4, tolerance = 1e-15)
  }
  x <- matrix(rnorm(15), 5, 3)
  # so the two are the same function at initialisation (rounding differs)
  expect_equal(predict(b, x), predict(a, x), tolerance = 1e-13)
  # and the standard forward pass is h = W z + b, against plain R
  expect_equal(predict(b, x), nref_predict(b, x), tolerance = 1e-12)
  # central differences: truncation ~1e-10, rounding ~1e-11 (as above)
  expect_equal(input_jacobian(b, x), nref_fd_jacobian(b, x), tolerance = 1e-7,
               ignore_attr = TRUE)
  # sigma_b = 0: no biases in the standard parametrisation
  std0 <- mlp(1, "erf")
  std0$parametrisation <- "standard"
  set.seed(10)
  n0 <- sample_mlp(std0, 4, input_dim = 2)
  expect_true(all(vapply(n0$biases, function(v) all(v == 0), logical(1))))
  expect_snapshot(print(b))
  bad <- net
  bad$parametrisation <- "mean_field"
  expect_snapshot(error = TRUE, sample_mlp(bad, 4, input_dim = 2))
})

test_that("sizes are counted in double and widths are explained", {
  net <- mlp(2, "erf")
  old <- options(jntk.max_memory_gb = 1)
  on.exit(options(old))
  # 1e10 parameters: no integer overflow, a size error with the size
  expect_no_warning(expect_error(sample_mlp(net, 1e5, 2), class = "jntk_error_size"))
  expect_snapshot(error = TRUE, sample_mlp(net, 1e5, 2))
  expect_snapshot(error = TRUE, sample_mlp(net, 3e9, 2))
  expect_snapshot(error = TRUE, sample_mlp(net, input_dim = 2))
  expect_snapshot(error = TRUE, sample_mlp(net, c(4, 0), input_dim = 2))
  expect_snapshot(error = TRUE, sample_mlp(mlp(1), c(4, 4), input_dim = 2))
  expect_identical(sample_mlp(mlp(0), integer(0), input_dim = 2)$widths, c(2L, 1L))
  expect_identical(sample_mlp(mlp(0), 5, input_dim = 2)$widths, c(2L, 1L))
})

test_that("threads: 1, 2 and 3 give identical bits; huge counts are capped", {
  set.seed(11)
  nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), c(70, 90), input_dim = 4)
  x <- matrix(rnorm(4 * 300), 300, 4) # 4 fixed blocks of inputs
  f1 <- predict(nw, x, threads = 1)
  J1 <- input_jacobian(nw, x, threads = 1)
  for (th in 2:3) {
    expect_identical(predict(nw, x, threads = th), f1)
    expect_identical(input_jacobian(nw, x, threads = th), J1)
  }
  expect_identical(predict(nw, x, threads = 1e10), f1)
  expect_snapshot(error = TRUE, predict(nw, x, threads = NA))
})

test_that("direct .Call with garbage is an R error, never a crash", {
  cs <- nref_call_setup(12)
  nw <- cs$nw; a <- cs$a; p <- cs$p; x <- cs$x
  call <- function(...) .Call(jntk:::C_network_outputs, ...)
  expect_equal(dim(call(p, a$par, a$ipar, x, TRUE, 1L)), c(2L, 3L))
  expect_error(call(NULL, a$par, a$ipar, x, TRUE, 1L))
  expect_error(call(p, NULL, a$ipar, x, TRUE, 1L))
  expect_error(call(p, a$par, c(1L, 0L, 2L), x, TRUE, 1L))
  expect_error(call(p, a$par, c(1L, 0L, 2L, 3L, 2L), x, TRUE, 1L)) # output width 2
  expect_error(call(p, a$par, c(99L, 0L, 2L, 3L, 1L), x, TRUE, 1L))
  expect_error(call(p, a$par, c(4L, 7L, 2L, 3L, 1L), x, TRUE, 1L))
  expect_error(call(p, a$par, c(4L, 0L, 2L, NA, 1L), x, TRUE, 1L))
  expect_error(call(p, c(1, 0, 1, NA), a$ipar, x, TRUE, 1L))
  expect_error(call(p, c(-1, 0, 1, 0), a$ipar, x, TRUE, 1L))
  expect_error(call(p, a$par, a$ipar, matrix(1, 0, 2), TRUE, 1L))
  expect_error(call(p, a$par, a$ipar, matrix(1, 2, 3), TRUE, 1L))
  expect_error(call(p, a$par, a$ipar, matrix(NA_real_, 2, 2), TRUE, 1L))
  expect_error(call(p, a$par, a$ipar, x, NA, 1L))
  expect_error(call(p, a$par, a$ipar, x, TRUE, NA_integer_))
  expect_error(call(list(nw$weights), a$par, a$ipar, x, TRUE, 1L))
  expect_error(call(list(nw$weights[1:1], nw$biases), a$par, a$ipar, x, TRUE, 1L))
  expect_error(call(list(list(matrix(1, 3, 3), nw$weights[[2]]), nw$biases), a$par, a$ipar, x,
                    TRUE, 1L))
  expect_error(call(list(nw$weights, list(1, 2)), a$par, a$ipar, x, TRUE, 1L))
  expect_error(call(rep(1, 3), a$par, a$ipar, x, TRUE, 1L)) # theta of the wrong length
  expect_error(call(c(rep(1, 12), NaN), a$par, a$ipar, x, TRUE, 1L))
  bad <- nw$weights
  bad[[2]][1, 2] <- -Inf
  expect_error(call(list(bad, nw$biases), a$par, a$ipar, x, TRUE, 1L), "non-finite")
  expect_equal(call(rep(0, 13), a$par, a$ipar, x, FALSE, 1000000L), matrix(0, 2, 1))
})

test_that("both BLAS product forms (explicit transposes or not) give the same results", {
  set.seed(13)
  nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.2, kappa = 0.7), c(9, 7), input_dim = 3)
  x <- matrix(rnorm(3 * 40), 40, 3)
  x2 <- x[1:7, ]
  y <- sin(x[, 1])
  run <- function() list(f = predict(nw, x), J = input_jacobian(nw, x),
                         ntk = empirical_ntk(nw, x), jntk = empirical_jntk(nw, x),
                         jntk12 = empirical_jntk(nw, x, x2),
                         jnngp = empirical_nngp(nw, x, x2, jacobian = TRUE),
                         g = training_gradient(nw, x, y, lambda = 0.1),
                         fit = train_mlp(nw, x, y, lambda = 0.1, lr = 0.5, steps = 3,
                                         progress = FALSE)$network$weights)
  jntk:::blas_forms()
  old <- jntk:::set_blas_forms(TRUE)
  on.exit(jntk:::set_blas_forms(old))
  a <- run()
  jntk:::set_blas_forms(FALSE)
  b <- run()
  # the same sums with the factors read in another order: rounding only
  expect_equal(b, a, tolerance = 1e-12)
})
