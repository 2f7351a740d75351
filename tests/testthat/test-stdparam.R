# The standard parametrisation of mlp() (neural-tangents'
# Dense(parameterization = "standard")): arguments, the analytic NNGP, NTK,
# Jacobian NNGP and JNTK against plain-R references (helper-stdparam.R),
# wide finite networks by Monte Carlo, and what is built on the kernels.

std_x <- function() rbind(c(1, 0, 0.5), c(0.6, 0.8, 0), c(0, 0.6, -0.8), c(-0.5, -0.5, 0.5))

test_that("mlp() takes parametrisation and widths, prints them, and refuses bad ones", {
  net <- mlp(2, "erf", sigma_b = 0.1, parametrisation = "standard", widths = c(64, 32))
  expect_identical(net$parametrisation, "standard")
  expect_identical(net$widths, c(64L, 32L))
  expect_identical(jntk:::net_parametrisation(net), "standard")
  expect_identical(mlp(2)$parametrisation, "ntk")
  expect_null(mlp(2)$widths)
  # one width is kept as one (it serves every depth)
  expect_identical(mlp(3, parametrisation = "standard", widths = 100)$widths, 100L)
  expect_identical(mlp(0, parametrisation = "standard", widths = 5)$widths, integer(0))
  expect_snapshot(net)
  expect_snapshot(mlp(2, "tanh", parametrisation = "standard"))
  expect_snapshot(mlp(1, "relu", widths = 10))
  expect_snapshot(error = TRUE, mlp(2, parametrisation = "std"))
  expect_snapshot(error = TRUE, mlp(2, parametrisation = c("ntk", "ntk")))
  expect_snapshot(error = TRUE, mlp(2, parametrisation = NA_character_))
  expect_snapshot(error = TRUE, mlp(2, parametrisation = "standard", widths = c(10, 20, 30)))
  expect_snapshot(error = TRUE, mlp(1, parametrisation = "standard", widths = 2.5))
  for (bad in list(0, -3, NA, NaN, "64", c(10, NA), TRUE)) {
    expect_error(mlp(2, parametrisation = "standard", widths = bad), class = "jntk_error_argument")
  }
  expect_error(mlp(2, parametrisation = "standard", widths = Inf), class = "jntk_error_size")
  expect_error(mlp(2, parametrisation = "standard", widths = 3e9), class = "jntk_error_size")
  # the NTK kinds need the widths, the NNGP kinds do not
  std <- mlp(2, "erf", parametrisation = "standard")
  x <- std_x()
  expect_equal(nngp(std, x), nngp(mlp(2, "erf"), x), tolerance = 0)
  expect_equal(jacobian_nngp(std, x), jacobian_nngp(mlp(2, "erf"), x), tolerance = 0)
  expect_snapshot(error = TRUE, ntk(std, x))
  expect_error(jntk(std, x), class = "jntk_error_argument")
  expect_error(kernels(std, x), class = "jntk_error_argument")
  expect_error(kernels(std, x, jacobian = TRUE), class = "jntk_error_argument")
  # an architecture whose depth was changed keeps one width, not several
  bad <- mlp(2, "erf", parametrisation = "standard", widths = c(4, 5))
  bad$depth <- 3L
  expect_error(ntk(bad, x), class = "jntk_error_argument")
})

test_that("\"ntk\" is the default and changes nothing", {
  x <- std_x()
  for (act in c("relu", "erf", "tanh")) {
    a <- mlp(2, act, sigma_b = 0.2)
    b <- mlp(2, act, sigma_b = 0.2, parametrisation = "ntk", widths = c(7, 9))
    expect_identical(kernels(a, x), kernels(b, x))
    if (a$smooth) expect_identical(kernels(a, x, jacobian = TRUE), kernels(b, x, jacobian = TRUE))
  }
})

