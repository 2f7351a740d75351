# The heavy grid's chaotic cells (issue 17; test-grid.R): deep gelu and rbf
# networks at sigma_w = 2 amplify rounding over the layers until the kernel
# has no certified digit; they must be refused (jntk_error_accuracy), and
# what is returned must be covered by kernel_error_bound().

bound_points <- function(scale) {
  scale * rbind(c(1, 0.5, -0.2), c(-0.3, 1.2, 0.4), c(0.9, 0.6, -0.1), c(0, 0, 0),
                c(1, 0.5, -0.2) * (1 + 1e-7))
}

# Half the change of the scalars of the pair (x, x') when the points are
# swapped (jntk:::jacobian_swap_error(), the refusal's criterion): swapping
# exchanges Q <-> R and Tq <-> Tr and leaves K, P, S, U
# (src/jacobian_kernels.c), so it is a lower bound on the error.
swap_error <- function(net, x, xp) jntk:::jacobian_swap_error(net, rbind(x, xp), "jacobian_nngp")

test_that("the chaotic cells of the heavy grid are refused, with the reason", {
  x <- bound_points(1e-8)
  # was max|K| 2.7e42 with an asymmetry of 1.4e42 (true entries ~1e30,
  # Rmpfr) under a claimed bound of 1.4e30
  expect_error(jacobian_nngp(mlp(100, "gelu", sigma_w = 2, sigma_b = 0.5), x),
               class = "jntk_error_accuracy")
  expect_snapshot(jacobian_nngp(mlp(100, "gelu", sigma_w = 2, sigma_b = 0.5), x), error = TRUE)
  # were finite kernels whose kernel_error_bound() was Inf
  expect_error(jntk(mlp(100, "rbf", sigma_w = 2), bound_points(1)), class = "jntk_error_accuracy")
  expect_error(jntk(mlp(100, "rbf", sigma_w = 2, sigma_b = 0.5), bound_points(1)),
               class = "jntk_error_accuracy")
  expect_error(ntk(mlp(100, "gelu", sigma_w = 2, sigma_b = 0.5), bound_points(1e8)),
               class = "jntk_error_accuracy")
  expect_snapshot(jntk(mlp(100, "rbf", sigma_w = 2), bound_points(1)), error = TRUE)
})

test_that("the refusal is needed: the error it flags is really there", {
  # at depth 80 (and 100) the swap error alone is far above 1 % of the
  # largest entry, so no bound could certify these kernels
  x <- bound_points(1e-8)
  for (L in c(80, 100)) {
    net <- mlp(L, "gelu", sigma_w = 2, sigma_b = 0.5)
    p <- jntk:::kernel_bound_parts(net, x, kind = "jacobian_nngp")
    expect_gt(swap_error(net, x[1, ], x[2, ]), 1e-2 * p[["scale"]], label = L)
    expect_error(jacobian_nngp(net, x), class = "jntk_error_accuracy")
  }
})

test_that("where the kernel is returned, the bound covers its error", {
  # depths 20 and 50 of the same net: returned; the bound covers the swap
  # error of every pair and the asymmetry of K(x, x) computed as a cross
  # kernel (both exact symmetries, so both are errors)
  x <- bound_points(1e-8)
  for (L in c(20, 50)) {
    net <- mlp(L, "gelu", sigma_w = 2, sigma_b = 0.5)
    K <- jacobian_nngp(net, x, x)
    b <- jntk:::kernel_error_bound(net, x, kind = "jacobian_nngp")
    expect_true(is.finite(b) && b <= 1e-2 * max(abs(K)))
    expect_lte(max(abs(K - t(K))), 2 * b, label = L)
    for (i in 1:4) for (j in (i + 1):5) expect_lte(swap_error(net, x[i, ], x[j, ]), b, label = c(L, i, j))
  }
})

