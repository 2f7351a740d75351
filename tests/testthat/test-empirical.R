# Empirical kernels against brute force, finite differences and their limits.

test_that("the brute-force reference gradients are right (check of the helper)", {
  # nref_param_grad() against central differences of f in each parameter
  # (h = 1e-6; error ~1e-9 absolute for these O(1) quantities)
  set.seed(30)
  nw <- sample_mlp(mlp(2, "gelu", sigma_b = 0.5, kappa = 0.7), c(3, 2), input_dim = 2)
  x <- c(0.3, -1.2)
  g <- nref_param_grad(nw, x)
  pars <- c(unlist(lapply(seq_along(nw$weights), function(l) c(nw$weights[[l]], nw$biases[[l]]))))
  rebuild <- function(p) {
    out <- nw
    k <- 0
    for (l in seq_along(nw$weights)) {
      nW <- length(nw$weights[[l]]); nb <- length(nw$biases[[l]])
      out$weights[[l]][] <- p[k + seq_len(nW)]; k <- k + nW
      out$biases[[l]] <- p[k + seq_len(nb)]; k <- k + nb
    }
    out
  }
  fd <- vapply(seq_along(pars), function(k) {
    e <- replace(numeric(length(pars)), k, 1e-6)
    (nref_forward_one(rebuild(pars + e), x) - nref_forward_one(rebuild(pars - e), x)) / 2e-6
  }, numeric(1))
  expect_equal(g, fd, tolerance = 1e-8)
})

test_that("empirical_ntk() equals the Gram matrix of per-parameter gradients", {
  # same sums in a different order: agreement to 1e-10 relative
  for (cs in list(list(0, "relu"), list(1, "erf"), list(2, "gelu"), list(3, "tanh"),
                  list(2, "leaky_relu"))) {
    set.seed(31)
    nw <- sample_mlp(mlp(cs[[1]], cs[[2]], sigma_w = 1.2, sigma_b = 0.3, kappa = 0.5),
                     c(6, 5, 4)[seq_len(cs[[1]])], input_dim = 3)
    x1 <- matrix(rnorm(12), 4, 3)
    x2 <- matrix(rnorm(6), 2, 3)
    expect_equal(empirical_ntk(nw, x1), nref_empirical_ntk(nw, x1), tolerance = 1e-10)
    expect_equal(empirical_ntk(nw, x1, x2), nref_empirical_ntk(nw, x1, x2), tolerance = 1e-10)
  }
})

test_that("empirical_jntk() is the Gram matrix of gradients of f and of J", {
  # brute force: parameter gradients of the Jacobian entries by central
  # differences in x (h = 1e-5) of analytic parameter gradients; error ~1e-10
  for (act in c("erf", "gelu", "tanh", "softplus")) {
    set.seed(32)
    nw <- sample_mlp(mlp(2, act, sigma_b = 0.3, kappa = 0.7), c(5, 4), input_dim = 3)
    x1 <- matrix(rnorm(9), 3, 3)
    x2 <- matrix(rnorm(6), 2, 3)
    G1 <- nref_jacobian_grad_matrix(nw, x1)
    G2 <- nref_jacobian_grad_matrix(nw, x2)
    K <- empirical_jntk(nw, x1, x2)
    expect_identical(dim(K), c(12L, 8L))
    expect_equal(K, tcrossprod(G1, G2), tolerance = 1e-8)
    expect_equal(empirical_jntk(nw, x1), tcrossprod(G1), tolerance = 1e-8)
  }
})

test_that("empirical_jntk() is the mixed input derivative of empirical_ntk()", {
  # second-order central differences with h = 1e-4: truncation ~h^2 = 1e-8,
  # rounding ~1e-16/h^2 = 1e-8 relative to the kernel's scale
  for (cs in list(list(1, "erf"), list(3, "gelu"), list(2, "sin"))) {
    set.seed(33)
    nw <- sample_mlp(mlp(cs[[1]], cs[[2]], sigma_b = 0.2), 6, input_dim = 2)
    x1 <- matrix(rnorm(6), 3, 2)
    x2 <- matrix(rnorm(4), 2, 2)
    K <- empirical_jntk(nw, x1, x2)
    fd <- nref_jacobian_kernel(function(a, b) empirical_ntk(nw, a, b), x1, x2)
    expect_lt(max(abs(K - fd)), 1e-6 * max(abs(K)))
    expect_equal(K[1:3, 1:2], empirical_ntk(nw, x1, x2), tolerance = 1e-13)
  }
})

