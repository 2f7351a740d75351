# Ctrl-C returns within a second from every long computation (issue 17):
# each case runs in a child R process that is sent SIGINT two seconds into the
# call (helper-interrupt.R); the child must catch the interrupt (status
# "interrupted", not "finished" at the end) less than 1 s after it was sent.
# The sizes make every case run for over 10 s uninterrupted on the
# 2-core development machine, so the signal lands mid-computation.
#
# This file measures wall-clock time on purpose: latency is the property under
# test. The bound (1 s) is about ten times the work between two interrupt
# checks (~0.05-0.1 s of one core), which leaves room for a loaded machine.
#
# The second part checks that the computations cut into pieces for the
# interrupt checks give the same numbers as computed another way.

# SIGINT two seconds into `expr` (after `setup`) must be caught within `bound` s.
# soft = TRUE: the call catches the interrupt itself and returns what it has
# with a warning (train_mlp()), so the child sees the call finish, promptly.
expect_interruptible <- function(name, expr, setup = NULL, bound = 1, soft = FALSE) {
  r <- interrupt_delay(substitute(expr), substitute(setup), timeout = 20, quoted = TRUE)
  line <- format_interrupt(name, r)
  cat("\n", line, sep = "")
  expect_identical(r$status, if (soft) "finished" else "interrupted", info = line)
  expect_lt(r$delay, bound)
}

interrupt_cases <- function() {
  skip_on_cran()
  skip_if_no_interrupt()
}

test_that("the dense dynamics are interruptible: eigendecomposition", {
  interrupt_cases()
  expect_interruptible("min_eigenvalue, NTK 3000 x 3000", min_eigenvalue(mlp(2, "erf"), x),
                       setup = { set.seed(1); x <- matrix(rnorm(3000 * 3), 3000, 3) })
  expect_interruptible("gradient_flow, N = 2200", gradient_flow(mlp(2, "erf"), x, y),
                       setup = { set.seed(2); x <- matrix(rnorm(2200 * 3), 2200, 3); y <- x[, 1] })
})

test_that("the dense dynamics are interruptible: mean and covariance over many times", {
  interrupt_cases()
  expect_interruptible("predict(cov = TRUE), 400 x 400, 400 times",
                       predict(fl, xt, t = seq(0.1, 100, length.out = 400), cov = TRUE),
                       setup = {
                         set.seed(3)
                         x <- matrix(rnorm(400 * 3), 400, 3)
                         fl <- gradient_flow(mlp(2, "erf"), x, x[, 1])
                         xt <- matrix(rnorm(400 * 3), 400, 3)
                       })
})

# The cases of issue 17. Their loops are in src/kernels*.c, src/training.c,
# src/network.c and R/training.R, R/montecarlo.R: they stay here, failing, until
# those files check often enough.
test_that("the kernels are interruptible (issue 17 cases)", {
  interrupt_cases()
  expect_interruptible("nngp(mlp(100, 'tanh')), 1500 x 10", nngp(mlp(100, "tanh"), X),
                       setup = { set.seed(4); X <- matrix(rnorm(1500 * 10), 1500, 10) })
  # issue 17 has depth 1e8 on 1500 points, which now needs 1.2 TB (depth x n
  # doubles) and fails at once; 1e5 layers on 500 points (125000 pairs, fewer
  # than the 2^20 between two checks of the pair loop) keeps what it tests: a
  # deep network on few points
  expect_interruptible("nngp(mlp(1e5, 'relu')), 500 x 10", nngp(mlp(1e5, "relu"), X),
                       setup = { set.seed(5); X <- matrix(rnorm(500 * 10), 500, 10) })
  expect_interruptible("min_eigenvalue, JNTK 3000 x 3000",
                       min_eigenvalue(mlp(2, "erf"), x, kernel = "jntk"),
                       setup = { set.seed(6); x <- matrix(rnorm(600 * 4), 600, 4) })
})

test_that("training and Monte Carlo are interruptible (issue 17 cases)", {
  interrupt_cases()
  expect_interruptible("train_mlp(), width 256, 1e6 steps",
                       tryCatch(train_mlp(nw, x, y, lr = 0.1, steps = 1e6, progress = FALSE),
                                jntk_warning_interrupted = function(w) "stopped with a warning"),
                       soft = TRUE,
                       setup = {
                         set.seed(7)
                         x <- matrix(rnorm(200 * 10), 200, 10); y <- sin(x[, 1])
                         nw <- sample_mlp(mlp(2, "tanh"), width = 256, input_dim = 10)
                       })
  expect_interruptible("monte_carlo(), 1e6 samples",
                       monte_carlo(mlp(2, "erf"), x, width = 256, n_samples = 1e6),
                       setup = { set.seed(8); x <- matrix(rnorm(30), 10, 3) })
})

