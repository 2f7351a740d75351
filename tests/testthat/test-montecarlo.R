# Monte Carlo estimates and convergence to the limiting kernels.

mc_inputs <- function() rbind(c(1, 0), c(0.6, 0.8), c(-0.3, 0.2))

# The random streams monte_carlo(), kernel_convergence() and
# plot_kernel_circle() give their networks (?monte_carlo), written out
# independently of the package: after set.seed(seed), one draw from R's
# generator seeds L'Ecuyer-CMRG, then parallel::nextRNGStream() per network.
mc_with_streams <- function(seed, n, f) {
  set.seed(seed)
  r <- sample.int(.Machine$integer.max, 1L)
  kind <- RNGkind()[1]
  on.exit(RNGkind(kind))
  RNGkind("L'Ecuyer-CMRG")
  set.seed(r)
  s <- .Random.seed
  out <- vector("list", n)
  for (i in seq_len(n)) {
    assign(".Random.seed", s, envir = globalenv())
    out[[i]] <- f(i)
    s <- parallel::nextRNGStream(s)
  }
  out
}

test_that("monte_carlo() agrees with the analytic kernels within 4 standard errors", {
  # Each entry's z-score (estimate - limit) / std_error is approximately
  # N(0, 1) plus a finite-width bias of relative size ~1/width (here 1/256,
  # much less than the ~5-10% relative standard errors of a few hundred
  # samples); 4 standard errors over at most 81 correlated entries fails by
  # chance with probability < 1%, and the seeds are fixed.
  net <- mlp(2, "erf", sigma_b = 0.3, kappa = 0.5)
  x <- mc_inputs()
  for (kind in c("nngp", "ntk", "jacobian_nngp", "jntk")) {
    set.seed(50)
    mc <- monte_carlo(net, x, width = 256, n_samples = if (grepl("nngp", kind)) 400 else 60,
                      kernel = kind)
    lim <- nref_limit_kernel(net, x, kind)
    expect_identical(dim(mc$estimate), dim(lim))
    expect_true(all(mc$std_error > 0))
    z <- (mc$estimate - lim) / mc$std_error
    expect_lt(max(abs(z)), 4)
  }
})

test_that("monte_carlo() agrees with the plain-R reference too (gelu)", {
  net <- mlp(1, "gelu", sigma_b = 0.2)
  x <- mc_inputs()[1:2, ]
  set.seed(51)
  mc <- monte_carlo(net, x, width = 128, n_samples = 400, kernel = "jacobian_nngp")
  lim <- nref_limit_kernel(net, x, "jacobian_nngp", use_package = FALSE)
  expect_lt(max(abs(mc$estimate - lim) / mc$std_error), 4)
})

test_that("monte_carlo() is reproducible, thread-independent, keeps running estimates", {
  net <- mlp(1, "gelu")
  x <- mc_inputs()
  set.seed(52)
  a <- monte_carlo(net, x, 32, 20, "jntk", running = TRUE, threads = 1)
  set.seed(52)
  b <- monte_carlo(net, x, 32, 20, "jntk", running = TRUE, threads = 2)
  expect_identical(a, b)
  expect_identical(a$running$n[length(a$running$n)], 20L)
  expect_equal(a$running$estimate[length(a$running$n), , ], a$estimate)
  set.seed(52)
  c <- monte_carlo(net, x, 32, 20, "jntk", running = c(5, 10))
  expect_identical(c$running$n, c(5L, 10L))
  # the running estimate after 5 samples is the mean of the first 5
  m5 <- Reduce(`+`, mc_with_streams(52, 5, function(i) empirical_jntk(sample_mlp(net, 32, input_dim = 2), x))) / 5
  expect_equal(c$running$estimate[1, , ], m5, tolerance = 1e-13)
  # standard error: sd of the samples / sqrt(n), checked for the nngp kind
  set.seed(53)
  mc <- monte_carlo(net, x, 16, 10, "nngp")
  f <- do.call(rbind, mc_with_streams(53, 10, function(i) as.vector(predict(sample_mlp(net, 16, input_dim = 2), x))))
  expect_equal(mc$estimate, crossprod(f) / 10, tolerance = 1e-13)
  expect_equal(mc$std_error[1, 2], sd(f[, 1] * f[, 2]) / sqrt(10), tolerance = 1e-12)
  expect_snapshot(print(a))
})

test_that("monte_carlo() errors", {
  net <- mlp(1, "erf")
  x <- mc_inputs()
  expect_snapshot(error = TRUE, monte_carlo(net, x, 8, 10, kernel = "cntk"))
  expect_snapshot(error = TRUE, monte_carlo(net, x, 8, 1))
  expect_snapshot(error = TRUE, monte_carlo(net, x, 0, 10))
  expect_snapshot(error = TRUE, monte_carlo(net, x, 8, 10, running = 11))
  expect_snapshot(error = TRUE, monte_carlo("erf", x, 8, 10))
})

