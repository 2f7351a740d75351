# The package's one independent reference for the analytic kernels (no
# jntk::: inside): plain-R activations and derivatives, Gaussian moments
# E[f(u) g(v)] by nested adaptive quadrature (stats::integrate) with
# breakpoints at the activations' transitions, closed forms from the
# literature (acos/asin forms), the layer recursion of math.md §2, the
# Jacobian kinds through an R jet recursion in (p, q, r) = (x.x', |x|^2,
# |x'|^2) driven by Price's theorem on the reference moments, and Rmpfr
# (high precision) for the kinked activations' near-diagonal values.
# Heavy values are cached in reference_accuracy.rds (make-reference.R).

krel_err <- function(x, y) max(abs(x - y)) / max(abs(y))

kread_reference <- function() {
  jsonlite::fromJSON(test_path("reference_values.json"), simplifyVector = TRUE)
}

# ---------------------------------------------------------------------------
# Activations: derivatives of order 0..4, accurate in the tails
# ---------------------------------------------------------------------------
ref_sech2 <- function(x) { e <- exp(-2 * abs(x)); 4 * e / (1 + e)^2 }
ref_dlogis <- function(x) stats::dlogis(x)
ref_derivs <- list(
  tanh = function(x, k) {
    t <- tanh(x); s <- ref_sech2(x)
    switch(k + 1, t, s, -2 * t * s, s * (4 - 6 * s), 8 * t * s * (2 - 3 * t^2))
  },
  sigmoid = function(x, k) {
    p <- ref_dlogis(x); m <- -tanh(x / 2)   # 1 - 2 sigmoid
    switch(k + 1, stats::plogis(x), p, p * m, p * (1 - 6 * p), p * m * (1 - 12 * p))
  },
  softplus = function(x, k) {
    if (k == 0) return(pmax(x, 0) + log1p(exp(-abs(x))))
    ref_derivs$sigmoid(x, k - 1)
  },
  silu = function(x, k) {   # (x s)^(k) = k s^(k-1) + x s^(k)
    if (k == 0) return(x * stats::plogis(x))
    k * ref_derivs$sigmoid(x, k - 1) + x * ref_derivs$sigmoid(x, k)
  },
  erf = function(x, k) {
    e <- 2 / sqrt(pi) * exp(-x^2)
    switch(k + 1, 2 * stats::pnorm(x * sqrt(2)) - 1, e, -2 * x * e, (4 * x^2 - 2) * e,
           (-8 * x^3 + 12 * x) * e)
  },
  gelu = function(x, k) {
    d <- stats::dnorm(x)
    switch(k + 1, x * stats::pnorm(x), stats::pnorm(x) + x * d, d * (2 - x^2), d * (x^3 - 4 * x),
           d * (-x^4 + 7 * x^2 - 4))
  },
  sin = function(x, k) switch(k %% 4 + 1, sin(x), cos(x), -sin(x), -cos(x)),
  cos = function(x, k) switch(k %% 4 + 1, cos(x), -sin(x), -cos(x), sin(x)),
  identity = function(x, k) switch(k + 1, x, 1 + 0 * x, 0 * x, 0 * x, 0 * x),
  relu = function(x, k) switch(k + 1, pmax(x, 0), as.numeric(x > 0), 0 * x, 0 * x, 0 * x),
  leaky_relu = function(x, k) switch(k + 1, ifelse(x > 0, x, 0.01 * x), ifelse(x > 0, 1, 0.01),
                                     0 * x, 0 * x, 0 * x),
  abs = function(x, k) switch(k + 1, abs(x), sign(x), 0 * x, 0 * x, 0 * x),
  # parametrised activations at their defaults (test-activations-param.R
  # tests other parameters): abrelu(0, 1) is relu
  abrelu = function(x, k) switch(k + 1, pmax(x, 0), as.numeric(x > 0), 0 * x, 0 * x, 0 * x),
  polynomial = function(x, k) switch(k + 1, x, 1 + 0 * x, 0 * x, 0 * x, 0 * x), # c(0, 1)
  relu_power = function(x, k) switch(k + 1, pmax(x, 0)^2, 2 * pmax(x, 0), 2 * (x > 0), 0 * x,
                                     0 * x), # k = 2
  # neural-tangents' Sign(), RectifiedMonomial(0), Exp(1, 1), Gaussian(1, -1),
  # Rbf(1); the jumps' derivatives almost everywhere (0)
  sign = function(x, k) if (k == 0) sign(x) else 0 * x,
  step = function(x, k) if (k == 0) as.numeric(x > 0) else 0 * x,
  exp = function(x, k) exp(x),
  gaussian = function(x, k) {
    e <- exp(-x^2)
    switch(k + 1, e, -2 * x * e, (4 * x^2 - 2) * e, (12 * x - 8 * x^3) * e,
           (16 * x^4 - 48 * x^2 + 12) * e)
  },
  rbf = function(x, k) {
    r <- sqrt(2); p <- sin(r * x) + cos(r * x); m <- cos(r * x) - sin(r * x)
    r^k * switch(k %% 4 + 1, p, m, -p, -m)
  },
  # no closed form in the package: a test of mlp(activation = <R function>)
  gauss = function(x, k) {
    e <- exp(-x^2 / 2)
    switch(k + 1, e, -x * e, (x^2 - 1) * e, (3 * x - x^3) * e, (x^4 - 6 * x^2 + 3) * e)
  }
)
# Activations by the kernels they have: the NNGP-only ones (a jump) have no
# NTK or Jacobian kernels; exp overflows integrate() and huge inputs.
ref_acts_ntk <- function() activations()$name[activations()$kernels != "NNGP only"]
ref_nngp_only <- c("sign", "step")
kref_phi <- lapply(ref_derivs, function(f) list(function(x) f(x, 0), function(x) f(x, 1)))

