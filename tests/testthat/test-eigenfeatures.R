# Eigenfeatures of the kernel regressor against plain-R computations from
# the definition: eigen() of the training kernel K = Theta + rI, solve(),
# finite differences.

# The plain-R reference: kernel, targets and cross kernel of a flow's setting.
ef_reference <- function(net, x, y, lambda, ridge) {
  N <- nrow(x); d <- ncol(x)
  if (lambda > 0) {
    K <- unclass(jntk(net, x)); yt <- c(y, rep(0, N * d))
    Kx <- function(z) unclass(jntk(net, z, x))[seq_len(nrow(z)), , drop = FALSE]
  } else {
    K <- unclass(ntk(net, x)); yt <- y
    Kx <- function(z) unclass(ntk(net, z, x))
  }
  K <- K + ridge * diag(nrow(K))
  e <- eigen((K + t(K)) / 2, symmetric = TRUE)
  alpha <- solve(K, yt)
  # phi_j(z) = Theta(z, X) w_j w_j' alpha
  phi <- function(j, z) as.vector(Kx(z) %*% e$vectors[, j]) * sum(e$vectors[, j] * alpha)
  list(e = e, phi = phi, Kx = Kx, alpha = alpha)
}

test_that("eigenfeatures are the plain-R decomposition of the regressor along K's eigenvectors", {
  set.seed(6)
  x <- matrix(stats::rnorm(20), 10, 2)
  y <- ifelse(x[, 1] + x[, 2] > 0, 1, -1)
  xt <- matrix(stats::rnorm(12), 6, 2)
  yt <- ifelse(xt[, 1] + xt[, 2] > 0, 1, -1)
  net <- mlp(3, "erf", sigma_b = 0.1)
  for (lambda in c(0, 0.1)) {
    fl <- gradient_flow(net, x, y, lambda = lambda, ridge = 1e-4)
    ef <- eigenfeatures(fl, xt, yt, n_features = fl$n, eps = 0.2)
    p <- predict(fl, xt, t = Inf, jacobian = TRUE)
    # all features add up to the predictor and its Jacobian (rounding of
    # n terms of a predictor of size ~1: 1e-9)
    expect_equal(rowSums(ef$values), unname(p$mean[, 1]), tolerance = 1e-9)
    expect_equal(apply(ef$gradients, c(1, 2), sum), unname(p$jacobian[, , 1]), tolerance = 1e-8)
    expect_equal(max(abs(ef$residual)), 0, tolerance = 1e-9)
    ref <- ef_reference(net, x, y, lambda, 1e-4)
    # eigenvalues of K itself (not of Lambda^{1/2} K Lambda^{1/2})
    expect_equal(ef$features$eigenvalue, ref$e$values, tolerance = 1e-10)
    for (j in 1:3) {
      # the leading eigenvalues are well separated here, so each feature is
      # determined; K is rebuilt from the flow's eigendecomposition (eps /
      # lambda relative) and conditioned ~1e4 by the ridge: 1e-8
      expect_equal(ef$values[, j], ref$phi(j, xt), tolerance = 1e-8)
    }
    # usefulness as Tsilivis and Kempe: E[y phi_j] on the test set
    expect_equal(ef$features$usefulness[1], mean(yt * ref$phi(1, xt)), tolerance = 1e-8)
    expect_equal(ef$features$accuracy[1], mean(sign(ref$phi(1, xt)) == yt))
    # robustness: the input-gradient norm, and FGSM with the feature's own
    # gradient (central differences here, step 1e-6: error ~1e-9)
    h <- 1e-6
    gfd <- sapply(1:2, function(i) {
      E <- matrix(0, nrow(xt), 2); E[, i] <- h
      (ref$phi(1, xt + E) - ref$phi(1, xt - E)) / (2 * h)
    })
    expect_equal(ef$features$grad_norm[1], mean(sqrt(rowSums(gfd^2))), tolerance = 1e-6)
    xa <- xt - 0.2 * yt * sign(gfd)
    expect_equal(ef$features$robust_accuracy[1], mean(sign(ref$phi(1, xa)) == yt))
    expect_equal(ef$features$weight[1], sum(ref$phi(1, xt)^2) / sum(p$mean^2), tolerance = 1e-8)
  }
})

test_that("the t = Inf decomposition does not depend on lambda", {
  set.seed(8)
  x <- matrix(stats::rnorm(16), 8, 2)
  y <- ifelse(x[, 1] > 0, 1, -1)
  xt <- matrix(stats::rnorm(10), 5, 2)
  net <- mlp(2, "erf", sigma_b = 0.1)
  a <- eigenfeatures(gradient_flow(net, x, y, lambda = 0.01, ridge = 1e-4), xt, n_features = 6, eps = 0)
  b <- eigenfeatures(gradient_flow(net, x, y, lambda = 1, ridge = 1e-4), xt, n_features = 6, eps = 0)
  expect_equal(a$features$eigenvalue, b$features$eigenvalue, tolerance = 1e-10)
  # the kernel is rebuilt with error ~eps / lambda = 2e-14 relative and
  # conditioned ~1e4: 1e-8
  expect_equal(a$values, b$values, tolerance = 1e-8)
  # at a finite time lambda changes the coefficients, not the basis
  a5 <- eigenfeatures(gradient_flow(net, x, y, lambda = 0.01, ridge = 1e-4), xt, n_features = 6, t = 5, eps = 0)
  b5 <- eigenfeatures(gradient_flow(net, x, y, lambda = 1, ridge = 1e-4), xt, n_features = 6, t = 5, eps = 0)
  expect_equal(a5$features$eigenvalue, b5$features$eigenvalue, tolerance = 1e-10)
  expect_gt(max(abs(a5$values - b5$values)), 1e-3 * max(abs(b5$values)))
})