# ------------------------------------ the pieces compute the same numbers

test_that("the eigendecomposition in pieces agrees with eigen()", {
  set.seed(9)
  for (n in c(1L, 2L, 31L, 33L, 400L)) {
    A <- crossprod(matrix(rnorm(n * n), n)) / n
    e <- .Call(jntk:::C_dynamics_eigen, A, 1L)
    v <- .Call(jntk:::C_dynamics_eigen, A, 0L)$values
    ref <- rev(eigen(A, symmetric = TRUE, only.values = TRUE)$values)
    # backward stable: errors of a few n eps |A| (|A| ~ 4 here)
    tol <- 20 * n * .Machine$double.eps * max(abs(ref))
    expect_lt(max(abs(e$values - ref)), tol)
    expect_lt(max(abs(v - ref)), tol)
    expect_lt(max(abs(crossprod(e$vectors) - diag(n))), 20 * n * .Machine$double.eps)
    expect_lt(max(abs(e$vectors %*% (e$values * t(e$vectors)) - A)), tol)
  }
  # scaled into range and back, as dsyevr does (entries near 1e-160, 1e150)
  A <- crossprod(matrix(rnorm(100), 10))
  for (s in c(1e-160, 1e150)) {
    ref <- rev(eigen(A, symmetric = TRUE, only.values = TRUE)$values) * s
    expect_equal(.Call(jntk:::C_dynamics_eigen, A * s, 1L)$values, ref, tolerance = 1e-12)
  }
})

test_that("the assembly in pieces agrees with a plain-R reference, for any thread count", {
  set.seed(10)
  ref <- function(G, P, H, C, M, Sxx) {
    m <- nrow(G); T <- ncol(H)
    mean <- array(0, c(m, ncol(P), T)); cov <- array(0, c(m, m, T))
    for (j in seq_len(T)) {
      Q <- sweep(G, 2, H[, j], "*")
      mean[, , j] <- Q %*% P
      cov[, , j] <- Sxx - Q %*% t(C) - C %*% t(Q) + Q %*% M %*% t(Q)
    }
    list(mean = mean, cov = cov)
  }
  # sizes: cheap times (whole), one time over the piece budget (pieces of rows
  # and of the inner dimension), and empty dimensions
  for (sz in list(c(5, 4, 2, 3), c(400, 400, 2, 2), c(0, 3, 1, 2), c(3, 0, 2, 2), c(4, 3, 0, 2))) {
    m <- sz[1]; n <- sz[2]; k <- sz[3]; T <- sz[4]
    G <- matrix(rnorm(m * n), m, n); P <- matrix(rnorm(n * k), n, k)
    H <- matrix(runif(n * T), n, T); C <- matrix(rnorm(m * n), m, n)
    M <- crossprod(matrix(rnorm(n * n), n, n)); S <- crossprod(matrix(rnorm(m * m), m, m))
    r <- ref(G, P, H, C, M, S)
    a1 <- .Call(jntk:::C_dynamics_assemble, G, P, H, C, M, S, 1L)
    # rounding of sums of n products of entries ~ n: 1e-13 relative
    expect_equal(a1$mean, r$mean, tolerance = 1e-12)
    expect_equal(a1$cov, r$cov, tolerance = 1e-12)
    expect_true(all(apply(a1$cov, 3, isSymmetric.matrix, tol = 0)))
    for (th in 2:3) {
      expect_identical(.Call(jntk:::C_dynamics_assemble, G, P, H, C, M, S, th), a1)
    }
    b <- .Call(jntk:::C_dynamics_assemble, G, P, H, NULL, NULL, NULL, 2L)
    expect_equal(b$mean, r$mean, tolerance = 1e-12)
  }
})

test_that("the filters in blocks agree with their formulas", {
  set.seed(11)
  D <- c(0, 1e-300, runif(998, 0, 10))
  t <- seq(0, 50, length.out = 3000) # 3e6 values: two blocks
  h <- .Call(jntk:::C_dynamics_filters, D, t, 7, 0, 2L)
  ref <- outer(D, t, function(d, t) ifelse(d == 0, t / 7, -expm1(-d * t / 7) / d))
  expect_equal(h, ref, tolerance = 1e-14)
  expect_identical(.Call(jntk:::C_dynamics_filters, D, t, 7, 0, 1L), h)
})