# ---------------------------------------------------------------------------
# Gaussian expectations by composite Gauss-Legendre quadrature in x-space
# ---------------------------------------------------------------------------
# E[h(X)], X ~ N(mean, sd^2), is integrated over [mean - 12 sd, mean + 12 sd]
# (the rest weighs 2e-33) cut into 24 pieces of one sd and, where the
# activations change (|x| < 30; tanh is 1 to 1e-26 beyond), pieces of 0.5,
# with 16 Gauss-Legendre nodes per piece. The integrands are analytic on each
# piece (kinks sit at 0, a break), at least pi/2 from the real axis for the
# series activations (poles of tanh), so each piece is exact to ~1e-16;
# test-accuracy.R checks the rule against closed forms and Rmpfr.
ref_gl <- local({
  cache <- list()
  function(n) {
    key <- as.character(n)
    if (is.null(cache[[key]])) {
      i <- seq_len(n - 1L)
      J <- matrix(0, n, n)
      J[cbind(i, i + 1L)] <- J[cbind(i + 1L, i)] <- i / sqrt(4 * i^2 - 1)
      e <- eigen(J, symmetric = TRUE)
      cache[[key]] <<- list(x = e$values, w = 2 * e$vectors[1L, ]^2)
    }
    cache[[key]]
  }
})
ref_act_grid <- seq(-30, 30, by = 0.5)

# Nodes x and weights w (density included) of E over N(mean, sd^2), built in
# the standard variable z = (x - mean)/sd so that the density is exact even
# when sd is tiny next to mean. With k, the integrand also depends on k x
# (the mean of the inner variable): break where k x crosses the activations'
# transitions too.
ref_grid <- function(mean, sd, k = 0) {
  ex <- if (k != 0) ref_act_grid / k else numeric(0)
  pts <- c(ref_act_grid, ex)
  br <- sort(unique(c(seq(-12, 12, length.out = 25L),
                      (pts[abs(pts - mean) < 12 * sd] - mean) / sd)))
  g <- ref_gl(16L)
  h <- diff(br) / 2; mid <- (br[-1L] + br[-length(br)]) / 2
  z <- as.vector(outer(g$x, h) + rep(mid, each = 16L))
  w <- as.vector(outer(g$w, h))
  list(x = mean + sd * z, w = w * stats::dnorm(z))
}