test_that("standard NTK = neural-tangents' stax recursion in plain R (closed forms and quadrature)", {
  x <- std_x()
  y <- rbind(c(0.3, -1.2, 0.4), c(2, 0.1, -0.3))
  for (act in c("relu", "erf", "identity", "tanh", "gelu")) for (sb in c(0, 0.3)) {
    net <- mlp(3, act, sigma_w = 1.3, sigma_b = sb, kappa = 0.7, parametrisation = "standard",
               widths = c(50, 200, 120))
    # closed forms: rounding of a few operations per layer (measured 1e-15);
    # Gauss-Hermite of 120^2 nodes for gelu (1e-13 against 200^2) and 200^2
    # for tanh (120^2 is off by 1e-8 at these variances; 200^2 agrees with
    # the package to 3e-11, which certifies quadrature_tol = 1e-10)
    nodes <- if (act == "tanh") 200 else 120
    tol <- if (act == "tanh") 1e-9 else 1e-11
    ref <- sref_stax(net, x, y, nodes = nodes)
    expect_equal(ntk(net, x, y), ref, tolerance = tol, info = act)
    expect_equal(nngp(net, x, y), sref_stax(net, x, y, what = "nngp", nodes = nodes),
                 tolerance = tol, info = act)
    # the symmetric path (each pair once)
    expect_equal(ntk(net, x), sref_stax(net, x, nodes = nodes), tolerance = tol, info = act)
    # the test tells the widths apart (except for the identity without
    # biases, whose NTK is symmetric in them)
    if (act != "identity" || sb > 0) {
      swapped <- sref_stax(net, x, y, widths = c(120, 200, 50), nodes = nodes)
      expect_gt(max(abs(swapped - ref) / abs(ref)), 0.01)
    }
  }
  # depth 0: kappa^2 (x.x' + 1[bias]), whatever the widths
  net0 <- mlp(0, "erf", sigma_b = 0.4, kappa = 2, parametrisation = "standard")
  expect_equal(ntk(net0, x, y), 4 * (x %*% t(y) + 1), tolerance = 1e-15)
})

test_that("standard NTK of every activation = the recursion rebuilt from NTK-parametrised kernels", {
  x <- std_x()
  for (act in setdiff(activations()$name, c("sign", "step"))) {  # sign, step: NNGP only
    net <- mlp(2, act, sigma_w = 1.2, sigma_b = 0.4, kappa = 0.8, parametrisation = "standard",
               widths = c(30, 70))
    # both sides use the same dual functions; the rebuild divides by
    # Theta^l > 0 and subtracts Sigma^{l+1} from Theta^{l+1}: a few eps per
    # layer, times the ratio Theta / (Theta - Sigma) < 10 here
    expect_equal(ntk(net, x), sref_rebuild(net, x), tolerance = 1e-12, info = act)
  }
})

test_that("standard = ntk parametrisation exactly when n_l = d = sigma_w^2 and sigma_b in {0, 1}", {
  # Theta^1 = x.x' + b = sigma_w^2 x.x'/d + sigma_b^2 and n_l g + b = sigma_w^2 g + sigma_b^2:
  # the two recursions are the same for every kind, activation and depth
  set.seed(1)
  x <- matrix(rnorm(8), 4, 2)
  # exp: its kernels grow doubly exponentially with depth and overflow here (a classed error)
  for (act in setdiff(activations()$name, c("sign", "step", "exp"))) for (sb in c(0, 1)) {
    ref <- mlp(2, act, sigma_w = sqrt(2), sigma_b = sb, kappa = 0.6)
    std <- mlp(2, act, sigma_w = sqrt(2), sigma_b = sb, kappa = 0.6, parametrisation = "standard",
               widths = 2)
    # the same operations up to the order of a few products: rounding
    expect_equal(ntk(std, x), ntk(ref, x), tolerance = 1e-13, info = act)
    if (ref$smooth) {
      expect_equal(jntk(std, x), jntk(ref, x), tolerance = 1e-12, info = act)
    } else {
      expect_error(jntk(std, x), class = "jntk_error_unsupported")
    }
  }
})

