# Evidence optimisation of GP fits (R/gp_optimise.R). References: central
# differences of logLik() of refitted models (for the gradient given to
# optim), a grid search, and logLik() of the returned fits.

test_that("the evidence gradient matches differences of logLik() of refits", {
  dt <- gp_sin_data(N = 6)
  net <- mlp(2, "erf", sigma_w = 1.3, sigma_b = 0.3, kappa = 0.8)
  cases <- list(
    list(dy = NULL, par = c("sigma_w", "sigma_b", "kappa", "noise"), tied = TRUE),
    list(dy = dt$dy, par = c("sigma_w", "sigma_b", "kappa", "noise"), tied = TRUE),
    list(dy = dt$dy, par = c("sigma_w", "kappa", "noise", "dy_noise"), tied = FALSE),
    list(dy = dt$dy, par = c("sigma_b", "kappa"), tied = FALSE))
  for (cs in cases) {
    g <- if (cs$tied) gp_fit(net, dt$x, dt$y, dy = cs$dy, noise = 1e-2) else
      gp_fit(net, dt$x, dt$y, dy = cs$dy, noise = 1e-2, dy_noise = 3e-2)
    st <- jntk:::gp_evidence_setup(g, net, cs$par, threads = 1L)
    th <- jntk:::gp_theta(coef(g), st)
    e <- jntk:::gp_evidence(th, st)
    # logLik of the fit at the natural scales of log-parameters t
    ll <- function(t) {
      p <- jntk:::gp_evidence(t, st, gradient = FALSE)$par
      f <- gp_fit(mlp(2, "erf", sigma_w = p[["sigma_w"]], sigma_b = p[["sigma_b"]],
                      kappa = p[["kappa"]]), dt$x, dt$y, dy = cs$dy, noise = p[["noise"]],
                  dy_noise = if (is.null(cs$dy)) p[["noise"]] else p[["dy_noise"]])
      as.numeric(logLik(f))
    }
    expect_equal(e$value, ll(th), tolerance = 1e-12)
    # Central differences with h = 1e-4 in the log-parameter: truncation
    # h^2 |l'''| / 6 ~ 1e-8 for log-likelihoods of order 10; the kernel
    # differences inside the analytic gradient have the same order. 1e-5.
    h <- 1e-4
    fd <- vapply(seq_along(th), function(i) {
      ep <- th; ep[i] <- ep[i] + h; em <- th; em[i] <- em[i] - h
      (ll(ep) - ll(em)) / (2 * h)
    }, 0)
    expect_equal(unname(e$gradient), fd, tolerance = 1e-5)
  }
})

test_that("the maximum from several starts agrees with a grid search", {
  # noise of sd 0.1 on 15 points: the evidence identifies it (optimum about
  # 0.0075), so the maximum is interior and a grid can find it too
  dt <- gp_sin_data(N = 15, seed = 3)
  set.seed(10)
  y <- dt$y + stats::rnorm(15, sd = 0.1)
  net <- mlp(2, "relu", sigma_b = 0.1)
  g <- gp_fit(net, dt$x, y, noise = 1e-3)
  set.seed(4)
  go <- gp_optimise(g, par = c("sigma_w", "noise"), starts = 4)
  o <- go$optimisation
  expect_identical(o$agree, 4L)
  expect_identical(go$df, 2L)
  expect_identical(attr(logLik(go), "df"), 2L)
  expect_equal(as.numeric(logLik(go)), max(o$table$logLik), tolerance = 1e-10)
  # Grid over log sigma_w x log noise around the whole plausible range
  sw <- exp(seq(log(0.2), log(8), length.out = 25))
  nz <- exp(seq(log(1e-5), log(1), length.out = 25))
  L <- outer(seq_along(sw), seq_along(nz), Vectorize(function(i, j) {
    as.numeric(logLik(gp_fit(mlp(2, "relu", sigma_w = sw[i], sigma_b = 0.1), dt$x, y,
                             noise = nz[j])))
  }))
  best <- which(L == max(L), arr.ind = TRUE)[1, ]
  cf <- coef(go)
  # the optimum is at least as good as every grid point, and within one grid
  # step (a factor 1.17 in sigma_w, 1.6 in noise) of the best grid point
  expect_gte(as.numeric(logLik(go)), max(L) - 1e-8)
  expect_lt(abs(log(cf[["sigma_w"]]) - log(sw[best[1]])), log(sw[2] / sw[1]) + 1e-8)
  expect_lt(abs(log(cf[["noise"]]) - log(nz[best[2]])), log(nz[2] / nz[1]) + 1e-8)
})

