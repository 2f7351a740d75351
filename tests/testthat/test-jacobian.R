test_that("Jacobian NNGP and JNTK match the shared reference values", {
  ref <- kread_reference()$kernels
  for (k in seq_len(nrow(ref))) {
    e <- ref[k, ]
    if (is.null(e$jacobian_nngp[[1]])) next
    net <- mlp(e$depth, e$activation, e$sigma_w, e$sigma_b, e$kappa)
    expect_lt(krel_err(jacobian_nngp(net, e$x1[[1]], e$x2[[1]]), e$jacobian_nngp[[1]]), 1e-10)
    expect_lt(krel_err(jntk(net, e$x1[[1]], e$x2[[1]]), e$jntk[[1]]), 1e-10)
  }
})

test_that("the f-block equals the plain kernels; ordering and dimnames", {
  set.seed(4)
  x1 <- matrix(rnorm(9), 3, dimnames = list(c("a", "b", "c"), NULL)); x2 <- matrix(rnorm(6), 2)
  for (act in ref_acts_ntk()) {
    net <- mlp(2, act, sigma_b = 0.2)
    K <- jacobian_nngp(net, x1, x2)
    expect_equal(dim(K), c(12L, 8L))
    expect_equal(unname(K[1:3, 1:2]), unname(nngp(net, x1, x2)), tolerance = 1e-13)
    if (net$smooth) {
      expect_equal(unname(jntk(net, x1, x2)[1:3, 1:2]), unname(ntk(net, x1, x2)), tolerance = 1e-13)
    }
  }
  expect_equal(rownames(K)[c(1, 4, 5, 12)], c("f(a)", "d1 f(a)", "d2 f(a)", "d3 f(c)"))
  expect_equal(colnames(K)[c(1, 3, 8)], c("f(1)", "d1 f(1)", "d3 f(2)"))
})

test_that("Jacobian kernels agree with finite differences of nngp() and ntk()", {
  set.seed(5)
  x1 <- matrix(rnorm(6), 2); x2 <- matrix(rnorm(9), 3)
  # (exp's doubly exponential kernel defeats these step sizes at sigma_w = 1.2:
  # test-activation_closed.R checks it against the reference jets)
  for (act in setdiff(ref_acts_ntk(), "exp")) {
    net <- mlp(2, act, sigma_w = 1.2, sigma_b = 0.3, kappa = 0.8)
    # central differences: first derivatives (h = 1e-5) have truncation ~1e-10
    # and rounding ~1e-11; mixed ones (h = 1e-4) truncation ~1e-8, rounding
    # eps/h^2 ~ 1e-8; so 1e-6 relative to the block's scale
    fd <- jref_fd_jacobian(function(a, b) nngp(net, a, b), x1, x2)
    expect_lt(krel_err(jacobian_nngp(net, x1, x2), fd), 1e-6, label = act)
    if (net$smooth) {
      fd <- jref_fd_jacobian(function(a, b) ntk(net, a, b), x1, x2)
      expect_lt(krel_err(jntk(net, x1, x2), fd), 1e-6, label = act)
    }
  }
})

test_that("Jacobian NNGP is the covariance of (f, grad f) of random finite networks", {
  # 2000 networks of width 256, depth 2; the same weights serve all four
  # activations. Each entry of the sample second moment is compared with the
  # limit within 4 standard errors (plus 1% of the kernel's scale for the
  # O(1/width) finite-width bias), diagonal included.
  set.seed(6)
  x <- rbind(c(1, 0.5), c(-0.3, 1.2), c(1, 0.5) * 1.0001)
  acts <- c("relu", "erf", "gelu", "tanh")
  n <- 2000
  S <- lapply(acts, function(a) matrix(0, n, 9))
  for (s in seq_len(n)) {
    o <- jref_sample_outputs(x, width = 256, depth = 2, sigma_w = 1.3, sigma_b = 0.2,
                             kappa = 1, acts = acts)
    for (k in seq_along(acts)) S[[k]][s, ] <- o[[k]]
  }
  for (k in seq_along(acts)) {
    net <- mlp(2, acts[k], sigma_w = 1.3, sigma_b = 0.2)
    K <- jacobian_nngp(net, x)
    Y <- S[[k]]
    est <- crossprod(Y) / n
    se <- sqrt(pmax(crossprod(Y^2) / n - est^2, 0) / n)
    z <- abs(est - K) / (se + 0.01 * max(abs(K)) / 4)
    expect_lt(max(z), 4, label = acts[k])
  }
})

