# The vectorised plain kernels of the kinked family and erf (src/plain.c).
# References: the definitions in plain R (arc-cosine and arcsine formulas,
# math.md §2), the general jet path of kernels.c (the K slice of the
# structured Jacobian kernels, computed by other code), exact symmetries of
# the activations, and thread-count invariance.

# Plain-R NNGP/NTK from the closed forms (no care for digits next to the
# diagonal: used on inputs whose pairs are far from parallel).
plain_ref <- function(x1, x2, act, depth, sw, sb, slope = 0.1) {
  d <- ncol(x1)
  a <- sw^2 * rowSums(x1^2) / d + sb^2
  b <- sw^2 * rowSums(x2^2) / d + sb^2
  C <- sw^2 * tcrossprod(x1, x2) / d + sb^2
  Th <- C
  al <- switch(act, relu = 0, abs = -1, identity = 1, leaky_relu = slope, NA)
  for (l in seq_len(depth)) {
    if (act == "erf") {
      P <- outer(1 + 2 * a, 1 + 2 * b)
      g <- 2 / pi * asin(2 * C / sqrt(P))
      gd <- 4 / pi / sqrt(P - 4 * C^2)
      ga <- 2 / pi * asin(2 * a / (1 + 2 * a)); gb <- 2 / pi * asin(2 * b / (1 + 2 * b))
    } else {
      A <- ((1 + al) / 2)^2; B <- ((1 - al) / 2)^2
      s <- sqrt(outer(a, b))
      th <- acos(pmin(pmax(C / s, -1), 1))
      g <- A * C + B / pi * 2 * s * (sin(th) + (pi / 2 - th) * cos(th))
      gd <- A + B * (1 - 2 * th / pi)
      ga <- (A + B) * a; gb <- (A + B) * b
    }
    Cn <- sw^2 * g + sb^2
    Th <- Cn + sw^2 * gd * Th
    C <- Cn
    a <- sw^2 * ga + sb^2; b <- sw^2 * gb + sb^2
  }
  list(nngp = C, ntk = Th)
}

test_that("the fast path matches the closed forms in plain R", {
  set.seed(1)
  x1 <- matrix(rnorm(40 * 6), 40, 6)
  x2 <- matrix(rnorm(30 * 6), 30, 6)
  for (act in c("relu", "leaky_relu", "abs", "identity", "erf")) for (sb in c(0, 0.4)) {
    net <- mlp(3, act, sigma_w = 1.3, sigma_b = sb, slope = 0.1)
    ref <- plain_ref(x1, x2, act, 3, 1.3, sb)
    k <- kernels(net, x1, x2)
    # Independent random pairs are far from parallel (|rho| < 0.999 here), where
    # the R formulas keep all but a few digits: 1e-13 of the kernel's scale.
    for (kind in c("nngp", "ntk")) {
      expect_lt(max(abs(k[[kind]] - ref[[kind]])) / max(abs(ref[[kind]])), 1e-13)
    }
  }
})

test_that("the fast path agrees with the general jet path next to the diagonal", {
  set.seed(2)
  x <- matrix(rnorm(30 * 5), 30, 5)
  x[2, ] <- x[1, ] * (1 + 1e-9) # near-parallel and antiparallel pairs
  x[3, ] <- -x[1, ] + 1e-10
  x[4, ] <- x[1, ] * 1e-5
  for (sb in c(0, 0.3)) {
    net <- mlp(4, "erf", sigma_b = sb)
    J <- jntk(net, x, as = "structured")@F[, , 1] # the NTK, by kernels.c's jets
    # both paths are accurate to a few roundings per layer: 1e-14 relative
    # to the scale sqrt(K_ii K_jj)
    sc <- sqrt(outer(diag(J), diag(J)))
    expect_lt(max(abs(ntk(net, x) - J) / sc), 1e-14)
    netr <- mlp(4, "relu", sigma_b = sb)
    G <- jacobian_nngp(netr, x, as = "structured")@F[, , 1]
    sc <- sqrt(outer(diag(G), diag(G)))
    expect_lt(max(abs(nngp(netr, x) - G) / sc), 1e-14)
  }
})

test_that("exact symmetries of the activations hold to rounding", {
  set.seed(3)
  x <- matrix(rnorm(20 * 8), 20, 8)
  xx <- rbind(x, -x)
  # abs is even, so without bias K(x, -x) = K(x, x) for the NNGP and the NTK
  # (the NTK's first-layer sign cancels against gdot = -1 at theta = pi);
  # kernels.c's angle recursion was 4e-8 off here, the fast path is at rounding
  k <- kernels(mlp(5, "abs"), xx)
  for (kind in c("nngp", "ntk")) {
    K <- k[[kind]]
    expect_lt(max(abs(diag(K[1:20, 21:40]) - diag(K)[1:20]) / diag(K)[1:20]), 1e-14)
  }
  # relu without bias: an antiparallel pair has NNGP exactly 0 after layer 1
  # (J(pi) = pi/2 and A c + B s = 0); to rounding of the scale
  K <- nngp(mlp(1, "relu"), xx)
  expect_lt(max(abs(diag(K[1:20, 21:40])) / diag(K)[1:20]), 4e-16)
})

test_that("results do not depend on the thread count; x2 = x1 repeats the upper triangle", {
  set.seed(4)
  x <- matrix(rnorm(400 * 10), 400, 10) # 80,200 pairs x 3 layers: above one thread's grain
  for (act in c("relu", "erf")) {
    net <- mlp(3, act, sigma_b = 0.1)
    k1 <- kernels(net, x, threads = 1L)
    expect_identical(kernels(net, x, threads = 2L), k1)
    # below the diagonal x2 = x1 computes (x_i, x_j) where the symmetric call
    # mirrors (x_j, x_i): equal to rounding, (p / |x|) / |x'| is not symmetric
    k2 <- kernels(net, x, x, threads = 2L)
    up <- upper.tri(k1$ntk, diag = TRUE)
    expect_identical(k2$ntk[up], k1$ntk[up])
    expect_identical(k2$nngp[up], k1$nngp[up])
    expect_lt(max(abs(k2$ntk - k1$ntk)) / max(abs(k1$ntk)), 1e-15)
  }
})

test_that("zero inputs and sigma_b = 0 give zeros, never NaN", {
  x <- rbind(0, c(1, 2, 3), 0)
  for (act in c("relu", "abs", "leaky_relu", "erf")) {
    k <- kernels(mlp(2, act), x)
    expect_false(anyNA(k$nngp) || anyNA(k$ntk))
    expect_equal(k$nngp[1, ], c(0, 0, 0))
    expect_equal(k$ntk[, 3], c(0, 0, 0))
  }
})
