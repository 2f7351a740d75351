# Robustness analyses: attacks checked against closed forms for linear
# models, consistency across model types, and eigenfeatures against an
# eigendecomposition done independently with R's eigen().

lin_data <- function(seed = 1, m = 40) {
  set.seed(seed)
  x <- matrix(stats::rnorm(m * 3), m, 3)
  w <- c(1, -2, 0.5)
  list(x = x, w = w, f = function(x) as.vector(x %*% w),
       g = function(x) matrix(w, nrow(x), 3, byrow = TRUE))
}

test_that("FGSM and PGD on a linear classifier reach the exact l-inf worst case", {
  dt <- lin_data()
  y <- ifelse(dt$x[, 1] - dt$x[, 3] > 0, 1, -1)       # not the model's own sign
  eps <- c(0, 0.1, 0.3)
  margin <- y * dt$f(dt$x)
  # worst case over the l-inf ball: the margin drops by eps * ||w||_1
  exact <- vapply(eps, function(e) mean(margin - e * sum(abs(dt$w)) > 0), 0)
  for (attack in c("fgsm", "pgd")) {
    rb <- robustness(dt$f, dt$x, y, eps = eps, attack = attack, gradient = dt$g)
    expect_equal(rb$accuracy, exact)
    expect_equal(rb$grad_norm, rep(sqrt(sum(dt$w^2)), 3))
  }
  # gradient given as an attribute of the value
  fa <- function(x) structure(dt$f(x), gradient = dt$g(x))
  expect_equal(robustness(fa, dt$x, y, eps = eps)$accuracy, exact)
})

test_that("Gaussian noise follows set.seed() and the formula", {
  dt <- lin_data()
  y <- ifelse(dt$f(dt$x) > 0, 1, -1)
  set.seed(3)
  rb <- robustness(dt$f, dt$x, y, eps = c(0.2, 0.5), attack = "gaussian", gradient = dt$g)
  set.seed(3)
  z1 <- matrix(stats::rnorm(length(dt$x)), nrow(dt$x)); z2 <- matrix(stats::rnorm(length(dt$x)), nrow(dt$x))
  expect_equal(rb$accuracy, c(mean(sign(dt$f(dt$x + 0.2 * z1)) == y),
                              mean(sign(dt$f(dt$x + 0.5 * z2)) == y)))
})

test_that("regression targets: FGSM gives the exact mean squared error", {
  dt <- lin_data()
  set.seed(2)
  y <- dt$f(dt$x) + stats::rnorm(nrow(dt$x), sd = 0.3)
  rb <- robustness(dt$f, dt$x, y, eps = c(0, 0.1), gradient = dt$g)
  r <- abs(dt$f(dt$x) - y)
  expect_equal(names(rb)[2], "mse")
  expect_equal(rb$mse, c(mean(r^2), mean((r + 0.1 * sum(abs(dt$w)))^2)))
})

test_that("multi-class margin attack on a linear model matches the worst case", {
  set.seed(4)
  x <- matrix(stats::rnorm(60), 30, 2)
  W <- rbind(c(1, 0, -1), c(0, 1, -1))
  f <- function(x) x %*% W
  g <- function(x) array(rep(W, each = nrow(x)), c(nrow(x), 2, 3))
  lab <- factor(c("a", "b", "c")[max.col(f(x) + matrix(stats::rnorm(90, sd = 0.5), 30))],
                levels = c("a", "b", "c"))
  rb <- robustness(f, x, lab, eps = c(0, 0.2), attack = "fgsm", gradient = g)
  v <- f(x)
  expect_equal(rb$accuracy[1], mean(max.col(v) == as.integer(lab)))
  # FGSM against the runner-up class c*: x' = x + eps sign(w_c* - w_y)
  code <- as.integer(lab)
  xa <- x
  for (a in seq_len(nrow(x))) {
    vv <- v[a, ]; vv[code[a]] <- -Inf
    cs <- which.max(vv)
    xa[a, ] <- x[a, ] + 0.2 * sign(W[, cs] - W[, code[a]])
  }
  expect_equal(rb$accuracy[2], mean(max.col(f(xa)) == code))
})