ref_expect1 <- function(h, mean, sd) {
  if (sd == 0) return(h(mean))
  g <- ref_grid(mean, sd)
  sum(g$w * h(g$x))
}

# The ten moments E[phi^(i)(u) phi^(j)(v)] the jets need, in the order
# (0,0) (2,0) (0,2) (1,1) (2,2) (3,1) (1,3) (3,3) (4,2) (2,4), for
# (u, v) ~ N(0, [[a, c], [c, b]]) with c = rho sqrt(ab) given through rho (so
# that 1 - rho keeps its digits): u outside, v | u inside,
# v | u ~ N(rho sqrt(b/a) u, b (1 - rho)(1 + rho)).
ref_ij <- rbind(c(0, 0), c(2, 0), c(0, 2), c(1, 1), c(2, 2), c(3, 1), c(1, 3), c(3, 3),
                c(4, 2), c(2, 4))
ref_moments <- function(act, a, b, rho, which = seq_len(nrow(ref_ij))) {
  d <- ref_derivs[[act]]
  D <- function(x) vapply(0:4, function(o) d(x, o), numeric(length(x)))
  ij <- ref_ij[which, , drop = FALSE]
  if (a == 0 || b == 0) {  # one variable is the constant 0
    Du <- if (a == 0) D(0) else colSums(ref_grid(0, sqrt(a))$w * D(ref_grid(0, sqrt(a))$x))
    Dv <- if (b == 0) D(0) else { g <- ref_grid(0, sqrt(b)); colSums(g$w * D(g$x)) }
    return(Du[ij[, 1] + 1] * Dv[ij[, 2] + 1])
  }
  k <- rho * sqrt(b / a)
  gu <- ref_grid(0, sqrt(a), if (abs(k) > 1) k else 0)
  Du <- D(gu$x)
  if (abs(rho) == 1) {
    Dv <- D(k * gu$x)
  } else {
    sv <- sqrt(b * (1 - rho) * (1 + rho))
    Dv <- t(vapply(gu$x, function(u) { g <- ref_grid(k * u, sv); colSums(g$w * D(g$x)) },
                   numeric(5)))
  }
  vapply(seq_len(nrow(ij)), function(t) sum(gu$w * Du[, ij[t, 1] + 1] * Dv[, ij[t, 2] + 1]),
         numeric(1))
}

# Cauchy-Schwarz scales sqrt(E[phi^(i)(u)^2] E[phi^(j)(v)^2]) of the moments.
ref_scales <- function(act, a, b, which = seq_len(nrow(ref_ij))) {
  d <- ref_derivs[[act]]
  n <- function(v) vapply(0:4, function(o) sqrt(ref_expect1(function(x) d(x, o)^2, 0, sqrt(v))),
                          numeric(1))
  na <- n(a); nb <- n(b)
  na[ref_ij[which, 1] + 1] * nb[ref_ij[which, 2] + 1]
}

# ---------------------------------------------------------------------------
# Closed forms from the literature (acos/asin forms; the package uses atan2
# forms and a unified piecewise-linear family)
# ---------------------------------------------------------------------------
kref_dual_closed <- function(act, a, b, c) {
  rho <- if (a * b > 0) max(-1, min(1, c / sqrt(a * b))) else 0
  switch(act,
    identity = c(c, 1),
    relu = {
      th <- acos(rho)
      c(sqrt(a * b) * (sin(th) + (pi - th) * cos(th)) / (2 * pi), (pi - th) / (2 * pi))
    },
    abs = c(2 / pi * sqrt(a * b) * (sqrt(1 - rho^2) + rho * asin(rho)), 2 / pi * asin(rho)),
    erf = c(2 / pi * asin(2 * c / sqrt((1 + 2 * a) * (1 + 2 * b))),
            4 / pi / sqrt((1 + 2 * a) * (1 + 2 * b) - 4 * c^2)),
    sin = c(exp(-(a + b) / 2) * sinh(c), exp(-(a + b) / 2) * cosh(c)),
    cos = c(exp(-(a + b) / 2) * cosh(c), exp(-(a + b) / 2) * sinh(c)),
    stop("no closed form in the reference for ", act)
  )
}