test_that("relu: exact diagonal, continuity next to it, no NaN", {
  sw <- 1.4; sb <- 0.3; kap <- 0.5; L <- 3; d <- 3
  net <- mlp(L, "relu", sigma_w = sw, sigma_b = sb, kappa = kap)
  x <- c(0.7, -1.1, 0.4)
  K <- jacobian_nngp(net, x)
  jj <- K[-1, -1]; jf <- K[-1, 1]
  exact_jj <- kap^2 * (sw^2 / 2)^L * sw^2 / d * diag(d)
  exact_jf <- kap^2 * (sw^2 / 2)^L * sw^2 * x / d
  expect_equal(unname(jj), exact_jj, tolerance = 1e-13)
  expect_equal(unname(jf), exact_jf, tolerance = 1e-13)
  # continuity at x' = x (1 + 1e-7): the dropped 1/sqrt(1 - rho^2) term is
  # O(|x - x'|), so 1e-6 relative
  Kn <- jacobian_nngp(net, x, x * (1 + 1e-7))
  expect_false(anyNA(Kn))
  expect_equal(unname(Kn[-1, -1]), exact_jj, tolerance = 1e-6)
  expect_equal(unname(Kn[-1, 1]), exact_jf, tolerance = 1e-6)
  # and a few steps further out: finite, converging to the diagonal
  errs <- sapply(10^-(2:7), function(e) {
    max(abs(jacobian_nngp(net, x, x + e * c(0.3, 0.2, -0.5))[-1, -1] - exact_jj))
  })
  expect_true(all(is.finite(errs)))
  expect_lt(errs[6], 1e-6 * max(exact_jj))
  expect_true(all(diff(log(errs[1:4])) < 0))
  # leaky relu and abs likewise finite on and next to the diagonal
  for (act in c("leaky_relu", "abs")) {
    K2 <- jacobian_nngp(mlp(3, act, sigma_b = 0.1), rbind(x, x, x * (1 + 1e-9)))
    expect_true(all(is.finite(K2)))
  }
})

test_that("hard inputs: zero norm, d = 1, identical and collinear points, depth 100", {
  x <- rbind(c(0, 0), c(1, 2), c(1, 2), c(2, 4), -c(1, 2))
  for (act in setdiff(ref_acts_ntk(), "exp")) { # exp overflows at depth 3 (a classed error)
    for (sb in c(0, 0.2)) {
      net <- mlp(3, act, sigma_b = sb)
      K <- jacobian_nngp(net, x)
      expect_true(all(is.finite(K)), label = paste(act, sb))
      expect_equal(K, t(K), tolerance = 1e-12)
      if (net$smooth) expect_true(all(is.finite(jntk(net, x))), label = paste(act, sb))
    }
  }
  x1 <- matrix(c(-1, 0, 0.5, 2), ncol = 1)
  net <- mlp(2, "erf", sigma_b = 0.1)
  fd <- jref_fd_jacobian(function(a, b) ntk(net, a, b), x1[c(1, 3), , drop = FALSE],
                         x1[c(2, 4), , drop = FALSE])
  expect_lt(krel_err(jntk(net, x1[c(1, 3), , drop = FALSE], x1[c(2, 4), , drop = FALSE]), fd), 1e-6)
  deep <- jntk(mlp(100, "erf", sigma_w = 1.2, sigma_b = 0.1), x[2:5, ])
  expect_true(all(is.finite(deep)))
  deep <- jacobian_nngp(mlp(100, "relu", sigma_w = sqrt(2)), x[2:5, ])
  expect_true(all(is.finite(deep)))
  ev <- eigen(jacobian_nngp(mlp(2, "gelu", sigma_b = 0.1), x[2:5, ] / 3), symmetric = TRUE)$values
  expect_gte(min(ev), -1e-10 * max(ev))
})

