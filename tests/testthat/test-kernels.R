test_that("NNGP and NTK match the shared reference values", {
  ref <- kread_reference()$kernels
  for (k in seq_len(nrow(ref))) {
    e <- ref[k, ]
    net <- mlp(e$depth, e$activation, e$sigma_w, e$sigma_b, e$kappa)
    # the reference values were computed independently from the formulas;
    # closed forms should agree to rounding
    expect_lt(krel_err(nngp(net, e$x1[[1]], e$x2[[1]]), e$nngp[[1]]), 1e-10)
    expect_lt(krel_err(ntk(net, e$x1[[1]], e$x2[[1]]), e$ntk[[1]]), 1e-10)
  }
})

test_that("Jacot et al. sanity values of math.md are reproduced", {
  net <- mlp(3, "relu", sigma_w = 1, sigma_b = 0.1)
  g <- c(0, 0.5, 1, 1.5, 2, 2.5, pi)
  x <- cbind(cos(g), sin(g))
  expect_equal(round(c(ntk(net, c(1, 0), x)), 4),
               c(0.2825, 0.2109, 0.1431, 0.0973, 0.0733, 0.0647, 0.0644))
  expect_equal(round(c(nngp(net, c(1, 0), x)), 4),
               c(0.0813, 0.0756, 0.0655, 0.0567, 0.0513, 0.0488, 0.0481))
})

test_that("dual functions agree with numerical integration", {
  # (identical inputs, c^2 = ab, are checked against exact values elsewhere;
  # nested integrate() is unreliable when the conditional variance is tiny)
  abc <- rbind(c(1, 1, 0.3), c(0.5, 2, -0.7), c(1.3, 0.8, 0.9), c(3, 0.4, 1.0))
  # closed forms, and the Hermite series of the other activations (200 terms);
  # exp's integrand overflows integrate() (test-activation_closed.R checks it)
  for (act in setdiff(activations()$name, "exp")) {
    net <- mlp(1, act)
    kp <- jntk:::kernel_par(net)
    C <- .Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, abc)
    f <- kref_phi[[act]]
    for (i in seq_len(nrow(abc))) {
      a <- abc[i, 1]; b <- abc[i, 2]; c <- abc[i, 3]
      # stats::integrate with rel.tol 1e-11..1e-12: agreement to 1e-8 (the
      # series is accurate to ~1e-10 at these variances, closed forms to rounding)
      g <- kref_expect_integrate(f[[1]], f[[1]], a, b, c)
      gd <- kref_expect_integrate(f[[2]], f[[2]], a, b, c)
      expect_equal(C[i, 1], g, tolerance = 1e-8, info = paste(act, i))
      expect_equal(C[i, 2], gd, tolerance = 1e-8, info = paste(act, i))
    }
  }
})

test_that("kernels match a plain R recursion (closed forms to 1e-10)", {
  set.seed(1)
  x1 <- matrix(rnorm(8), 4); x2 <- matrix(rnorm(6), 3)
  for (act in c("relu", "abs", "erf", "sin", "cos", "identity")) {
    net <- mlp(3, act, sigma_w = 1.3, sigma_b = 0.2, kappa = 0.7)
    r <- kref_kernels(3, 1.3, 0.2, 0.7, x1, x2, function(a, b, c) kref_dual_closed(act, a, b, c))
    both <- kernels(net, x1, x2)
    expect_lt(krel_err(both$nngp, r$nngp), 1e-10)
    expect_lt(krel_err(both$ntk, r$ntk), 1e-10)
  }
  # smooth activations without closed form (and gelu): against 2-D 150-node
  # Gauss-Hermite in R, itself accurate only to ~1e-7 for tanh-like steps at
  # these variances (<= 3; the package's series is accurate to ~1e-10 there,
  # as the integrate() test above shows), hence 2e-6.
  for (act in c("gelu", "tanh", "softplus", "sigmoid", "silu")) {
    net <- mlp(2, act, sigma_w = 1.2, sigma_b = 0.1)
    r <- kref_kernels(2, 1.2, 0.1, 1, x1, x2, function(a, b, c) kref_dual_gh(act, a, b, c, n = 150))
    both <- kernels(net, x1, x2)
    expect_lt(krel_err(both$nngp, r$nngp), 2e-6)
    expect_lt(krel_err(both$ntk, r$ntk), 2e-6)
  }
})

test_that("symmetry, positive semi-definiteness, x2 = NULL, threads", {
  set.seed(2)
  x <- matrix(rnorm(60), 20)
  for (act in c("relu", "erf", "tanh", "gelu")) {
    net <- mlp(3, act, sigma_b = 0.1)
    K <- ntk(net, x)
    expect_equal(K, t(K))
    expect_equal(K, ntk(net, x, x), tolerance = 1e-14)
    ev <- eigen(K, symmetric = TRUE, only.values = TRUE)$values
    expect_gte(min(ev), -1e-10 * max(ev))
    ev <- eigen(nngp(net, x), symmetric = TRUE, only.values = TRUE)$values
    expect_gte(min(ev), -1e-10 * max(ev))
  }
  # threads engage above ~2^17 pair-layers per thread (smaller problems stay
  # on one thread), so these sizes run the parallel Gram, series tables and
  # pair loops
  xb <- matrix(rnorm(900), 300)
  for (act in c("relu", "tanh", "gelu")) {
    net <- mlp(3, act, sigma_b = 0.1)
    expect_equal(kernels(net, xb, threads = 2L), kernels(net, xb, threads = 1L), tolerance = 1e-14)
    expect_equal(nngp(net, xb[1:250, ], xb, threads = 2L), nngp(net, xb[1:250, ], xb),
                 tolerance = 1e-14)
  }
})