# (g, gdot) of any activation by the quadrature above.
kref_dual_quad <- function(act, a, b, c) {
  rho <- if (a * b > 0) max(-1, min(1, c / sqrt(a * b))) else 0
  ref_moments(act, a, b, rho, which = c(1, 4))
}

# E[phi(u) psi(v)] by nested integrate() split at the kink (argument 0), for
# the kinked activations at moderate (a, b, c).
kref_integrate_split <- function(f, at, tol) {
  lo <- stats::integrate(f, -Inf, at, rel.tol = tol, subdivisions = 1000L)$value
  hi <- stats::integrate(f, at, Inf, rel.tol = tol, subdivisions = 1000L)$value
  lo + hi
}
kref_expect_integrate <- function(phi, psi, a, b, c) {
  if (a == 0) {
    return(phi(0) * kref_integrate_split(function(z) psi(sqrt(b) * z) * stats::dnorm(z), 0, 1e-12))
  }
  m <- c / a
  s <- sqrt(max(b - c^2 / a, 0))
  inner <- function(u) {
    vapply(u, function(uu) {
      if (s == 0) return(psi(m * uu))
      kref_integrate_split(function(z) psi(m * uu + s * z) * stats::dnorm(z), -m * uu / s, 1e-12)
    }, numeric(1))
  }
  kref_integrate_split(function(u) phi(u) * inner(u) * stats::dnorm(u, sd = sqrt(a)), 0, 1e-11)
}

# 2-D Gauss-Hermite in R (u = sqrt(a) z1, v = c/sqrt(a) z1 + sqrt(b - c^2/a) z2),
# n nodes per axis (adequate for moderate variances only).
kref_gh <- local({
  cache <- list()
  function(n) {
    key <- as.character(n)
    if (is.null(cache[[key]])) {
      J <- matrix(0, n, n)
      J[cbind(1:(n - 1), 2:n)] <- J[cbind(2:n, 1:(n - 1))] <- sqrt(1:(n - 1))
      e <- eigen(J, symmetric = TRUE)
      cache[[key]] <<- list(z = e$values, w = e$vectors[1, ]^2)
    }
    cache[[key]]
  }
})
kref_dual_gh <- function(act, a, b, c, n = 90) {
  gh <- kref_gh(n)
  f <- kref_phi[[act]]
  u <- sqrt(a) * gh$z
  m <- if (a > 0) c / a else 0
  s <- sqrt(max(if (a > 0) b - c^2 / a else b, 0))
  V <- outer(m * u, rep(1, n)) + outer(rep(1, n), s * gh$z)
  W <- outer(gh$w, gh$w)
  c(sum(W * f[[1]](u) * f[[1]](V)), sum(W * f[[2]](u) * f[[2]](V)))
}

# ---------------------------------------------------------------------------
# Kernels: the layer recursion of math.md §2 for every pair, with a dual
# function dual(a, b, c) -> c(g, gdot) (diagonal: dual(a, a, a)[1])
# ---------------------------------------------------------------------------
kref_kernels <- function(depth, sigma_w, sigma_b, kappa, x1, x2, dual) {
  x1 <- rbind(x1); x2 <- rbind(x2)
  d <- ncol(x1)
  K <- T <- matrix(0, nrow(x1), nrow(x2))
  for (i in seq_len(nrow(x1))) for (j in seq_len(nrow(x2))) {
    a <- sigma_w^2 * sum(x1[i, ]^2) / d + sigma_b^2
    b <- sigma_w^2 * sum(x2[j, ]^2) / d + sigma_b^2
    c <- sigma_w^2 * sum(x1[i, ] * x2[j, ]) / d + sigma_b^2
    th <- c
    for (l in seq_len(depth)) {
      gc <- dual(a, b, c)
      ga <- dual(a, a, a)[1]; gb <- dual(b, b, b)[1]
      c <- sigma_w^2 * gc[1] + sigma_b^2
      th <- c + sigma_w^2 * gc[2] * th
      a <- sigma_w^2 * ga + sigma_b^2
      b <- sigma_w^2 * gb + sigma_b^2
    }
    K[i, j] <- kappa^2 * c
    T[i, j] <- kappa^2 * th
  }
  list(nngp = K, ntk = T)
}