test_that("starts are reproducible, given as a matrix, and bounds are honoured", {
  dt <- gp_sin_data(N = 8)
  g <- gp_fit(mlp(2, "erf"), dt$x, dt$y, noise = 1e-3)
  set.seed(7); a <- gp_optimise(g, par = c("sigma_w", "kappa"), starts = 3)
  set.seed(7); b <- gp_optimise(g, par = c("sigma_w", "kappa"), starts = 3)
  expect_identical(coef(a), coef(b))
  S <- cbind(sigma_w = c(1, 2), kappa = c(0.5, 2))
  m <- gp_optimise(g, par = c("sigma_w", "kappa"), starts = S)
  expect_equal(unname(as.matrix(m$optimisation$table[, c("start_sigma_w", "start_kappa")])),
               unname(S))
  u <- gp_optimise(g, par = c("sigma_w", "kappa"), starts = 2, upper = c(sigma_w = 0.3))
  expect_lte(coef(u)[["sigma_w"]], 0.3 * (1 + 1e-12))
  expect_true("sigma_w" %in% u$optimisation$at_bound)
  expect_output(print(u), "at a bound: sigma_w")
})

test_that("depths are compared by evidence and anova() agrees", {
  dt <- gp_sin_data(N = 8)
  g <- gp_fit(mlp(1, "erf", sigma_b = 0.1), dt$x, dt$y, noise = 1e-3)
  set.seed(1)
  gd <- gp_optimise(g, par = c("kappa", "noise"), depth = c(1, 3), starts = 2)
  cmp <- gd$comparison
  expect_identical(cmp$depth, c(1L, 3L))
  expect_identical(gd$net$depth, cmp$depth[which.max(cmp$logLik)])
  expect_equal(max(cmp$log_bayes_factor), 0)
  expect_equal(as.numeric(logLik(gd)), max(cmp$logLik), tolerance = 1e-10)
  # each row is the evidence of a refit at its scales
  for (i in 1:2) {
    f <- gp_fit(mlp(cmp$depth[i], "erf", sigma_b = 0.1, kappa = cmp$kappa[i]), dt$x, dt$y,
                noise = cmp$noise[i])
    expect_equal(as.numeric(logLik(f)), cmp$logLik[i], tolerance = 1e-10)
  }
  expect_output(print(gd), "depths compared by evidence")
  # fixed scales: par = character(0) evaluates each depth
  g0 <- gp_optimise(g, par = character(0), depth = 1:2)
  a <- anova(gp_fit(mlp(1, "erf", sigma_b = 0.1), dt$x, dt$y, noise = 1e-3),
             gp_fit(mlp(2, "erf", sigma_b = 0.1), dt$x, dt$y, noise = 1e-3))
  expect_s3_class(a, "gp_anova")
  expect_output(print(a), "Evidence of Gaussian-process fits of the same 8 observation")
  expect_output(print(a, digits = 3), "Evidence of Gaussian-process fits")
  for (bad in list(NA, -1, c(1, 2), "a", 2.5)) {
    expect_error(print(a, digits = bad), "`digits`", class = "jntk_error_argument")
  }
  expect_equal(a$logLik, g0$comparison$logLik, tolerance = 1e-12)
  expect_equal(a$log_bayes_factor, a$logLik - max(a$logLik))
  expect_snapshot(anova(g, gp_fit(mlp(1, "erf"), dt$x[-1, ], dt$y[-1])), error = TRUE)
})

test_that("optimiser arguments are checked", {
  dt <- gp_sin_data(N = 5)
  g <- gp_fit(mlp(1, "erf"), dt$x, dt$y, noise = 1e-3)
  expect_snapshot(gp_optimise(g, par = "dy_noise"), error = TRUE)
  expect_snapshot(gp_optimise(g, par = c("kappa", "depth")), error = TRUE)
  expect_snapshot(gp_optimise(g, depth = c(1, 1.5)), error = TRUE)
  expect_snapshot(gp_optimise(g, starts = 0), error = TRUE)
  expect_snapshot(gp_optimise(g, par = "kappa", starts = cbind(sigma_w = 1)), error = TRUE)
  expect_snapshot(gp_optimise(g, par = "kappa", lower = c(kappa = -1)), error = TRUE)
  expect_snapshot(gp_optimise(g, par = "kappa", lower = c(kappa = 2), upper = c(kappa = 1)),
                  error = TRUE)
  expect_snapshot(gp_optimise(list()), error = TRUE)
})