test_that("gradient_flow, mlp_network and mlp_fit models agree with their predictions", {
  set.seed(5)
  x <- matrix(stats::rnorm(24), 12, 2)
  y <- ifelse(x[, 1] > 0, 1, -1)
  net <- mlp(2, "erf", sigma_b = 0.1)
  fl <- gradient_flow(net, x, y, lambda = 0.05)
  rb <- robustness(fl, x, y, eps = c(0, 0.2), attack = "fgsm", t = 20, features = FALSE)
  p <- predict(fl, x, t = 20, jacobian = TRUE)
  expect_equal(rb$accuracy[1], mean(sign(p$mean[, 1]) == y))
  expect_equal(rb$grad_norm[1], mean(sqrt(rowSums(p$jacobian[, , 1]^2))))
  # the same attack through a plain function with the same gradient
  f <- function(z) predict(fl, z, t = 20)$mean[, 1]
  g <- function(z) predict(fl, z, t = 20, jacobian = TRUE)$jacobian[, , 1]
  expect_equal(unclass(robustness(f, x, y, eps = c(0, 0.2), gradient = g))[1:3],
               unclass(rb)[1:3])
  nw <- sample_mlp(net, width = 64, input_dim = 2)
  rn <- robustness(nw, x, y, eps = c(0, 0.1, 0.2), attack = "pgd", steps = 5)
  fn <- function(z) stats::predict(nw, z)
  gn <- function(z) input_jacobian(nw, z)
  expect_equal(unclass(rn)[1:3],
               unclass(robustness(fn, x, y, eps = c(0, 0.1, 0.2), attack = "pgd", steps = 5,
                                  gradient = gn))[1:3])
  expect_equal(rn$accuracy[1], mean(sign(stats::predict(nw, x)) == y))
  fit <- train_mlp(nw, x, y, steps = 5, progress = FALSE)
  rf <- robustness(fit, x, factor(y), eps = c(0, 0.1))
  expect_equal(rf$accuracy[1], mean(sign(stats::predict(fit$network, x)) == y))
})

test_that("robustness and eigenfeatures errors are classed and helpful", {
  dt <- lin_data()
  y <- ifelse(dt$f(dt$x) > 0, 1, -1)
  expect_snapshot(robustness(dt$f, dt$x, y), error = TRUE)
  expect_snapshot(robustness(dt$f, dt$x, y[-1], gradient = dt$g), error = TRUE)
  expect_snapshot(robustness(dt$f, dt$x, y, eps = -0.1, gradient = dt$g), error = TRUE)
  expect_snapshot(robustness("model", dt$x, y), error = TRUE)
  expect_snapshot(robustness(dt$f, dt$x, factor(rep(c("a", "b", "c"), length.out = 40)),
                             gradient = dt$g), error = TRUE)
  expect_snapshot(robustness(dt$f, dt$x, y, gradient = function(x) 1), error = TRUE)
  expect_snapshot(eigenfeatures(dt$f, dt$x), error = TRUE)
  # `gradient` and `features` are checked whatever the model
  expect_snapshot(robustness(dt$f, dt$x, y, gradient = "g"), error = TRUE)
  expect_snapshot(robustness(dt$f, dt$x, y, gradient = dt$g, features = "yes"), error = TRUE)
  x <- rbind(c(1, 0), c(1, 0), c(0, 1))
  fl <- gradient_flow(mlp(2, "erf"), x, c(1, -1, 1))
  expect_error(eigenfeatures(fl, x), class = "jntk_error_singular")
  expect_error(robustness(fl, x, c(1, -1, 1)), class = "jntk_error_singular")
})

test_that("print and plot methods", {
  set.seed(8)
  x <- matrix(stats::rnorm(20), 10, 2)
  y <- ifelse(x[, 1] > 0, 1, -1)
  fl <- gradient_flow(mlp(2, "erf", sigma_b = 0.1), x, y, lambda = 0.1, ridge = 1e-6)
  xt <- matrix(stats::rnorm(20), 10, 2)
  # ratio of eigenvalues ~2e-7: one conditioning warning, not one per attack step
  expect_warning(rb <- robustness(fl, xt, ifelse(xt[, 1] > 0, 1, -1), eps = c(0, 0.1), attack = "fgsm"),
                 class = "jntk_warning_conditioning")
  expect_s3_class(attr(rb, "features"), "jntk_eigenfeatures")
  expect_snapshot(print(rb))
  expect_snapshot(print(attr(rb, "features"), n = 3))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_invisible(plot(rb))
  expect_invisible(plot(attr(rb, "features")))
  rr <- robustness(function(z) z[, 1], x, x[, 2], eps = c(0, 0.1),
                   gradient = function(z) cbind(1, 0 * z[, 2]))
  expect_invisible(plot(rr))
  expect_invisible(plot(rr, xlim = c(0, 0.2), ylim = c(0, 2)))
  expect_snapshot(plot(rr, xlim = "a"), error = TRUE)
  expect_snapshot(plot(rr, ylim = c(1, NA)), error = TRUE)
  expect_snapshot(print(attr(rb, "features"), n = -1), error = TRUE)
  expect_snapshot(print(attr(rb, "features"), n = "3"), error = TRUE)
})