test_that("standard JNTK = mixed input derivatives of the plain-R stax NTK", {
  x <- rbind(c(1, 0.2), c(0.3, -0.9))
  for (case in list(list("erf", 0), list("erf", 0.3), list("tanh", 0.3))) {
    act <- case[[1]]; sb <- case[[2]]
    net <- mlp(2, act, sigma_w = 1.2, sigma_b = sb, kappa = 0.5, parametrisation = "standard",
               widths = c(40, 90))
    fd <- nref_jacobian_kernel(function(a, b) sref_stax(net, a, b, nodes = 60), x)
    # central differences with h = 1e-4 (helper-network.R): truncation about
    # h^2 = 1e-8 of the kernel's scale; the quadrature is a smooth function
    # of the inputs, so its error does not feed the differences
    J <- jntk(net, x)
    expect_lt(max(abs(J - fd)) / max(abs(fd)), 1e-6)
    # the structured form and kernels(jacobian = TRUE) agree with the dense one
    expect_equal(as.matrix(jntk(net, x, as = "structured")), J, tolerance = 1e-14)
    expect_equal(kernels(net, x, jacobian = TRUE)$jntk, J, tolerance = 0)
    expect_equal(unname(J[1:2, 1:2]), unname(ntk(net, x)), tolerance = 1e-13)
  }
})

# Law of large numbers over wide finite networks (sample_mlp() takes the
# architecture's widths and parametrisation): the mean empirical kernel is
# the limit plus an O(1/width) bias. Tolerance: the Frobenius error of the
# mean below 3 of its null standard deviations (sqrt of the summed squared
# elementwise standard errors) plus 1/width of the kernel's scale, as in
# test-empirical.R; the widths are unequal so that a wrong layer's width
# (an error of ~20 % here) fails.
std_mc <- function(act, kind, widths, n_net, seed, sigma_b) {
  set.seed(seed)
  net <- mlp(2, act, sigma_w = 1.2, sigma_b = sigma_b, kappa = 0.5, parametrisation = "standard",
             widths = widths)
  x <- std_x()
  lim <- if (kind == "ntk") ntk(net, x) else jntk(net, x)
  ks <- lapply(seq_len(n_net), function(i) {
    nw <- sample_mlp(net, input_dim = 3)
    if (kind == "ntk") empirical_ntk(nw, x) else empirical_jntk(nw, x)
  })
  m <- Reduce(`+`, ks) / n_net
  se <- sqrt(Reduce(`+`, lapply(ks, function(k) (k - m)^2)) / (n_net - 1) / n_net)
  swapped <- net
  swapped$widths <- rev(widths)
  list(err = norm(m - lim, "F"), se = sqrt(sum(se^2)), scale = norm(lim, "F"),
       err_swapped = norm(m - (if (kind == "ntk") ntk(swapped, x) else jntk(swapped, x)), "F"))
}

test_that("wide standard-parametrised networks' empirical kernels converge to ntk() and jntk()", {
  for (case in list(list("relu", "ntk", 0.2), list("tanh", "jntk", 0), list("gelu", "jntk", 0.3))) {
    r <- std_mc(case[[1]], case[[2]], widths = c(60, 240), n_net = 300, seed = 70,
                sigma_b = case[[3]])
    expect_lt(r$err, 3 * r$se + r$scale / 60)
    # the wrong widths (25 % and 16 % away for relu and gelu; 7 % for tanh,
    # too close to the tolerance to assert) fail the same test
    if (case[[1]] != "tanh") expect_gt(r$err_swapped, 3 * r$se + r$scale / 60)
  }
  # sample_mlp() takes the architecture's widths unless given others
  net <- mlp(2, "tanh", parametrisation = "standard", widths = c(6, 9))
  set.seed(72)
  expect_identical(sample_mlp(net, input_dim = 3)$widths, c(3L, 6L, 9L, 1L))
  expect_identical(sample_mlp(net, 4, input_dim = 3)$widths, c(3L, 4L, 4L, 1L))
  expect_snapshot(error = TRUE, sample_mlp(mlp(2, parametrisation = "standard"), input_dim = 3))
})

