# Smallest eigenvalues and spectra of kernel Gram matrices (R/spectrum.R),
# against eigen() on the dense kernels.

grDevices::pdf(NULL)
spectrum_device <- grDevices::dev.cur()

test_that("min_eigenvalue agrees with eigen() and tabulates depths", {
  dt <- flow_data(); net <- erf_net(2)
  expect_equal(min_eigenvalue(net, dt$x),
               min(eigen(ntk(net, dt$x), symmetric = TRUE, only.values = TRUE)$values),
               tolerance = 1e-10)
  expect_equal(min_eigenvalue(net, dt$x, kernel = "jntk"),
               min(eigen(jntk(net, dt$x), symmetric = TRUE, only.values = TRUE)$values),
               tolerance = 1e-8)
  tab <- min_eigenvalue(net, dt$x, kernel = c("ntk", "jntk"), depth = 1:3)
  expect_s3_class(tab, "data.frame")
  expect_equal(nrow(tab), 6L)
  expect_equal(tab$depth, rep(1:3, each = 2))
  expect_true(all(tab$min_eigenvalue <= tab$max_eigenvalue))
  # JNTK (d + 1 times larger) is never better conditioned than its NTK block
  # (Cauchy interlacing: the NTK is a principal submatrix of the JNTK)
  expect_true(all(tab$min_eigenvalue[tab$kernel == "jntk"] <=
                    tab$min_eigenvalue[tab$kernel == "ntk"] + 1e-12))
  expect_snapshot(min_eigenvalue(net, dt$x, kernel = "nngp"), error = TRUE)
})

test_that("min_eigenvalue() refuses a Gram matrix of `x` that does not fit, before computing a kernel", {
  net <- erf_net(2)
  x <- sphere_points(50, 3)
  # under a 1 kB budget: dense 4 n^2, iterative NTK 2 N^2, iterative JNTK 8 N^2 doubles
  old <- options(jntk.max_memory_gb = 1e-6)
  on.exit(options(old), add = TRUE)
  for (m in c("dense", "iterative")) for (kn in c("ntk", "jntk")) {
    err <- tryCatch(min_eigenvalue(net, x, kernel = kn, method = m), error = identity)
    expect_s3_class(err, "jntk_error_size")
    expect_match(conditionMessage(err), "points of `x`", fixed = TRUE)
    n <- if (kn == "ntk") 50 else 200
    doubles <- if (m == "dense") 4 * n^2 else if (kn == "ntk") 2 * 50^2 else 8 * 50^2
    expect_match(conditionMessage(err), sprintf("would need %.3g GB", doubles * 8 / 1e9), fixed = TRUE)
  }
  expect_snapshot(error = TRUE, min_eigenvalue(net, x, kernel = "jntk"))
})

test_that("min_eigenvalue() certifies an interval by Weyl with the kernel's error bound", {
  dt <- flow_data(); net <- erf_net(2)
  tab <- min_eigenvalue(net, dt$x, kernel = c("ntk", "jntk"), depth = 1:2)
  n <- ifelse(tab$kernel == "ntk", 4, 12)
  eb <- mapply(function(L, kn) {
    nl <- net; nl$depth <- L
    jntk:::kernel_error_bound(nl, dt$x, kind = kn)
  }, tab$depth, tab$kernel)
  expect_equal(tab$entry_error, eb)
  expect_equal(tab$kernel_error, n * eb)
  expect_equal(tab$solver_error, tab$tolerance + tab$residual)
  expect_equal(tab$upper - tab$min_eigenvalue, tab$kernel_error + tab$solver_error)
  expect_equal(tab$min_eigenvalue - tab$lower, tab$kernel_error + tab$solver_error)
  # erf on four distinct points: definite far above the bound
  expect_identical(tab$status, rep("positive", 4))
  # the old columns keep their names and order (scripts read them by name)
  expect_identical(names(tab)[1:8], c("depth", "kernel", "activation", "min_eigenvalue",
                                      "max_eigenvalue", "tolerance", "method", "residual"))
})

test_that("the certified interval holds a loose series kernel's exact smallest eigenvalue", {
  # tanh at quadrature_tol = 1e-5: entry errors up to ~1e-6, so the interval
  # is wide; the reference is the same matrix at the tightest tolerance
  # (1e-12, error ~1e-13), whose eigenvalue must lie inside.
  x <- rbind(c(1, 0.2), c(0.6, 0.8), c(-0.8, 0.6), c(0.3, -1), c(-0.5, -0.5))
  loose <- mlp(2, "tanh", sigma_w = 1.5, sigma_b = 0.2, quadrature_tol = 1e-5)
  tight <- mlp(2, "tanh", sigma_w = 1.5, sigma_b = 0.2, quadrature_tol = 1e-12)
  a <- min_eigenvalue(loose, x, kernel = c("ntk", "jntk"), depth = 1:3)
  for (i in seq_len(nrow(a))) {
    tl <- tight; tl$depth <- a$depth[i]
    K <- if (a$kernel[i] == "ntk") ntk(tl, x) else jntk(tl, x)
    ref <- min(eigen(unclass(K), symmetric = TRUE, only.values = TRUE)$values)
    expect_gte(ref, a$lower[i])
    expect_lte(ref, a$upper[i])
  }
  # the depth study keeps the net's tolerance (it was reset to the default)
  expect_equal(a$min_eigenvalue[a$depth == 2 & a$kernel == "ntk"], min_eigenvalue(loose, x))
  expect_gt(min(a$entry_error), 1e3 * min_eigenvalue(mlp(2, "tanh"), x, kernel = "ntk", depth = 2)$entry_error)
})

