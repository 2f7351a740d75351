# Finite networks whose activation is an R function (src/mlp_user.c): the
# same networks as the built-in "tanh" (same seed, same parameters), to the
# accuracy of the numerical derivatives without dphi/d2phi and to rounding
# with them; Monte Carlo against the limits; bad functions; threads.

tanh_d1 <- function(x) 1 - tanh(x)^2
tanh_d2 <- function(x) {
  t <- tanh(x)
  -2 * t * (1 - t^2)
}

# three networks with the same parameters: built-in, R function without and
# with derivatives
user_trio <- function(depth = 2, width = 24, d = 3, sigma_b = 0.1, ...) {
  nets <- list(builtin = mlp(depth, "tanh", sigma_b = sigma_b, ...),
               numeric = mlp(depth, tanh, sigma_b = sigma_b, ...),
               given = mlp(depth, tanh, dphi = tanh_d1, d2phi = tanh_d2, sigma_b = sigma_b, ...))
  lapply(nets, function(net) {
    set.seed(11)
    sample_mlp(net, width, input_dim = d)
  })
}

rel_err <- function(a, b) max(abs(a - b)) / max(abs(b))

test_that("outputs and Jacobians match the built-in tanh", {
  set.seed(1)
  x <- matrix(rnorm(40 * 3), 40, 3)
  nw <- user_trio()
  f0 <- predict(nw$builtin, x)
  # phi is R's tanh, the built-in C's: the same libm function on the same
  # pre-activations (the same dgemm calls); allow a few ulp for other libms
  expect_equal(predict(nw$numeric, x), f0, tolerance = 1e-14)
  expect_equal(predict(nw$given, x), f0, tolerance = 1e-14)
  J0 <- input_jacobian(nw$builtin, x)
  # numerical phi': about 2e-11 absolute for tanh (?sample_mlp); through two
  # layers of unit-scale weights 1e-9 relative leaves a wide margin, and a
  # second-order stencil (~1e-7) would fail
  expect_lt(rel_err(input_jacobian(nw$numeric, x), J0), 1e-9)
  expect_gt(rel_err(input_jacobian(nw$numeric, x), J0), 0) # the differences are used
  # dphi given as the built-in's formula: rounding only
  expect_equal(input_jacobian(nw$given, x), J0, tolerance = 1e-13)
})

test_that("phi' by finite differences has its documented accuracy", {
  # a one-unit network f(x) = phi(x): its Jacobian is phi' itself
  x <- seq(-8, 8, length.out = 2001)
  nw <- mlp_network(mlp(1, tanh), list(matrix(1, 1, 1), matrix(1, 1, 1)), list(0, 0))
  J <- input_jacobian(nw, matrix(x))[, 1]
  # ?sample_mlp documents 2e-11 for tanh on [-8, 8]
  expect_lt(max(abs(J - tanh_d1(x))), 5e-11)
  # a function with no built-in twin against central differences of its
  # outputs (step 1e-5: error ~1e-10 + 1e-11 rounding)
  bump <- function(x) exp(-x^2 / 2) + 0.3 * x
  set.seed(2)
  nb <- sample_mlp(mlp(2, bump, sigma_b = 0.2), 16, input_dim = 2)
  x0 <- matrix(rnorm(2 * 5), 5, 2)
  fd <- sapply(1:2, function(i) {
    e <- diag(2)[i, ] * 1e-5
    (predict(nb, x0 + rep(e, each = 5)) - predict(nb, x0 - rep(e, each = 5))) / 2e-5
  })
  expect_equal(unname(input_jacobian(nb, x0)), unname(fd), tolerance = 1e-7)
})

test_that("the empirical kernels match the built-in tanh", {
  set.seed(3)
  x <- matrix(rnorm(8 * 3), 8, 3)
  x2 <- matrix(rnorm(5 * 3), 5, 3)
  nw <- user_trio()
  kern <- list(ntk = function(o) empirical_ntk(o, x, x2),
               jntk = function(o) empirical_jntk(o, x),
               nngp = function(o) empirical_nngp(o, x),
               jnngp = function(o) empirical_nngp(o, x, x2, jacobian = TRUE))
  for (k in names(kern)) {
    K0 <- kern[[k]](nw$builtin)
    # numerical phi' ~2e-11, phi'' ~1e-10 (the JNTK's gam needs phi''):
    # 1e-8 relative of the largest entry, with margin
    expect_lt(rel_err(kern[[k]](nw$numeric), K0), 1e-8)
    expect_equal(kern[[k]](nw$given), K0, tolerance = 1e-13, info = k)
  }
})

test_that("Jacobian-regularised training follows the built-in tanh's trajectory", {
  set.seed(4)
  x <- matrix(rnorm(12 * 2), 12, 2)
  y <- sin(x[, 1])
  nw <- user_trio(d = 2, width = 16)
  fits <- lapply(nw, function(o) train_mlp(o, x, y, lambda = 0.1, lr = 0.5, steps = 25,
                                           record_every = 5, x_test = x[1:3, ]))
  h0 <- fits$builtin$history$loss
  # 25 steps of a contracting iteration carry the ~1e-10 derivative error
  # without amplification (measured 6e-13); 1e-9 relative is the bound
  expect_lt(rel_err(fits$numeric$history$loss, h0), 1e-9)
  expect_lt(rel_err(fits$numeric$fitted, fits$builtin$fitted), 1e-9)
  expect_equal(fits$given$history$loss, h0, tolerance = 1e-13)
  expect_equal(fits$given$outputs, fits$builtin$outputs, tolerance = 1e-13)
  expect_equal(coef(fits$given), coef(fits$builtin), tolerance = 1e-13)
  # the loss went down (the trajectory is not a constant)
  expect_lt(h0[26], 0.8 * h0[1])
})