test_that("kernel_convergence() records errors, intervals and a slope", {
  net <- mlp(1, "erf", sigma_b = 0.1, kappa = 0.5)
  x <- mc_inputs()
  set.seed(54)
  cv <- kernel_convergence(net, x, widths = c(16, 64, 256, 1024), n_rep = 4, kernel = "jntk",
                           n_boot = 200)
  expect_s3_class(cv, "jntk_convergence")
  expect_identical(nrow(cv$errors), 16L)
  expect_true(all(cv$summary$lower <= cv$summary$mean & cv$summary$mean <= cv$summary$upper))
  # percentile intervals of a mean lie within the range of the repetitions
  rng <- tapply(cv$errors$error, cv$errors$width, range)
  expect_true(all(cv$summary$lower >= vapply(rng, `[`, 0, 1) & cv$summary$upper <= vapply(rng, `[`, 0, 2)))
  # the recorded error is the max-norm error / kappa^2 of the empirical JNTK
  nw <- mc_with_streams(54, 1, function(i) sample_mlp(net, 16, input_dim = 2))[[1]]
  e1 <- max(abs(empirical_jntk(nw, x) - nref_limit_kernel(net, x, "jntk"))) / 0.25
  expect_equal(cv$errors$error[1], e1, tolerance = 1e-10)
  # slope: from 4 networks per width the fit has s.e. ~0.1; the n^(-1/2) law
  # must be within 3 standard errors (generous floor 0.15)
  expect_lt(abs(cv$slope + 0.5), max(3 * cv$slope_se, 0.15))
  expect_equal(unname(coef(lm(log(error) ~ log(width), cv$errors))[2]), cv$slope)
  expect_snapshot(print(cv))
  pdf(NULL)
  on.exit(dev.off())
  expect_invisible(plot(cv))
  expect_identical(plot(cv, col = "red", add = TRUE), cv)
  # NNGP kinds: empirical (default) and Monte Carlo
  set.seed(55)
  cv2 <- kernel_convergence(net, x, widths = c(16, 256), n_rep = 2, kernel = "jacobian_nngp",
                            n_boot = 100)
  expect_true(all(is.finite(cv2$errors$error)))
  set.seed(55)
  cv3 <- kernel_convergence(net, x, widths = c(16, 64), n_rep = 2, kernel = "nngp",
                            nngp_method = "monte_carlo", n_samples = 5, n_boot = 100)
  e <- max(abs(mc_with_streams(55, 1, function(i) monte_carlo(net, x, 16, 5, "nngp")$estimate)[[1]] - nref_limit_kernel(net, x, "nngp"))) / 0.25
  expect_equal(cv3$errors$error[1], e, tolerance = 1e-10)
  expect_snapshot(print(cv3))
  png(tf <- tempfile(fileext = ".png"))
  plot(cv2)
  dev.off()
  expect_gt(file.size(tf), 0)
})

test_that("kernel_convergence() is reproducible and thread-independent", {
  net <- mlp(1, "gelu")
  x <- mc_inputs()
  set.seed(56)
  a <- kernel_convergence(net, x, widths = c(8, 32), n_rep = 2, kernel = "ntk", n_boot = 100, threads = 1)
  set.seed(56)
  b <- kernel_convergence(net, x, widths = c(8, 32), n_rep = 2, kernel = "ntk", n_boot = 100, threads = 2)
  expect_identical(a, b)
})

test_that("kernel_convergence() errors", {
  net <- mlp(1, "erf")
  x <- mc_inputs()
  expect_snapshot(error = TRUE, kernel_convergence(net, x, widths = 16))
  expect_snapshot(error = TRUE, kernel_convergence(net, x, widths = c(16, 32), n_rep = 1))
  expect_snapshot(error = TRUE, kernel_convergence(net, x, widths = c(16, 32), nngp_method = "exact"))
})

test_that("JNTK error shrinks like width^(-1/2) over widths 128..4096 (heavy)", {
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  x <- rbind(c(1, 0, 0, 0), c(0, 0.6, 0.8, 0), c(0.5, 0.5, 0.5, 0.5), c(0, 0, -0.6, 0.8))
  for (act in c("erf", "gelu")) {
    set.seed(57)
    cv <- kernel_convergence(mlp(2, act, sigma_b = 0.1, kappa = 0.1), x, widths = 2^(7:12),
                             n_rep = 6, kernel = "jntk", n_boot = 500)
    expect_lt(abs(cv$slope + 0.5), 0.15)
  }
})