test_that("kinked activations use phi'' = 0 (what autodiff gives)", {
  # away from kinks the empirical NTK of relu is smooth in x, so the mixed
  # derivative by finite differences agrees; the relu JNTK has no phi'' term
  set.seed(34)
  nw <- sample_mlp(mlp(2, "relu", sigma_b = 0.2), 8, input_dim = 2)
  x1 <- matrix(rnorm(4), 2, 2)
  K <- empirical_jntk(nw, x1)
  # (h = 1e-4: the kernel is a low-degree polynomial between kinks, so only
  # rounding, ~1e-16/h^2, remains; with 8 units per layer no kink lies within h)
  fd <- nref_jacobian_kernel(function(a, b) empirical_ntk(nw, a, b), x1, x1, h = 1e-4)
  expect_lt(max(abs(K - fd)), 1e-6 * max(abs(K)))
  expect_equal(K, tcrossprod(nref_jacobian_grad_matrix(nw, x1)), tolerance = 1e-8)
})

test_that("empirical_nngp() is the output-layer term: covariance given the hidden layers", {
  set.seed(35)
  net <- mlp(2, "gelu", sigma_b = 0.4, kappa = 0.6)
  nw <- sample_mlp(net, c(5, 7), input_dim = 3)
  x1 <- matrix(rnorm(9), 3, 3)
  x2 <- matrix(rnorm(6), 2, 3)
  # the last 7 + 1 parameters are the output layer's
  P <- length(nref_param_grad(nw, x1[1, ]))
  last <- (P - 7):P
  G1 <- nref_grad_matrix(nw, x1)[, last]
  G2 <- nref_grad_matrix(nw, x2)[, last]
  expect_equal(empirical_nngp(nw, x1, x2), tcrossprod(G1, G2), tolerance = 1e-10)
  J1 <- nref_jacobian_grad_matrix(nw, x1)[, last]
  J2 <- nref_jacobian_grad_matrix(nw, x2)[, last]
  expect_equal(empirical_nngp(nw, x1, x2, jacobian = TRUE), tcrossprod(J1, J2), tolerance = 1e-8)
})

test_that("symmetry, positive semi-definiteness, threads, edge cases", {
  set.seed(36)
  nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), 200, input_dim = 3)
  x <- rbind(matrix(rnorm(30), 10, 3), 0, 0) # zero-norm and duplicated inputs
  K <- empirical_jntk(nw, x)
  expect_true(isSymmetric(K, tol = 0))
  ev <- eigen(K, symmetric = TRUE, only.values = TRUE)$values
  expect_gt(min(ev), -1e-10 * max(ev))
  expect_equal(K[1:12, 1:12], empirical_ntk(nw, x), tolerance = 1e-13)
  expect_false(anyNA(K))
  expect_identical(empirical_jntk(nw, x, threads = 1), empirical_jntk(nw, x, threads = 2))
  expect_identical(empirical_ntk(nw, x, x[1:3, ], threads = 1), empirical_ntk(nw, x, x[1:3, ], threads = 2))
  # zero input with sigma_b = 0: every pre-activation is exactly 0 and
  # relu'(0) = 0 (the a.e. convention, as in autodiff), so f(0) and J(0) have
  # zero parameter gradients: their rows vanish; the other input is unaffected
  nwr <- sample_mlp(mlp(2, "relu", sigma_b = 0), 6, input_dim = 3)
  xz <- rbind(0, c(1, 2, 3))
  Kz <- empirical_jntk(nwr, xz)
  expect_false(anyNA(Kz))
  expect_true(all(Kz[c(1, 3:5), ] == 0))
  expect_equal(Kz[c(2, 6:8), c(2, 6:8)], empirical_jntk(nwr, xz[2, , drop = FALSE]), tolerance = 1e-14)
  # d = 1, one input
  nw1 <- sample_mlp(mlp(1, "gelu"), 5, input_dim = 1)
  expect_equal(empirical_jntk(nw1, 0.7), tcrossprod(nref_jacobian_grad_matrix(nw1, matrix(0.7))),
               tolerance = 1e-8)
})

test_that("empirical kernel errors are clear", {
  set.seed(37)
  nw <- sample_mlp(mlp(1, "erf"), 4, input_dim = 3)
  expect_snapshot(error = TRUE, empirical_ntk(nw, matrix(1, 2, 2)))
  expect_snapshot(error = TRUE, empirical_jntk(nw, matrix(1, 2, 3), matrix(1, 2, 4)))
  expect_snapshot(error = TRUE, empirical_ntk(mlp(1), matrix(1, 2, 3)))
  expect_snapshot(error = TRUE, empirical_nngp(nw, matrix(1, 2, 3), jacobian = NA))
  withr_opt <- options(jntk.max_memory_gb = 1e-6)
  on.exit(options(withr_opt))
  expect_snapshot(error = TRUE, empirical_jntk(nw, matrix(1, 20, 3)))
})