test_that("Monte Carlo estimates of R-function networks meet the limits", {
  # depth 1: the finite-width NNGP, Jacobian NNGP and mean empirical NTK are
  # the limits at every width (only the output layer averages), so the only
  # error is sampling: 4.5 standard errors over the entries
  x <- rbind(c(1, 0), c(0.6, 0.8), c(-0.3, 0.4))
  net <- mlp(1, function(x) sin(x) + 0.5 * x, sigma_b = 0.1)
  for (k in c("nngp", "jacobian_nngp", "ntk")) {
    set.seed(5)
    mc <- monte_carlo(net, x, width = 32, n_samples = 300, kernel = k)
    lim <- switch(k, nngp = nngp(net, x), ntk = ntk(net, x), jacobian_nngp = jacobian_nngp(net, x))
    z <- abs(mc$estimate - lim) / pmax(mc$std_error, 1e-12)
    expect_lt(max(z), 4.5, label = k)
  }
})

test_that("an activation that misbehaves in a layer gives a classed error", {
  x <- matrix(seq(-1, 1, length.out = 12), 6, 2)
  # each passes mlp()'s probe on 5 values and misbehaves on a layer
  bad <- list(
    length = function(x) if (length(x) > 5) tanh(x)[-1] else tanh(x),
    na = function(x) ifelse(abs(x) > 0.05 & length(x) > 5, NA, tanh(x)),
    character = function(x) if (length(x) > 5) as.character(x) else tanh(x),
    error = function(x) if (length(x) > 5) stop("boom") else tanh(x))
  for (b in names(bad)) {
    net <- mlp(1, bad[[b]])
    set.seed(6)
    nw <- sample_mlp(net, 8, input_dim = 2)
    expect_error(predict(nw, x), class = "jntk_error_activation", info = b)
  }
  net <- mlp(1, bad$length)
  set.seed(6)
  expect_snapshot(error = TRUE, predict(sample_mlp(net, 8, input_dim = 2), x))
  net <- mlp(1, bad$na)
  set.seed(6)
  expect_snapshot(error = TRUE, predict(sample_mlp(net, 8, input_dim = 2), x))
  net <- mlp(1, bad$character)
  set.seed(6)
  expect_snapshot(error = TRUE, predict(sample_mlp(net, 8, input_dim = 2), x))
  # a derivative that fails, in training (the error path of the step loop)
  net <- mlp(1, tanh, dphi = function(x) if (length(x) > 5) stop("no derivative here") else tanh_d1(x))
  set.seed(6)
  nw <- sample_mlp(net, 8, input_dim = 2)
  expect_snapshot(error = TRUE, train_mlp(nw, x, x[, 1], steps = 2))
  # and the network still works afterwards with a good function
  good <- sample_mlp(mlp(1, tanh), 8, input_dim = 2)
  expect_length(predict(good, x), 6)
})

test_that("threads = 2 gives the same bits with an R-function activation", {
  set.seed(7)
  x <- matrix(rnorm(40 * 2), 40, 2) # 40 inputs: two fixed input blocks
  nw <- user_trio(d = 2, width = 12)$numeric
  expect_identical(predict(nw, x, threads = 2), predict(nw, x, threads = 1))
  expect_identical(input_jacobian(nw, x, threads = 2), input_jacobian(nw, x, threads = 1))
  expect_identical(empirical_jntk(nw, x[1:34, ], threads = 2), empirical_jntk(nw, x[1:34, ], threads = 1))
  t1 <- train_mlp(nw, x, x[, 1], lambda = 0.05, lr = 0.2, steps = 5, threads = 1)
  t2 <- train_mlp(nw, x, x[, 1], lambda = 0.05, lr = 0.2, steps = 5, threads = 2)
  expect_identical(t2$history$loss, t1$history$loss)
  expect_identical(coef(t2), coef(t1))
})

test_that("training with an R-function activation is interruptible", {
  skip_on_cran()
  skip_if_no_interrupt()
  # SIGINT two seconds in, most likely while R runs the activation (a long
  # jump out of the C step loop): train_mlp() returns its fit up to the last
  # block of 10 steps with a warning, within a second (wall clock: latency is
  # what is tested, as in test-interrupts.R)
  r <- interrupt_delay(
    tryCatch(train_mlp(nw, x, y, lambda = 0.1, lr = 0.1, steps = 1e6, progress = FALSE),
             jntk_warning_interrupted = function(w) "stopped with a warning"),
    setup = {
      set.seed(8)
      x <- matrix(rnorm(100 * 5), 100, 5); y <- sin(x[, 1])
      nw <- sample_mlp(mlp(2, tanh), width = 64, input_dim = 5)
    }, timeout = 20)
  expect_identical(r$status, "finished", info = format_interrupt("train_mlp(R tanh)", r))
  expect_lt(r$delay, 1)
})