test_that("the analytic kernels used above agree with the plain-R reference", {
  # cross-check of the limits the Monte Carlo tests compare against:
  # quadrature (48 nodes) + second-order finite differences (h = 1e-4) give
  # ~1e-8 absolute accuracy on these O(0.1-1) kernels
  x <- mc_inputs()
  for (act in c("erf", "gelu")) {
    net <- mlp(2, act, sigma_b = 0.3, kappa = 0.5)
    for (kind in c("nngp", "ntk", "jacobian_nngp", "jntk")) {
      expect_lt(max(abs(nref_limit_kernel(net, x, kind) - nref_limit_kernel(net, x, kind, use_package = FALSE))),
                1e-6)
    }
  }
})

# methods: plot, summary, as.data.frame ---------------------------------------

# A convergence result with given errors (no networks drawn): the methods
# are checked against numbers computed here by hand.
fake_convergence <- function(errors, widths, depth = 1L, kernel = "ntk") {
  n_rep <- length(errors) / length(widths)
  e <- data.frame(width = rep(widths, each = n_rep), rep = rep(seq_len(n_rep), length(widths)),
                  error = errors)
  s <- do.call(rbind, lapply(widths, function(w) {
    v <- e$error[e$width == w]
    data.frame(width = w, mean = mean(v), lower = min(v), upper = max(v))
  }))
  fit <- summary(lm(log(error) ~ log(width), data = e))$coefficients
  structure(list(errors = e, summary = s, slope = fit[2, 1], slope_se = fit[2, 2], intercept = fit[1, 1],
                 kernel = kernel, nngp_method = "empirical", n_samples = NULL,
                 net = mlp(depth, "erf"), n_rep = n_rep, n_inputs = 3L),
            class = "jntk_convergence")
}

test_that("summary() and as.data.frame() of a convergence study", {
  w <- c(16, 64, 256)
  err <- c(0.5, 0.7, 0.24, 0.26, 0.13, 0.12)
  cv <- fake_convergence(err, w)
  s <- summary(cv)
  expect_equal(s$table$mean, c(0.6, 0.25, 0.125))
  expect_equal(s$table$sd, c(sd(c(0.5, 0.7)), sd(c(0.24, 0.26)), sd(c(0.13, 0.12))))
  expect_equal(s$table$n_rep, c(2L, 2L, 2L))
  expect_equal(s$z, (cv$slope + 0.5) / cv$slope_se)
  expect_equal(s$slope_interval, cv$slope + c(-1, 1) * qnorm(0.975) * cv$slope_se)
  expect_snapshot(print(s))
  df <- as.data.frame(cv)
  expect_identical(names(df), c("kernel", "activation", "depth", "width", "rep", "error"))
  expect_equal(df$error, err)
  expect_identical(unique(df$depth), 1L)
  ds <- as.data.frame(cv, what = "summary")
  expect_equal(ds$mean, s$table$mean)
  # studies bind into one long data frame
  both <- rbind(df, as.data.frame(fake_convergence(err / 2, w, depth = 3L)))
  expect_identical(sort(unique(both$depth)), c(1L, 3L))
  expect_snapshot(error = TRUE, as.data.frame(cv, what = "all"))
})

test_that("plot() of convergence studies: several in one call, the slope -1/2, add = TRUE widens", {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  w <- c(16, 64, 256)
  cv1 <- fake_convergence(c(0.5, 0.7, 0.24, 0.26, 0.13, 0.12), w)
  cv2 <- fake_convergence(c(5, 7, 2.4, 2.6, 1.3, 1.2), w, depth = 3L)
  cv3 <- fake_convergence(c(0.05, 0.07, 0.024, 0.026, 0.013, 0.012), w, kernel = "jntk")
  expect_identical(jntk:::convergence_labels(list(cv1, cv2)), c("depth 1", "depth 3"))
  expect_identical(jntk:::convergence_labels(list(cv1, cv3)), c("NTK", "JNTK"))
  expect_identical(jntk:::convergence_labels(list(cv1)), "NTK, erf, depth 1")
  # the reference line has slope -1/2 on the log-log scale
  ref <- jntk:::convergence_reference(list(cv1))
  expect_equal(diff(log(ref$y)) / diff(log(ref$x)), -0.5)
  expect_invisible(plot(cv1, cv2, main = "two depths"))
  usr <- graphics::par("usr")
  expect_lte(usr[3], log10(min(cv1$errors$error)))
  expect_gte(usr[4], log10(max(cv2$errors$error)))
  # a list of results (as from lapply) in one call
  expect_invisible(do.call(plot, list(cv1, cv2, cv3)))
  # add = TRUE: the panel is redrawn with both curves, axes widened
  plot(cv1)
  expect_lt(10^graphics::par("usr")[4], 1)
  plot(cv2, add = TRUE)
  expect_gte(graphics::par("usr")[4], log10(max(cv2$summary$upper)))
  expect_identical(length(jntk:::.jntk_cache$convergence_panel$cvs), 2L)
  # in a panel that is not a convergence plot, add = TRUE draws into its axes
  plot(1:10, log = "xy")
  usr <- graphics::par("usr")
  plot(cv1, add = TRUE)
  expect_identical(graphics::par("usr"), usr)
  expect_snapshot(error = TRUE, plot(cv1, cv2, label = "one"))
  expect_snapshot(error = TRUE, plot(cv1, col = c("red", "blue")))
})