# Law of large numbers: the mean of empirical JNTKs over independent networks
# estimates E[JNTK] = limit + O(1/width). Light version: 200 networks of width
# 128 (relative standard error of the mean ~1-2%). The Frobenius error of the
# mean, whose root-mean-square under the null is sqrt(sum of squared
# elementwise standard errors) = `se`, must be below 3 se (observed ratios
# 0.6-1.5 over seeds) plus a bias allowance of 1/width relative (the O(1/n)
# finite-width bias).
lln_check <- function(act, width, n_net, seed) {
  set.seed(seed)
  net <- mlp(2, act, sigma_b = 0.2, kappa = 0.5)
  x <- rbind(c(1, 0, 0), c(0.6, 0.8, 0), c(0, 0.6, -0.8), c(0.5, -0.5, 0.5))
  lim <- nref_limit_kernel(net, x, "jntk")
  ks <- lapply(seq_len(n_net), function(i) empirical_jntk(sample_mlp(net, width, input_dim = 3), x))
  m <- Reduce(`+`, ks) / n_net
  se <- sqrt(Reduce(`+`, lapply(ks, function(k) (k - m)^2)) / (n_net - 1) / n_net)
  list(err = norm(m - lim, "F"), se = sqrt(sum(se^2)), scale = norm(lim, "F"))
}

test_that("mean of empirical JNTKs converges to jntk() (light)", {
  for (act in c("erf", "gelu")) {
    r <- lln_check(act, width = 128, n_net = 200, seed = 40)
    expect_lt(r$err, 3 * r$se + r$scale / 128)
  }
})

test_that("mean of 20 empirical JNTKs of width 2048 is within 5% of jntk() (heavy)", {
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  for (act in c("erf", "gelu")) {
    r <- lln_check(act, width = 2048, n_net = 20, seed = 41)
    expect_lt(r$err / r$scale, 0.05)
  }
})

test_that("standard parametrisation: the empirical kernels are the Gram matrices of its gradients", {
  for (sb in c(0, 0.3)) {
    set.seed(50)
    net <- mlp(2, "gelu", sigma_w = 1.2, sigma_b = sb, kappa = 0.5)
    net$parametrisation <- "standard"
    nw <- sample_mlp(net, c(5, 4), input_dim = 3)
    x1 <- matrix(rnorm(9), 3, 3)
    x2 <- matrix(rnorm(6), 2, 3)
    # brute force over the actual parameters (helper-network.R): same sums,
    # another order (1e-10); parameter gradients of J by differences (1e-8)
    expect_equal(empirical_ntk(nw, x1, x2), nref_empirical_ntk(nw, x1, x2), tolerance = 1e-10)
    expect_equal(empirical_jntk(nw, x1, x2),
                 tcrossprod(nref_jacobian_grad_matrix(nw, x1), nref_jacobian_grad_matrix(nw, x2)),
                 tolerance = 1e-8)
    # the empirical NNGP is the covariance over the output layer given the
    # hidden layers, kappa^2 (sigma_w^2 z.z'/n_L + sigma_b^2): the same
    # number as for the NTK-parametrised network with the same draws
    ntk_net <- net
    ntk_net$parametrisation <- NULL
    set.seed(50)
    nw0 <- sample_mlp(ntk_net, c(5, 4), input_dim = 3)
    expect_equal(empirical_nngp(nw, x1, x2), empirical_nngp(nw0, x1, x2), tolerance = 1e-13)
    expect_equal(empirical_nngp(nw, x1, x2, jacobian = TRUE),
                 empirical_nngp(nw0, x1, x2, jacobian = TRUE), tolerance = 1e-12)
  }
})