test_that("a singular kernel is not resolvable, and the status follows the interval", {
  # a repeated input makes the NTK and the JNTK exactly singular: the
  # interval must contain 0
  x <- rbind(c(1, 0), c(0.6, 0.8), c(1, 0))
  tab <- min_eigenvalue(mlp(2, "erf", sigma_b = 0.1), x, kernel = c("ntk", "jntk"), depth = 2)
  expect_identical(tab$status, rep("not resolvable", 2))
  expect_true(all(tab$lower <= 0 & tab$upper >= 0))
  st <- jntk:::spectrum_status(c(1e-9, -1, -1e-9), c(2e-9, 1, -1e-10))
  expect_identical(st, c("positive", "not resolvable", "negative"))
})

test_that("plot_spectrum() returns the eigenvalues in decreasing order", {
  set.seed(1)
  A <- crossprod(matrix(rnorm(50), 10, 5))   # rank 5: five (numerically) zero eigenvalues
  B <- diag(c(3, 1, 2))
  ev <- plot_spectrum(list(A = A, B = B, v = c(0.5, 2, 1)))
  expect_named(ev, c("A", "B", "v"))
  expect_equal(ev$A, eigen(A, symmetric = TRUE)$values)
  expect_equal(ev$B, c(3, 2, 1))
  expect_equal(ev$v, c(2, 1, 0.5))
  expect_false(is.unsorted(rev(ev$A)))
  # rounding decides the sign of the five zero eigenvalues; at most five are <= 0
  expect_lte(attr(ev, "n_nonpositive")[["A"]], 5L)
  expect_equal(unname(attr(ev, "n_nonpositive")[c("B", "v")]), c(0L, 0L))
})

test_that("plot_spectrum() accepts one matrix, normalises, and truncates", {
  K <- diag(c(4, 3, 2, 1))
  ev <- plot_spectrum(K, normalise = TRUE, n_max = 2, log = "xy")
  # the returned values are not normalised
  expect_equal(ev$spectrum, c(4, 3, 2, 1))
  expect_equal(names(ev), "spectrum")
})

test_that("plot_spectrum() works on a kernel matrix from the package", {
  x <- unit_circle(20)
  ev <- plot_spectrum(list(d1 = ntk(mlp(1, "relu", sigma_b = 0.1), x),
                           d3 = ntk(mlp(3, "relu", sigma_b = 0.1), x)), normalise = TRUE)
  expect_length(ev$d1, 20L)
  # the NTK of relu with bias is positive definite on distinct circle points
  expect_true(all(ev$d3 > 0))
})

test_that("plot_spectrum() refuses what it cannot draw", {
  expect_snapshot(error = TRUE, plot_spectrum(matrix(1:6, 2, 3)))
  expect_snapshot(error = TRUE, plot_spectrum(matrix(c(1, 2, 0, 1), 2)))
  expect_snapshot(error = TRUE, plot_spectrum(list(a = c(1, NA))))
  expect_snapshot(error = TRUE, plot_spectrum(c(0, -1)))
  expect_snapshot(error = TRUE, plot_spectrum(diag(2), log = "x"))
  expect_snapshot(error = TRUE, plot_spectrum(list()))
  expect_snapshot(error = TRUE, plot_spectrum(array(c(3, 2, 1), c(1, 3, 1))))
  expect_snapshot(error = TRUE, plot_spectrum(list(a = c(1, 0.5), b = matrix(0, 0, 0))))
  expect_snapshot(error = TRUE, plot_spectrum(list(a = c(-1, 0), b = -2)))
  expect_snapshot(error = TRUE, plot_spectrum(c(3, 2, 1), legend = "middle"))
  expect_snapshot(error = TRUE, plot_spectrum(c(3, 2, 1), n_max = 0))
})

test_that("plot_spectrum() refuses an uninterruptible eigendecomposition by its time, before copying", {
  old <- options(jntk.max_dense_eigen_minutes = 1e-9)
  on.exit(options(old), add = TRUE)
  K <- ntk(mlp(1, "relu", sigma_b = 0.1), unit_circle(40))
  expect_snapshot(error = TRUE, plot_spectrum(list(ntk = K)))
  # a vector of eigenvalues needs no decomposition
  expect_length(plot_spectrum(list(ntk = seq(1, 0.1, length.out = 40)))$ntk, 40L)
})

# plot_min_eigenvalue() --------------------------------------------------------