# ---------------------------------------------------------------------------
# Jacobian kinds: jets in (p, q, r) (value and the partials p, q, r, pp, pq,
# pr, qr), composed layer by layer with Price's theorem
#   g_c = E[phi' phi'], g_a = E[phi'' phi]/2, g_cc = E[phi'' phi''], ...
# on the reference moments; then math.md §3's assembly.
# ---------------------------------------------------------------------------
rjet <- function(v = 0, p = 0, q = 0, r = 0, pp = 0, pq = 0, pr = 0, qr = 0)
  c(v = v, p = p, q = q, r = r, pp = pp, pq = pq, pr = pr, qr = qr)
rjet_mul <- function(f, g) {
  rjet(f[["v"]] * g[["v"]], f[["p"]] * g[["v"]] + f[["v"]] * g[["p"]],
       f[["q"]] * g[["v"]] + f[["v"]] * g[["q"]], f[["r"]] * g[["v"]] + f[["v"]] * g[["r"]],
       f[["pp"]] * g[["v"]] + 2 * f[["p"]] * g[["p"]] + f[["v"]] * g[["pp"]],
       f[["pq"]] * g[["v"]] + f[["p"]] * g[["q"]] + f[["q"]] * g[["p"]] + f[["v"]] * g[["pq"]],
       f[["pr"]] * g[["v"]] + f[["p"]] * g[["r"]] + f[["r"]] * g[["p"]] + f[["v"]] * g[["pr"]],
       f[["qr"]] * g[["v"]] + f[["q"]] * g[["r"]] + f[["r"]] * g[["q"]] + f[["v"]] * g[["qr"]])
}
# g(a(q), b(r), c) from its partials P = (g, ga, gb, gc, gcc, gac, gbc, gab):
# the chain rule to second order, a and b to first order.
rjet_compose <- function(aq, br, cj, P) {
  names(P) <- c("g", "ga", "gb", "gc", "gcc", "gac", "gbc", "gab")
  with(as.list(c(P, cj)), rjet(
    g, gc * p, ga * aq + gc * q, gb * br + gc * r,
    gc * pp + gcc * p * p,
    gc * pq + gcc * p * q + gac * aq * p,
    gc * pr + gcc * p * r + gbc * br * p,
    gc * qr + gcc * q * r + gac * aq * r + gbc * br * q + gab * aq * br))
}

# The (p, q, r) scalars of the Jacobian NNGP (tangent = FALSE) or JNTK of
# one pair, from a moment function mom(a, b, rho) -> the ten ref_ij moments.
ref_pair_jets <- function(depth, sigma_w, sigma_b, kappa, x, xp, mom, tangent) {
  d <- length(x); s2 <- sigma_w^2 / d
  a <- s2 * sum(x^2) + sigma_b^2; b <- s2 * sum(xp^2) + sigma_b^2
  aq <- s2; br <- s2
  cj <- rjet(s2 * sum(x * xp) + sigma_b^2, p = s2)
  th <- cj
  for (l in seq_len(depth)) {
    rho <- if (a * b > 0) max(-1, min(1, cj[["v"]] / sqrt(a * b))) else 0
    M <- mom(a, b, rho)
    G <- rjet_compose(aq, br, cj, c(M[1], M[2] / 2, M[3] / 2, M[4], M[5], M[6] / 2, M[7] / 2, M[5] / 4))
    Gd <- rjet_compose(aq, br, cj, c(M[4], M[6] / 2, M[7] / 2, M[5], M[8], M[9] / 2, M[10] / 2, M[8] / 4))
    cn <- sigma_w^2 * G; cn[["v"]] <- cn[["v"]] + sigma_b^2
    th <- cn + sigma_w^2 * rjet_mul(Gd, th)
    # diagonal maps: a' = sw2 E[phi^2] + sb2, da'/dq = sw2 (E[phi'^2] + E[phi phi'']) da/dq
    Ma <- mom(a, a, 1); Mb <- mom(b, b, 1)
    aq <- sigma_w^2 * (Ma[4] + Ma[2]) * aq; br <- sigma_w^2 * (Mb[4] + Mb[3]) * br
    a <- sigma_w^2 * Ma[1] + sigma_b^2; b <- sigma_w^2 * Mb[1] + sigma_b^2
    cj <- cn
  }
  kappa^2 * (if (tangent) th else cj)
}