test_that("an iterative flow's eigenfeatures match the dense flow's", {
  skip_if_not_installed("RSpectra")
  set.seed(9)
  x <- matrix(stats::rnorm(24), 12, 2)
  y <- ifelse(x[, 1] - x[, 2] > 0, 1, -1)
  xt <- matrix(stats::rnorm(10), 5, 2)
  yt <- ifelse(xt[, 1] - xt[, 2] > 0, 1, -1)
  net <- mlp(2, "erf", sigma_b = 0.1)
  for (lambda in c(0, 0.1)) {
    fd <- gradient_flow(net, x, y, lambda = lambda, ridge = 1e-3, solver = "dense")
    fi <- gradient_flow(net, x, y, lambda = lambda, ridge = 1e-3, solver = "iterative")
    a <- eigenfeatures(fd, xt, yt, n_features = 4, eps = 0.1)
    b <- eigenfeatures(fi, xt, yt, n_features = 4, eps = 0.1)
    # Krylov eigenpairs and CG coefficients to tol = 1e-10, condition ~1e3
    expect_equal(b$features$eigenvalue, a$features$eigenvalue, tolerance = 1e-8)
    expect_equal(b$values, a$values, tolerance = 1e-6)
    expect_equal(b$features$usefulness, a$features$usefulness, tolerance = 1e-6)
    # the basis without RSpectra (the package's Lanczos) is the same
    e1 <- jntk:::eigenfeature_basis(fi, 4, spectra = TRUE)
    e0 <- jntk:::eigenfeature_basis(fi, 4, spectra = FALSE)
    expect_equal(e0$values, e1$values, tolerance = 1e-9)
    expect_equal(abs(colSums(e0$vectors * e1$vectors)), rep(1, 4), tolerance = 1e-7)
    # the features kept plus the residual are the predictor
    expect_equal(rowSums(b$values) + b$residual, unname(predict(fi, xt, t = Inf)$mean[, 1]),
                 tolerance = 1e-8)
  }
  expect_snapshot(error = TRUE, eigenfeatures(fi, xt, n_features = fi$n))
})

test_that("eigenfeatures without labels, multi-class, regression targets and at finite t", {
  set.seed(7)
  x <- matrix(stats::rnorm(24), 12, 2)
  lab <- factor(sample(c("a", "b", "c"), 12, TRUE))
  net <- mlp(2, "erf", sigma_b = 0.1)
  fl <- gradient_flow(net, x, lab)
  ef <- eigenfeatures(fl, x[1:4, ], n_features = 5)
  expect_true(all(is.na(ef$features$accuracy)))
  expect_true(all(is.na(ef$features$usefulness)))
  expect_equal(dim(ef$values), c(4L, 3L, 5L))
  expect_snapshot(error = TRUE, plot(ef))
  ef2 <- eigenfeatures(fl, x, lab, n_features = 12, t = 7)
  p <- predict(fl, x, t = 7)
  expect_equal(apply(ef2$values, c(1, 2), sum), p$mean[, , 1], tolerance = 1e-10, ignore_attr = TRUE)
  expect_equal(ef2$features$accuracy[1],
               mean(max.col(ef2$values[, , 1], ties.method = "first") == as.integer(lab)))
  # one-hot targets: usefulness is the mean output of the true class
  expect_equal(ef2$features$usefulness[2], mean(ef2$values[, , 2][cbind(1:12, as.integer(lab))]))
  # regression targets: usefulness only
  yr <- x[, 1]^2
  fr <- gradient_flow(net, x, yr, ridge = 1e-6)
  er <- eigenfeatures(fr, x[1:6, ], yr[1:6], n_features = 3)
  expect_equal(er$features$usefulness, colMeans(yr[1:6] * er$values))
  expect_true(all(is.na(er$features$accuracy)))
})

test_that("plot() of eigenfeatures draws usefulness against gradient norm, or accuracies", {
  set.seed(10)
  x <- matrix(stats::rnorm(20), 10, 2)
  y <- ifelse(x[, 1] > 0, 1, -1)
  ef <- eigenfeatures(gradient_flow(mlp(2, "erf", sigma_b = 0.1), x, y, lambda = 0.1, ridge = 1e-4),
                      x, y, n_features = 8)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_invisible(plot(ef))
  expect_invisible(plot(ef, which = "accuracy"))
  expect_snapshot(print(ef, n = 3))
})