# Monte Carlo over wide standard-parametrised networks against the limits of
# neural-tangents' standard Dense (helper-network.R, nref_kernel_standard):
# the NNGP is the NTK-parametrised one, the NTK grows with the widths.
# Tolerance: 3 standard errors of the mean (Frobenius) plus the O(1/width)
# finite-width bias, as lln_check() above.
mc_standard <- function(kind, width, n_net, seed) {
  set.seed(seed)
  net <- mlp(2, "erf", sigma_w = 1.1, sigma_b = 0.2, kappa = 0.5)
  net$parametrisation <- "standard"
  x <- rbind(c(1, 0, 0), c(0.6, 0.8, 0), c(0, 0.6, -0.8), c(0.5, -0.5, 0.5))
  widths <- c(width, width)
  lim <- switch(kind,
    nngp = nngp(net, x),
    jacobian_nngp = jacobian_nngp(net, x, as = "matrix"),
    ntk = nref_kernel_standard(net, x, x, widths, "ntk"),
    jntk = nref_jacobian_kernel(function(a, b) nref_kernel_standard(net, a, b, widths, "ntk"), x))
  one <- function(nw) switch(kind,
    nngp = tcrossprod(predict(nw, x)),
    jacobian_nngp = {
      fj <- cbind(predict(nw, x), input_jacobian(nw, x))
      tcrossprod(c(fj[, 1], t(fj[, -1])))
    },
    ntk = empirical_ntk(nw, x),
    jntk = empirical_jntk(nw, x))
  ks <- lapply(seq_len(n_net), function(i) one(sample_mlp(net, widths, input_dim = 3)))
  m <- Reduce(`+`, ks) / n_net
  se <- sqrt(Reduce(`+`, lapply(ks, function(k) (k - m)^2)) / (n_net - 1) / n_net)
  list(err = norm(m - lim, "F"), se = sqrt(sum(se^2)), scale = norm(lim, "F"))
}

test_that("standard parametrisation: Monte Carlo means converge to the limits (light)", {
  for (kind in c("nngp", "ntk", "jacobian_nngp", "jntk")) {
    r <- mc_standard(kind, width = 128, n_net = if (kind %in% c("nngp", "jacobian_nngp")) 2000 else 100,
                     seed = 51)
    expect_lt(r$err, 3 * r$se + r$scale / 128)
  }
  # and the standard NTK is not the NTK-parametrised one: it is ~width times larger
  net <- mlp(2, "erf", sigma_w = 1.1, sigma_b = 0.2, kappa = 0.5)
  x <- rbind(c(1, 0, 0), c(0.6, 0.8, 0))
  std <- net
  std$parametrisation <- "standard"
  expect_gt(min(nref_kernel_standard(std, x, x, c(128, 128)) / ntk(net, x)), 20)
})

test_that("threads: 1, 2 and 3 give identical bits for every kind", {
  set.seed(52)
  nw <- sample_mlp(mlp(2, "tanh", sigma_b = 0.2), c(40, 30), input_dim = 3)
  x <- matrix(rnorm(3 * 70), 70, 3) # several fixed blocks of inputs and columns
  x2 <- x[1:50, ]
  for (f in list(function(...) empirical_ntk(nw, ...), function(...) empirical_jntk(nw, ...),
                 function(...) empirical_nngp(nw, ...),
                 function(...) empirical_nngp(nw, ..., jacobian = TRUE))) {
    k1 <- f(x, threads = 1)
    k12 <- f(x, x2, threads = 1)
    for (th in 2:3) {
      expect_identical(f(x, threads = th), k1)
      expect_identical(f(x, x2, threads = th), k12)
    }
    expect_true(isSymmetric(k1, tol = 0))
  }
})

test_that("the BLAS floor routine computes the same kernel", {
  set.seed(53)
  nw <- sample_mlp(mlp(2, "erf"), 16, input_dim = 2)
  x <- matrix(rnorm(10), 5, 2)
  a <- jntk:::network_arch(nw$net, nw$widths)
  K <- .Call(jntk:::C_empirical_blas_floor, list(nw$weights, nw$biases), a$par, a$ipar, x, NULL,
             3L, 2L)
  expect_equal(K, empirical_jntk(nw, x), tolerance = 1e-14)
})

test_that("direct .Call of the empirical kernel with garbage is an R error", {
  cs <- nref_call_setup(54)
  a <- cs$a; p <- cs$p; x <- cs$x
  call <- function(...) .Call(jntk:::C_empirical_kernel, ...)
  expect_equal(dim(call(p, a$par, a$ipar, x, NULL, 3L, 1L)), c(6L, 6L))
  expect_error(call(p, a$par, a$ipar, x, NULL, 7L, 1L))
  expect_error(call(p, a$par, a$ipar, x, NULL, NA_integer_, 1L))
  expect_error(call(p, a$par, a$ipar, x, matrix(1, 2, 3), 1L, 1L))
  expect_error(call(p, a$par, a$ipar, x, matrix(1, 0, 2), 1L, 1L))
  expect_error(call(p, a$par, a$ipar, matrix(1, 0, 2), NULL, 1L, 1L))
  expect_error(call(p, a$par, a$ipar, "x", NULL, 1L, 1L))
  expect_error(call(p, a$par, a$ipar, x, NULL, 1L, "2"))
  expect_error(call(1, a$par, a$ipar, x, NULL, 1L, 1L))
})