# Dense Jacobian kernel (block-major) from per-pair (p, q, r) scalars
# F(a, b) (math.md §3).
ref_assemble <- function(x1, x2, Fab) {
  n1 <- nrow(x1); n2 <- nrow(x2); d <- ncol(x1)
  K <- matrix(0, n1 * (d + 1), n2 * (d + 1))
  for (a in seq_len(n1)) for (b in seq_len(n2)) {
    F <- Fab(a, b); x <- x1[a, ]; xp <- x2[b, ]
    ra <- n1 + (a - 1) * d + seq_len(d); cb <- n2 + (b - 1) * d + seq_len(d)
    K[a, b] <- F[["v"]]
    K[ra, b] <- F[["p"]] * xp + 2 * F[["q"]] * x
    K[a, cb] <- F[["p"]] * x + 2 * F[["r"]] * xp
    K[ra, cb] <- F[["p"]] * diag(d) + F[["pp"]] * outer(xp, x) + 2 * F[["pr"]] * outer(xp, xp) +
      2 * F[["pq"]] * outer(x, x) + 4 * F[["qr"]] * outer(x, xp)
  }
  K
}

# Reference Jacobian NNGP / JNTK of a series (or any quadrature) activation.
ref_jacobian_kernel <- function(act, depth, sigma_w, sigma_b, kappa, x1, x2 = x1, tangent) {
  x1 <- rbind(x1); x2 <- rbind(x2)
  mom <- function(a, b, rho) ref_moments(act, a, b, rho)
  ref_assemble(x1, x2, function(i, j)
    ref_pair_jets(depth, sigma_w, sigma_b, kappa, x1[i, ], x2[j, ], mom, tangent))
}

# ---------------------------------------------------------------------------
# Kinked activations in high precision (Rmpfr): the NNGP recursion with the
# acos form, and the Jacobian NNGP by central differences at h = 1e-30 in
# 300-bit arithmetic (truncation h^2, rounding 2^-300 / h^2: both < 1e-40).
# ---------------------------------------------------------------------------
ref_mpfr_nngp <- function(act, depth, sigma_w, sigma_b, kappa, x, xp, slope = 0.01,
                          bits = 300) {
  mp <- function(v) Rmpfr::mpfr(v, bits)
  al <- switch(act, relu = 0, abs = -1, leaky_relu = slope, identity = 1)
  A <- mp((1 + al) / 2)^2; B <- mp((1 - al) / 2)^2
  d <- length(x); s2 <- mp(sigma_w)^2 / d; b2 <- mp(sigma_b)^2
  x <- mp(x); xp <- mp(xp)
  a <- s2 * sum(x * x) + b2; b <- s2 * sum(xp * xp) + b2; c <- s2 * sum(x * xp) + b2
  pi_ <- Rmpfr::Const("pi", bits)
  for (l in seq_len(depth)) {
    s <- sqrt(a * b)
    rho <- c / s
    if (rho > 1) rho <- mp(1)
    th <- acos(rho)
    g <- A * c + B * 2 / pi_ * s * (sin(th) + (pi_ / 2 - th) * cos(th))
    c <- mp(sigma_w)^2 * g + b2
    a <- mp(sigma_w)^2 * (A + B) * a + b2
    b <- mp(sigma_w)^2 * (A + B) * b + b2
  }
  mp(kappa)^2 * c
}