test_that("gradient_flow(), kernel_error_bound() and min_eigenvalue() work on the standard NTK", {
  set.seed(71)
  net <- mlp(2, "erf", sigma_w = 1.1, sigma_b = 0.2, kappa = 0.5, parametrisation = "standard",
             widths = c(20, 30))
  x <- matrix(rnorm(8), 4, 2)
  y <- sin(x[, 1])
  xt <- matrix(rnorm(4), 2, 2)
  N <- nrow(x)
  # the NTK is ~ 100 times the NTK-parametrised one, so the flow runs ~100
  # times faster: times of order N / lambda_max
  tt <- c(0.002, 0.02)
  for (lambda in c(0, 0.1)) {
    fl <- gradient_flow(net, x, y, lambda = lambda)
    p <- predict(fl, xt, t = tt, cov = TRUE)
    # plain RK4 on the training ODE with the kernels from the package's
    # standard-parametrised jntk()/jacobian_nngp() (helper-dynamics.R)
    xa <- rbind(x, xt)
    m <- nrow(xt); d <- ncol(x)
    if (lambda > 0) {
      K <- unclass(jntk(net, xa)); S <- unclass(jacobian_nngp(net, xa))
      # training rows: f(X) then J(X); test rows: f(xt) (block-major on the union)
      tr <- c(seq_len(N), N + m + seq_len(N * d))
      ldiag <- c(rep(1, N), rep(lambda, N * d)); ytil <- c(y, rep(0, N * d))
    } else {
      K <- unclass(ntk(net, xa)); S <- unclass(nngp(net, xa))
      tr <- seq_len(N); ldiag <- rep(1, N); ytil <- y
    }
    te <- N + seq_len(m)
    ref <- dyn_ref_flow_rk4(K[tr, tr], K[te, tr], S[c(tr, te), c(tr, te)], ytil, ldiag, N, tt)
    # RK4 with steps of 0.05 / rate: relative error ~1e-7
    for (k in seq_along(tt)) {
      expect_equal(unname(p$mean[, k]), ref[[k]]$mean, tolerance = 1e-6, ignore_attr = TRUE)
      expect_equal(unname(p$cov[, , k]), ref[[k]]$cov, tolerance = 1e-6, ignore_attr = TRUE)
    }
  }
  # the forward error bound covers the NTK's entries against the plain-R
  # stax recursion (closed form: rounding only, far below the bound's scale)
  b <- jntk:::kernel_error_bound(net, x, kind = "ntk")
  expect_lt(max(abs(ntk(net, x) - sref_stax(net, x))), b)
  expect_lt(b, 1e-12 * max(abs(ntk(net, x))))
  expect_lt(jntk:::kernel_error_bound(net, x, kind = "jntk"), 1e-11 * max(abs(jntk(net, x))))
})