test_that("summary() of a Monte Carlo estimate counts entries within 1, 2, 3 s.e.", {
  # a hand-made estimate whose standardised differences are known
  z <- c(0.5, -0.5, 1.5, -1.5, 2.5, 3.5, 0.2, -0.2, 0.1)
  limit <- matrix(1:9, 3)
  se <- matrix(0.1, 3, 3)
  mc <- structure(list(estimate = limit + z * se, std_error = se, n_samples = 50L, kernel = "ntk",
                       width = c(8L, 8L), net = mlp(1, "erf"), running = NULL),
                  class = "jntk_monte_carlo")
  s <- summary(mc, limit = limit)
  expect_equal(s$coverage$observed, c(5, 7, 8) / 9)
  expect_equal(s$coverage$gaussian, c(0.6826895, 0.9544997, 0.9973002), tolerance = 1e-6)
  expect_equal(s$mean_z, mean(z))
  expect_equal(s$max_abs_diff, 0.35)
  expect_snapshot(print(s))
  expect_null(summary(mc)$coverage)
  expect_snapshot(error = TRUE, summary(mc, limit = diag(2)))
})

test_that("networks spread over a multisession plan give the same numbers as sequential", {
  skip_if_not_installed("future")
  skip_on_cran()
  net <- mlp(1, "erf", sigma_b = 0.1)
  x <- mc_inputs()
  set.seed(60)
  a <- monte_carlo(net, x, 16, 130, "jacobian_nngp", running = c(3, 51, 130))
  ua <- runif(1)
  set.seed(61)
  ca <- kernel_convergence(net, x, widths = c(8, 32), n_rep = 3, kernel = "ntk", n_boot = 100)
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  set.seed(60)
  b <- monte_carlo(net, x, 16, 130, "jacobian_nngp", running = c(3, 51, 130))
  ub <- runif(1)
  set.seed(61)
  cb <- kernel_convergence(net, x, widths = c(8, 32), n_rep = 3, kernel = "ntk", n_boot = 100)
  # bit-identical: the same streams and the same chunked summation order
  expect_identical(a, b)
  expect_identical(ca, cb)
  # the user's generator moved on by the same single draw
  expect_identical(ua, ub)
  # chunked Welford (chunks of 4 here) against the plain mean of the samples
  v <- mc_with_streams(60, 130, function(i) {
    fj <- jntk:::network_outputs(sample_mlp(net, 16, input_dim = 2), x, TRUE, 1L)
    tcrossprod(c(fj[, 1], t(fj[, -1, drop = FALSE])))
  })
  expect_equal(a$estimate, Reduce(`+`, v) / 130, tolerance = 1e-13)
  expect_equal(a$running$estimate[2, , ], Reduce(`+`, v[1:51]) / 51, tolerance = 1e-13)
  sdv <- apply(simplify2array(v), c(1, 2), sd) / sqrt(130)
  expect_equal(a$std_error, sdv, tolerance = 1e-10)
})

test_that("plot_kernel_circle() draws the same networks on any plan", {
  skip_if_not_installed("future")
  skip_on_cran()
  net <- mlp(2, "relu", sigma_b = 0.1)
  pdf(NULL)
  on.exit(dev.off(), add = TRUE)
  set.seed(62)
  a <- plot_kernel_circle(net, widths = c(8, 16), n_init = 2, n_points = 9)
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  set.seed(62)
  b <- plot_kernel_circle(net, widths = c(8, 16), n_init = 2, n_points = 9)
  expect_identical(a, b)
  # network 3 is the first of width 16 (widths outer, initialisations inner)
  k3 <- mc_with_streams(62, 3, function(i) sample_mlp(net, c(8, 8, 16)[i], input_dim = 2L))[[3]]
  expect_equal(a$empirical$kernel[[3]], as.vector(empirical_ntk(k3, matrix(c(1, 0), 1),
                                                                unit_circle(9, include_end = TRUE))))
})