ref_mpfr_jacobian_nngp <- function(act, depth, sigma_w, sigma_b, kappa, x, xp, h = 1e-30,
                                   bits = 300) {
  d <- length(x); mp <- function(v) Rmpfr::mpfr(v, bits)
  H <- mp(h)
  K <- function(u, w) ref_mpfr_nngp(act, depth, sigma_w, sigma_b, kappa, u, w, bits = bits)
  e <- function(i) { v <- mp(rep(0, d)); v[i] <- H; v }
  X <- mp(x); Xp <- mp(xp)
  out <- matrix(0, d + 1, d + 1)
  out[1, 1] <- as.numeric(K(X, Xp))
  for (i in seq_len(d)) {
    out[1 + i, 1] <- as.numeric((K(X + e(i), Xp) - K(X - e(i), Xp)) / (2 * H))
    out[1, 1 + i] <- as.numeric((K(X, Xp + e(i)) - K(X, Xp - e(i))) / (2 * H))
    for (j in seq_len(d)) {
      out[1 + i, 1 + j] <- as.numeric((K(X + e(i), Xp + e(j)) - K(X + e(i), Xp - e(j)) -
                                         K(X - e(i), Xp + e(j)) + K(X - e(i), Xp - e(j))) /
                                        (4 * H^2))
    }
  }
  out
}

# ---------------------------------------------------------------------------
# Finite differences and random finite networks
# ---------------------------------------------------------------------------
# Dense Jacobian kernel (block-major) by central differences of kfun(x1, x2)
# (a plain kernel function): steps h1 for first and h2 for mixed derivatives.
jref_fd_jacobian <- function(kfun, x1, x2, h1 = 1e-5, h2 = 1e-4) {
  n1 <- nrow(x1); n2 <- nrow(x2); d <- ncol(x1)
  K <- matrix(0, n1 * (d + 1), n2 * (d + 1))
  K[1:n1, 1:n2] <- kfun(x1, x2)
  sh <- function(x, i, h) { x[, i] <- x[, i] + h; x }
  ri <- function(i) n1 + (seq_len(n1) - 1) * d + i
  ci <- function(j) n2 + (seq_len(n2) - 1) * d + j
  for (i in seq_len(d)) {
    K[ri(i), 1:n2] <- (kfun(sh(x1, i, h1), x2) - kfun(sh(x1, i, -h1), x2)) / (2 * h1)
    K[1:n1, ci(i)] <- (kfun(x1, sh(x2, i, h1)) - kfun(x1, sh(x2, i, -h1))) / (2 * h1)
    for (j in seq_len(d)) {
      K[ri(i), ci(j)] <- (kfun(sh(x1, i, h2), sh(x2, j, h2)) - kfun(sh(x1, i, h2), sh(x2, j, -h2)) -
                            kfun(sh(x1, i, -h2), sh(x2, j, h2)) + kfun(sh(x1, i, -h2), sh(x2, j, -h2))) /
        (4 * h2^2)
    }
  }
  K
}

# One random network (weights N(0,1)) evaluated for several activations at the
# rows of x: returns, per activation, the vector c(f(X), t(J(X))) (block-major).
jref_sample_outputs <- function(x, width, depth, sigma_w, sigma_b, kappa, acts) {
  d <- ncol(x); n <- nrow(x)
  sizes <- c(d, rep(width, depth), 1)
  W <- lapply(seq_len(depth + 1), function(l) matrix(stats::rnorm(sizes[l + 1] * sizes[l]), sizes[l + 1]))
  b <- lapply(seq_len(depth + 1), function(l) stats::rnorm(sizes[l + 1]))
  lapply(acts, function(act) {
    phi <- kref_phi[[act]]
    h <- sigma_w / sqrt(d) * W[[1]] %*% t(x) + sigma_b * b[[1]]   # n1 x n
    T <- lapply(seq_len(d), function(i) matrix(sigma_w / sqrt(d) * W[[1]][, i], nrow(h), n))
    for (l in seq_len(depth)) {
      hn <- sigma_w / sqrt(sizes[l + 1]) * W[[l + 1]] %*% phi[[1]](h) + sigma_b * b[[l + 1]]
      T <- lapply(T, function(t) sigma_w / sqrt(sizes[l + 1]) * W[[l + 1]] %*% (phi[[2]](h) * t))
      h <- hn
    }
    f <- kappa * c(h)
    J <- kappa * sapply(T, c)        # n x d
    if (n == 1) J <- matrix(J, 1)
    c(f, t(J))
  })
}

# The cached reference values (make-reference.R).
ref_cache <- function() readRDS(test_path("reference_accuracy.rds"))