test_that("depth 0 is the affine kernel and kappa scales by kappa^2", {
  set.seed(3)
  x1 <- matrix(rnorm(12), 4); x2 <- matrix(rnorm(9), 3)
  net0 <- mlp(0, "relu", sigma_w = 1.5, sigma_b = 0.3)
  aff <- 1.5^2 * x1 %*% t(x2) / 3 + 0.3^2
  expect_equal(nngp(net0, x1, x2), aff, tolerance = 1e-14)
  expect_equal(ntk(net0, x1, x2), aff, tolerance = 1e-14)
  n1 <- mlp(2, "erf", kappa = 1); n2 <- mlp(2, "erf", kappa = 0.1)
  expect_equal(ntk(n2, x1, x2), 0.01 * ntk(n1, x1, x2), tolerance = 1e-14)
  expect_equal(nngp(n2, x1, x2), 0.01 * nngp(n1, x1, x2), tolerance = 1e-14)
})

test_that("numerically sound on hard inputs: no NaN, exact where known", {
  x <- rbind(c(0, 0, 0), c(1, 2, 3), c(1, 2, 3), -c(1, 2, 3), 1e-8 * c(1, -1, 2), 1e8 * c(3, 1, 1))
  # (sign, step: NNGP only; exp overflows at 1e8: test-activation_closed.R)
  for (act in setdiff(ref_acts_ntk(), "exp")) {
    for (sb in c(0, 0.1)) {
      net <- mlp(3, act, sigma_b = sb)
      if (act %in% c("sin", "cos") ) x_use <- x[-6, ] else x_use <- x
      b <- kernels(net, x_use)
      expect_false(anyNA(b$nngp), label = paste(act, sb))
      expect_false(anyNA(b$ntk), label = paste(act, sb))
      expect_true(all(is.finite(b$nngp)) && all(is.finite(b$ntk)), label = paste(act, sb))
    }
  }
  # identical inputs: rho = 1 exactly, equal rows
  net <- mlp(3, "relu", sigma_b = 0.1)
  K <- ntk(net, x)
  expect_equal(K[2, ], K[3, ])
  # relu diagonal: Sigma(x, x) = (sigma_w^2/2)^L sigma_w^2 |x|^2/d + bias terms;
  # with sigma_b = 0: exact (1/2)^L |x|^2/d
  net0 <- mlp(3, "relu", sigma_b = 0)
  expect_equal(nngp(net0, x[2, ])[1, 1], 0.5^3 * 14 / 3, tolerance = 1e-15)
  # zero-norm input with sigma_b = 0: the kernel is 0 against everything
  expect_equal(c(nngp(net0, x[1, ], x)), rep(0, 6))
  # depth 100 stays finite and symmetric
  deep <- kernels(mlp(100, "erf", sigma_w = 1.5, sigma_b = 0.1), x[2:6, ])
  expect_true(all(is.finite(deep$ntk)))
  expect_equal(deep$ntk, t(deep$ntk))
  deep <- kernels(mlp(100, "relu", sigma_w = sqrt(2)), x[2:6, ])
  expect_true(all(is.finite(deep$ntk)) && all(is.finite(deep$nngp)))
})

test_that("inputs: vectors, data frames, dimnames", {
  net <- mlp(2, "erf")
  x <- matrix(1:6 / 3, 3, dimnames = list(c("a", "b", "c"), NULL))
  K <- nngp(net, x, x[1:2, ])
  expect_equal(dimnames(K), list(c("a", "b", "c"), c("a", "b")))
  expect_equal(nngp(net, as.data.frame(x)), nngp(net, x), ignore_attr = TRUE)
  expect_equal(c(nngp(net, x[1, ], x)), c(nngp(net, x)[1, ]), ignore_attr = TRUE)
  expect_equal(dim(ntk(net, c(1, 2), c(3, 4))), c(1L, 1L))
})

test_that("bad inputs get errors that name the argument", {
  net <- mlp(2, "relu")
  x <- matrix(rnorm(6), 3)
  expect_snapshot(error = TRUE, nngp(net, replace(x, 2, NA)))
  expect_snapshot(error = TRUE, nngp(net, replace(x, 4, Inf)))
  expect_snapshot(error = TRUE, nngp(net, x, replace(x, 1, NaN)))
  expect_snapshot(error = TRUE, ntk(net, letters[1:3]))
  expect_snapshot(error = TRUE, ntk(net, list(1, 2)))
  expect_snapshot(error = TRUE, ntk(net, x, matrix(1, 2, 3)))
  expect_snapshot(error = TRUE, ntk(mlp(2, input_dim = 3), x))
  expect_snapshot(error = TRUE, ntk(net, data.frame(a = 1:2, b = c("u", "v"))))
  expect_snapshot(error = TRUE, ntk(list(depth = 2), x))
  expect_snapshot(error = TRUE, ntk(net, x, threads = 0))
  expect_snapshot(error = TRUE, ntk(net, matrix(numeric(0), 0, 2)))
  op <- options(jntk.max_memory_gb = 0.001)
  on.exit(options(op), add = TRUE)
  expect_snapshot(error = TRUE, ntk(net, matrix(1, 20000, 2)))
})

test_that("long kernel computations can be interrupted", {
  # R_CheckUserInterrupt() runs between blocks of columns; an elapsed-time
  # limit is delivered through the same mechanism as Ctrl-C
  set.seed(9)
  x <- matrix(rnorm(5000 * 4), 5000)
  on.exit(setTimeLimit(), add = TRUE)
  setTimeLimit(elapsed = 0.3, transient = TRUE)
  expect_error(ntk(mlp(3, "tanh"), x), "time limit")
  setTimeLimit()
  setTimeLimit(elapsed = 0.3, transient = TRUE)
  expect_error(jntk(mlp(3, "erf"), x, as = "structured"), "time limit")
})