test_that("against Rmpfr: the returned gelu Jacobian NNGP is within its bound", {
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  skip_if_not_installed("Rmpfr")
  # the gelu NNGP recursion (math.md §2) in 300-bit arithmetic, its mixed
  # derivatives by central differences at h = 1e-30 (truncation h^2 |K''''|,
  # rounding 2^-300 K / h^2 ~ 1e-25: both far below the bound)
  gelu_g <- function(a, b, c, pi_) {
    P <- a * b; P1 <- (1 + a) * (1 + b); de <- sqrt(P1 - c^2)
    c / 4 + ((c^2 + P * de^2) / (P1 * de) + c * atan(c / de)) / (2 * pi_)
  }
  mp <- function(v) Rmpfr::mpfr(v, 300)
  Kmp <- function(L, sw, sb, x, xp) {
    d <- length(x); s2 <- mp(sw)^2 / d; b2 <- mp(sb)^2; sw2 <- mp(sw)^2; pi_ <- Rmpfr::Const("pi", 300)
    a <- s2 * sum(x * x) + b2; b <- s2 * sum(xp * xp) + b2; c <- s2 * sum(x * xp) + b2
    for (l in seq_len(L)) {
      cn <- sw2 * gelu_g(a, b, c, pi_) + b2
      a <- sw2 * gelu_g(a, a, a, pi_) + b2; b <- sw2 * gelu_g(b, b, b, pi_) + b2; c <- cn
    }
    c
  }
  x <- bound_points(1e-8)[1:2, ]; L <- 20
  net <- mlp(L, "gelu", sigma_w = 2, sigma_b = 0.5)
  K <- jacobian_nngp(net, x[1, ], x[2, ])
  H <- mp(1e-30); X <- mp(x[1, ]); Xp <- mp(x[2, ])
  e <- function(i) { v <- mp(rep(0, 3)); v[i] <- H; v }
  R <- matrix(0, 4, 4)
  R[1, 1] <- as.numeric(Kmp(L, 2, 0.5, X, Xp))
  for (i in 1:3) {
    R[1 + i, 1] <- as.numeric((Kmp(L, 2, 0.5, X + e(i), Xp) - Kmp(L, 2, 0.5, X - e(i), Xp)) / (2 * H))
    R[1, 1 + i] <- as.numeric((Kmp(L, 2, 0.5, X, Xp + e(i)) - Kmp(L, 2, 0.5, X, Xp - e(i))) / (2 * H))
    for (j in 1:3) R[1 + i, 1 + j] <- as.numeric((Kmp(L, 2, 0.5, X + e(i), Xp + e(j)) -
      Kmp(L, 2, 0.5, X + e(i), Xp - e(j)) - Kmp(L, 2, 0.5, X - e(i), Xp + e(j)) +
      Kmp(L, 2, 0.5, X - e(i), Xp - e(j))) / (4 * H^2))
  }
  expect_lte(max(abs(unname(K) - R)), jntk:::kernel_error_bound(net, x, kind = "jacobian_nngp"))
})

test_that("the certification is skipped only where it could not refuse", {
  # certify_not_needed() skips the ~14 ms check when sigma_w^2 sup|phi'|^2
  # to the depth is <= 1e6; there the swap error and the bound must be far
  # below the 1 % refusal (1e-7 of the largest entry, its derivation)
  x <- rbind(c(1, 0.5, -0.2), c(-0.3, 1.2, 0.4), c(0.9, 0.6, -0.1), c(2, -1, 0.3))
  nets <- list(mlp(3, "erf"), mlp(5, "gelu", sigma_w = 2), mlp(9, "sin", sigma_w = 2),
               mlp(6, "cos", sigma_w = 2.5), mlp(4, "gaussian", sigma_w = 2),
               mlp(3, "erf", act_par = list(a = 2, b = 3)))
  for (net in nets) {
    expect_true(jntk:::certify_not_needed(net), label = net$activation)
    for (s in c(1e-8, 1, 1e8)) for (k in c("jacobian_nngp", "jntk", "ntk")) {
      p <- jntk:::kernel_bound_parts(net, x * s, NULL, k)
      expect_true(is.finite(p[["bound"]]), label = paste(net$activation, s, k))
      if (k != "ntk") expect_lte(jntk:::jacobian_swap_error(net, x * s, k), 1e-7 * p[["scale"]])
    }
  }
  # and it is not skipped where the amplification can be large, nor for
  # activations without a known sup |phi'|
  for (net in list(mlp(10, "erf", sigma_w = 4), mlp(100, "gelu", sigma_w = 2), mlp(2, "exp"),
                   mlp(2, "rbf"), mlp(2, "polynomial", act_par = list(coef = c(0, 1, 1)))))
    expect_false(jntk:::certify_not_needed(net), label = net$activation)
})