test_that("min_eigenvalue(), gp_fit(), summary() and plot() use the standard NTK", {
  set.seed(73)
  net <- mlp(2, "erf", sigma_b = 0.2, parametrisation = "standard", widths = c(16, 48))
  x <- matrix(rnorm(10), 5, 2)
  xt <- matrix(rnorm(4), 2, 2)
  y <- cos(x[, 2])
  K <- ntk(net, x)
  # one symmetric eigendecomposition each: rounding of the largest eigenvalue
  ev <- eigen(K, symmetric = TRUE, only.values = TRUE)$values
  expect_equal(min_eigenvalue(net, x), min(ev), tolerance = 1e-10)
  # a depth study keeps the parametrisation and one width for every depth;
  # per-layer widths do not fit another depth
  one <- mlp(2, "erf", sigma_b = 0.2, parametrisation = "standard", widths = 32)
  md <- min_eigenvalue(one, x, kernel = "ntk", depth = 1:3)
  for (L in 1:3) {
    KL <- ntk(mlp(L, "erf", sigma_b = 0.2, parametrisation = "standard", widths = 32), x)
    expect_equal(md$min_eigenvalue[L], min(eigen(KL, symmetric = TRUE, only.values = TRUE)$values),
                 tolerance = 1e-10)
  }
  expect_error(min_eigenvalue(net, x, depth = 3), class = "jntk_error_argument")
  # the textbook posterior mean with the standard NTK as covariance
  gp <- gp_fit(net, x, y, noise = 0.01, kernel = "ntk")
  m <- ntk(net, xt, x) %*% solve(K + 0.01 * diag(5), y)
  expect_equal(unname(drop(predict(gp, xt)$mean)), unname(drop(m)), tolerance = 1e-10)
  # without widths, summary() shows the NTK at its `width`; plot() draws the NNGP
  std0 <- mlp(2, "erf", sigma_b = 0.2, parametrisation = "standard")
  s <- summary(std0, width = 64)
  expect_equal(s$kernels$value[2], ntk(mlp(2, "erf", sigma_b = 0.2, parametrisation = "standard",
                                           widths = 64), c(sqrt(2), 0))[1, 1], tolerance = 1e-14)
  expect_snapshot(print(s))
  pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  v <- plot(std0, kernel = "nngp", n_points = 5)
  g <- seq(0, 2 * pi, length.out = 5)
  expect_equal(v$nngp, drop(nngp(std0, c(1, 0), cbind(cos(g), sin(g)))), tolerance = 1e-14)
  expect_error(plot(std0, n_points = 5), class = "jntk_error_argument")
})

test_that("width studies refuse the standard NTK kinds, which have no width-free limit", {
  std <- mlp(1, "erf", parametrisation = "standard", widths = 64)
  x <- matrix(c(1, 0, 0, 1), 2)
  expect_snapshot(error = TRUE, kernel_convergence(std, x, widths = c(8, 16), kernel = "ntk"))
  expect_error(kernel_convergence(std, x, widths = c(8, 16), kernel = "jntk"),
               class = "jntk_error_unsupported")
  expect_error(plot_kernel_circle(std, widths = 8, n_init = 2), class = "jntk_error_unsupported")
  # the NNGP kinds are width-free in both parametrisations
  set.seed(74)
  cv <- kernel_convergence(std, x, widths = c(8, 16), n_rep = 2, kernel = "nngp", n_boot = 100)
  expect_s3_class(cv, "jntk_convergence")
})

test_that("train_mlp() follows mlp(parametrisation = \"standard\") (plain-R gradient steps)", {
  set.seed(75)
  net <- mlp(2, "gelu", sigma_w = 1.2, sigma_b = 0.3, kappa = 0.7, parametrisation = "standard",
             widths = c(5, 4))
  nw <- sample_mlp(net, input_dim = 3)
  x <- matrix(rnorm(18), 6, 3)
  y <- rnorm(6)
  fit <- train_mlp(nw, x, y, lambda = 0.1, lr = 0.05, steps = 4, progress = FALSE)
  # helper-training.R: backpropagation written out per input, the same sums in
  # another order (1e-11 relative after 4 steps)
  ref <- tref_train(nw, x, y, lambda = 0.1, lr = 0.05, steps = 4)
  expect_equal(tref_pack(fit$network), tref_pack(ref), tolerance = 1e-11)
  # the NTK-parametrised network of the same draws is another training problem
  ntk_nw <- nw
  ntk_nw$net <- mlp(2, "gelu", sigma_w = 1.2, sigma_b = 0.3, kappa = 0.7)
  expect_gt(max(abs(tref_pack(tref_train(ntk_nw, x, y, 0.1, 0.05, 4)) - tref_pack(ref))), 1e-3)
})
