# Eigenfeatures of the kernel regressor against an eigendecomposition done
# independently with R's eigen().

test_that("eigenfeatures add up to the predictor and match an independent eigen()", {
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
    expect_equal(rowSums(ef$values), unname(p$mean[, 1]), tolerance = 1e-9)
    expect_equal(apply(ef$gradients, c(1, 2), sum), unname(p$jacobian[, , 1]), tolerance = 1e-8)
    expect_equal(max(abs(ef$residual)), 0, tolerance = 1e-9)
    expect_true(all(diff(ef$features$eigenvalue) <= 0))
    expect_equal(sum(ef$features$weight), 1, tolerance = 1e-12)
    # feature 1 from R's eigen(): phi(x) = Theta(x, X) L v v' L Y~ / D
    N <- nrow(x); d <- 2
    if (lambda > 0) {
      K <- unclass(jntk(net, x)); l <- c(rep(1, N), rep(lambda, N * d)); yt_ <- c(y, rep(0, N * d))
      Kx <- function(z) unclass(jntk(net, z, x))[seq_len(nrow(z)), ]
    } else {
      K <- unclass(ntk(net, x)); l <- rep(1, N); yt_ <- y
      Kx <- function(z) unclass(ntk(net, z, x))
    }
    S <- sqrt(l) * (K + 1e-4 * diag(nrow(K))) * rep(sqrt(l), each = nrow(K))
    e <- eigen(S, symmetric = TRUE)
    v <- sqrt(l) * e$vectors[, 1]
    phi1 <- function(z) as.vector(Kx(z) %*% v) * sum(v * yt_) / e$values[1]
    expect_equal(ef$values[, 1], phi1(xt), tolerance = 1e-8)
    expect_equal(ef$features$accuracy[1], mean(sign(phi1(xt)) == yt))
    # robustness: FGSM with the feature's own gradient (by finite differences here)
    h <- 1e-6
    gfd <- sapply(1:2, function(i) {
      E <- matrix(0, nrow(xt), 2); E[, i] <- h
      (phi1(xt + E) - phi1(xt - E)) / (2 * h)
    })
    xa <- xt - 0.2 * yt * sign(gfd)
    expect_equal(ef$features$robust_accuracy[1], mean(sign(phi1(xa)) == yt))
  }
})

test_that("eigenfeatures without labels, multi-class, and at finite t", {
  set.seed(7)
  x <- matrix(stats::rnorm(24), 12, 2)
  lab <- factor(sample(c("a", "b", "c"), 12, TRUE))
  net <- mlp(2, "erf", sigma_b = 0.1)
  fl <- gradient_flow(net, x, lab)
  ef <- eigenfeatures(fl, x[1:4, ], n_features = 5)
  expect_true(all(is.na(ef$features$accuracy)))
  expect_equal(dim(ef$values), c(4L, 3L, 5L))
  ef2 <- eigenfeatures(fl, x, lab, n_features = 12, t = 7)
  p <- predict(fl, x, t = 7)
  expect_equal(apply(ef2$values, c(1, 2), sum), p$mean[, , 1], tolerance = 1e-10, ignore_attr = TRUE)
  expect_equal(ef2$features$accuracy[1],
               mean(max.col(ef2$values[, , 1], ties.method = "first") == as.integer(lab)))
})