test_that("structured and dense agree: products, blocks, diagonal, transpose", {
  set.seed(7)
  x1 <- matrix(rnorm(12), 4); x2 <- matrix(rnorm(9), 3)
  for (kind in c("jacobian_nngp", "jntk")) {
    f <- get(kind)
    net <- mlp(2, "gelu", sigma_b = 0.1, kappa = 0.5)
    S <- f(net, x1, x2, as = "structured")
    D <- f(net, x1, x2)
    expect_equal(as.matrix(S), D)
    expect_equal(dim(S), dim(D))
    v <- rnorm(ncol(D)); V <- matrix(rnorm(ncol(D) * 2), ncol = 2)
    u <- rnorm(nrow(D)); U <- matrix(rnorm(nrow(D) * 3), 3)
    tol <- 1e-12
    expect_lt(krel_err(S %*% v, D %*% v), tol)
    expect_lt(krel_err(S %*% V, D %*% V), tol)
    expect_lt(krel_err(u %*% S, u %*% D), tol)
    expect_lt(krel_err(U %*% S, U %*% D), tol)
    expect_equal(as.matrix(t(S)), t(D), ignore_attr = TRUE)
    for (b in c("ff", "fj", "jf", "jj")) expect_equal(block(S, b), block(D, b))
    expect_equal(block(S, "ff"), D[1:4, 1:3])
    Ss <- f(net, x1, as = "structured")
    Ds <- f(net, x1)
    expect_lt(krel_err(diag(Ss), diag(Ds)), tol)
    expect_equal(names(diag(Ss))[1:2], c("f(1)", "f(2)"))
    expect_lt(krel_err(Ss %*% rnorm(16) * 0 + Ss %*% diag(16)[, 3], Ds[, 3]), tol)
  }
  expect_snapshot(print(jntk(mlp(2, "erf"), x1, x2, as = "structured")))
})

test_that("threads do not change the Jacobian kernels", {
  set.seed(8)
  x <- matrix(rnorm(300), 150)   # large enough for the threaded paths
  net <- mlp(3, "tanh", sigma_b = 0.1)
  expect_equal(jntk(net, x, threads = 2L), jntk(net, x, threads = 1L), tolerance = 1e-15)
  expect_equal(jacobian_nngp(net, x[1:120, ], x, threads = 2L), jacobian_nngp(net, x[1:120, ], x),
               tolerance = 1e-15)
})

test_that("errors: kinked JNTK, sizes, arguments", {
  x <- matrix(rnorm(6), 3)
  expect_snapshot(error = TRUE, jntk(mlp(2, "relu"), x))
  expect_snapshot(error = TRUE, jntk(mlp(2, "abs"), x))
  expect_snapshot(error = TRUE, jacobian_nngp(mlp(2, "erf"), x, as = "sparse"))
  op <- options(jntk.max_memory_gb = 0.01)
  on.exit(options(op), add = TRUE)
  expect_snapshot(error = TRUE, jacobian_nngp(mlp(2, "erf"), matrix(1, 300, 20)))
  S <- jacobian_nngp(mlp(2, "erf"), matrix(1, 300, 20), as = "structured")
  expect_equal(dim(S), c(6300L, 6300L))
  expect_snapshot(error = TRUE, S %*% rnorm(5))
  expect_snapshot(error = TRUE, S %*% S)
  expect_snapshot(error = TRUE, S %*% letters)
})

test_that("block() works on dense matrices and explains bad input", {
  x <- matrix(c(1, 0, 0.5, 2), 2)
  net <- mlp(1, "erf")
  D <- jacobian_nngp(net, x)
  expect_equal(dim(block(D, "jj")), c(4L, 4L))
  expect_equal(block(unname(D), "fj", n1 = 2, n2 = 2), unname(D)[1:2, 3:6])
  expect_snapshot(error = TRUE, block(list(1), "ff"))
  expect_snapshot(error = TRUE, block(unname(D), "jj"))
  expect_snapshot(error = TRUE, block(D, "xx"))
})