test_that("summary() and as.data.frame() of robustness results", {
  # a linear classifier f(x) = x1: FGSM moves every point by eps towards the
  # boundary, so the accuracy at eps is the share of |x1| > eps
  x <- cbind(c(-0.9, -0.5, -0.15, 0.05, 0.25, 0.45, 0.7, 0.95), 0)
  y <- sign(x[, 1])
  rb <- robustness(function(z) z[, 1], x, y, eps = c(0, 0.1, 0.3, 0.6),
                   gradient = function(z) cbind(1, 0 * z[, 2]))
  acc <- vapply(c(0, 0.1, 0.3, 0.6), function(e) mean(abs(x[, 1]) > e), 0)
  expect_equal(rb$accuracy, acc)
  s <- summary(rb)
  expect_equal(s$change, acc[4] - acc[1])
  expect_equal(s$eps_drop, 0.1)              # 7/8 < 1 - 0.1
  expect_equal(s$grad_ratio, 1)              # the gradient of a linear model is constant
  expect_true(is.na(s$feature_correlation))
  expect_snapshot(print(s))
  df <- as.data.frame(rb)
  expect_identical(names(df), c("attack", "model", "eps", "measure", "value"))
  expect_identical(nrow(df), 8L)
  expect_equal(df$value[df$measure == "accuracy"], acc)
  expect_equal(df$value[df$measure == "grad_norm"], rep(1, 4))
  # regression targets: the mean squared error, no accuracy drop
  rr <- robustness(function(z) z[, 1], x, x[, 1] + 0.1, eps = c(0, 0.2),
                   gradient = function(z) cbind(1, 0 * z[, 2]))
  sr <- summary(rr)
  expect_identical(sr$metric, "mse")
  expect_true(is.na(sr$eps_drop))
  expect_identical(unique(as.data.frame(rr)$measure), c("mse", "grad_norm"))
})

test_that("robustness() of an iterative flow matches the dense flow; one conditioning warning", {
  set.seed(9)
  x <- matrix(stats::rnorm(24), 12, 2)
  y <- ifelse(x[, 1] > 0, 1, -1)
  net <- mlp(2, "erf", sigma_b = 0.1)
  fd <- gradient_flow(net, x, y, lambda = 0.05, ridge = 1e-3, solver = "dense")
  fi <- gradient_flow(net, x, y, lambda = 0.05, ridge = 1e-3, solver = "iterative")
  for (tt in c(20, Inf)) {
    a <- robustness(fd, x, y, eps = c(0, 0.1, 0.2), t = tt, features = FALSE)
    b <- robustness(fi, x, y, eps = c(0, 0.1, 0.2), t = tt)
    expect_equal(a$accuracy, b$accuracy)
    # both solve to ~1e-10 relative; the attack signs agree, the norms to rounding
    expect_equal(a$grad_norm, b$grad_norm, tolerance = 1e-7)
  }
  expect_null(attr(b, "features"))
  if (requireNamespace("RSpectra", quietly = TRUE)) {
    # asked for, an iterative flow's eigenfeatures come from Krylov eigenpairs
    ef_i <- attr(robustness(fi, x, y, eps = c(0, 0.1), features = TRUE), "features")
    ef_d <- attr(robustness(fd, x, y, eps = c(0, 0.1), features = TRUE), "features")
    expect_equal(ef_i$features$eigenvalue, ef_d$features$eigenvalue[seq_len(nrow(ef_i$features))],
                 tolerance = 1e-8)
  }
  # a near-singular ridge: the t = Inf predictor is warned about exactly once
  fs <- gradient_flow(net, x, y, lambda = 0.05, ridge = 1e-12, solver = "dense")
  skip_if(is.na(jntk:::flow_condition_ratio(fs)) || jntk:::flow_condition_ratio(fs) >= 1e-6,
          "this kernel is well conditioned")
  n <- 0
  withCallingHandlers(robustness(fs, x, y, eps = c(0, 0.1), features = FALSE),
                      jntk_warning_conditioning = function(w) {
                        n <<- n + 1
                        invokeRestart("muffleWarning")
                      })
  expect_identical(n, 1)
})