test_that("plot_min_eigenvalue() groups by kernel and activation and floors non-positive values", {
  df <- data.frame(depth = rep(1:3, 4),
                   kernel = rep(c("JNTK", "NTK"), each = 6),
                   activation = rep(rep(c("erf", "gelu"), each = 3), 2),
                   min_eigenvalue = c(1e-9, 1e-6, 1e-4, -1e-12, 1e-8, 1e-5,
                                      0.1, 0.2, 0.3, 0.05, 0.1, 0.2))
  out <- plot_min_eigenvalue(df)
  expect_equal(unique(out$group), c("JNTK, erf", "JNTK, gelu", "NTK, erf", "NTK, gelu"))
  # default floor: 1e-3 times the smallest positive value
  expect_equal(out$shown[4], 1e-12)
  expect_equal(out$shown[-4], df$min_eigenvalue[-4])
  out2 <- plot_min_eigenvalue(df, floor = 1e-7, legend = NULL)
  expect_equal(out2$shown[c(1, 4)], c(1e-7, 1e-7))
  expect_equal(out$zero, df$min_eigenvalue <= 1e-12)
  # a tolerance column marks values that are zero to rounding
  df$tolerance <- 1e-7
  out_t <- plot_min_eigenvalue(df)
  expect_equal(out_t$zero, df$min_eigenvalue <= 1e-7)
  expect_equal(out_t$shown, out$shown)
  # a value column named lambda_min, no groups
  out3 <- plot_min_eigenvalue(data.frame(depth = 1:3, lambda_min = c(3, 2, 1)))
  expect_equal(unique(out3$group), "smallest eigenvalue")
})

test_that("plot_min_eigenvalue() draws the data frames of min_eigenvalue()", {
  x <- sphere_points(8, 3)
  ev <- rbind(min_eigenvalue(mlp(1, "erf"), x, kernel = c("ntk", "jntk"), depth = 1:2),
              min_eigenvalue(mlp(1, "gelu"), x, kernel = c("ntk", "jntk"), depth = 1:2))
  out <- plot_min_eigenvalue(ev)
  expect_equal(nrow(out), 8L)
  expect_setequal(unique(out$group), c("NTK, erf", "JNTK, erf", "NTK, gelu", "JNTK, gelu"))
  expect_identical(out$status, ev$status)
  expect_equal(out$zero, ev$status != "positive")
})

test_that("plot_min_eigenvalue() draws certified intervals and every status", {
  df <- data.frame(depth = c(1, 2, 3, 1, 2, 3), kernel = rep(c("jntk", "ntk"), each = 3),
                   min_eigenvalue = c(1e-8, 1e-14, -1e-12, 1e-3, 2e-3, 3e-3))
  df$lower <- df$min_eigenvalue - c(1e-9, 1e-13, 1e-13, 1e-6, 1e-6, 1e-6)
  df$upper <- df$min_eigenvalue + c(1e-9, 1e-13, 5e-13, 1e-6, 1e-6, 1e-6)
  out <- plot_min_eigenvalue(df)
  expect_identical(out$status, c("positive", "not resolvable", "negative", rep("positive", 3)))
  expect_equal(out$zero, c(FALSE, TRUE, TRUE, FALSE, FALSE, FALSE))
  # floor: 1e-3 x the smallest positive value or interval end (1e-8 - 1e-9)
  expect_equal(out$shown[3], 9e-12)
  # a given status column wins (e.g. computed with a different bound)
  df$status <- "not resolvable"
  expect_identical(plot_min_eigenvalue(df, legend = NULL)$status, df$status)
  bad <- df; bad$lower[1] <- 1
  expect_snapshot(error = TRUE, plot_min_eigenvalue(bad))
})

test_that("plot_min_eigenvalue() explains malformed input", {
  expect_snapshot(error = TRUE, plot_min_eigenvalue(1:3))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(data.frame(depth = 1:2, eig = 1:2)))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(data.frame(depth = 1:2, min_eigenvalue = c(1, NA))))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(data.frame(depth = 1:2, min_eigenvalue = 1:2),
                                                    floor = -1))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(data.frame(depth = 1:2, min_eigenvalue = c(1, Inf))))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(data.frame(depth = c("1", "2"), min_eigenvalue = 1:2)))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(data.frame(depth = 1:2, min_eigenvalue = 1:2,
                                                               tolerance = c(0.1, NA))))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(data.frame(depth = 1:2, min_eigenvalue = 1:2), legend = 1))
  cert <- data.frame(depth = 1:2, min_eigenvalue = c(1, 2), lower = c(0.5, 1.5), upper = c(1.5, Inf))
  expect_snapshot(error = TRUE, plot_min_eigenvalue(cert))
  cert$upper[2] <- 2.5
  cert$status <- c("positive", "fine")
  expect_snapshot(error = TRUE, plot_min_eigenvalue(cert))
  # a factor status (rbind() of older data frames) is read as its labels
  cert$status <- factor(c("positive", "not resolvable"))
  expect_identical(plot_min_eigenvalue(cert, legend = NULL)$status, c("positive", "not resolvable"))
})

# plot_kernel_circle() ---------------------------------------------------------

grDevices::dev.off(spectrum_device)
