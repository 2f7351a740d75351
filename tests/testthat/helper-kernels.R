# Plain-R reference implementations of the infinite-width kernels, written
# straight from the definitions in math.md §2 and independently of the C code.

# E[phi(u) psi(v)] for (u, v) ~ N(0, [[a, c], [c, b]]) by nested adaptive
# integration (stats::integrate): E_u[phi(u) E[psi(v) | u]], each integral
# split at the kink of piecewise-linear activations (argument 0).
kref_integrate_split <- function(f, at, tol) {
  lo <- stats::integrate(f, -Inf, at, rel.tol = tol, subdivisions = 1000L)$value
  hi <- stats::integrate(f, at, Inf, rel.tol = tol, subdivisions = 1000L)$value
  lo + hi
}

kref_expect_integrate <- function(phi, psi, a, b, c) {
  if (a == 0) {
    return(phi(0) * kref_integrate_split(function(z) psi(sqrt(b) * z) * dnorm(z), 0, 1e-12))
  }
  m <- c / a
  s <- sqrt(max(b - c^2 / a, 0))
  inner <- function(u) {
    vapply(u, function(uu) {
      if (s == 0) return(psi(m * uu))
      kref_integrate_split(function(z) psi(m * uu + s * z) * dnorm(z), -m * uu / s, 1e-12)
    }, numeric(1))
  }
  kref_integrate_split(function(u) phi(u) * inner(u) * dnorm(u, sd = sqrt(a)), 0, 1e-11)
}

# Activations and first derivatives in plain R.
kref_phi <- list(
  identity = list(function(x) x, function(x) 1 + 0 * x),
  relu = list(function(x) pmax(x, 0), function(x) as.numeric(x > 0)),
  leaky_relu = list(function(x) ifelse(x > 0, x, 0.01 * x), function(x) ifelse(x > 0, 1, 0.01)),
  abs = list(function(x) abs(x), function(x) sign(x)),
  erf = list(function(x) 2 * pnorm(x * sqrt(2)) - 1, function(x) 2 / sqrt(pi) * exp(-x^2)),
  gelu = list(function(x) x * pnorm(x), function(x) pnorm(x) + x * dnorm(x)),
  sin = list(sin, cos),
  cos = list(cos, function(x) -sin(x)),
  tanh = list(tanh, function(x) 1 - tanh(x)^2),
  softplus = list(function(x) pmax(x, 0) + log1p(exp(-abs(x))), function(x) plogis(x)),
  sigmoid = list(plogis, function(x) plogis(x) * (1 - plogis(x))),
  silu = list(function(x) x * plogis(x), function(x) plogis(x) + x * plogis(x) * (1 - plogis(x)))
)

# Closed forms straight from the literature, in the acos/asin form (the C
# code uses atan2 forms and a unified piecewise-linear family).
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

# High-degree Gauss-Hermite version for smooth activations (u = sqrt(a) z1,
# v = c/sqrt(a) z1 + sqrt(b - c^2/a) z2), n nodes per axis.
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

# The layer recursion of math.md §2 for every pair, with a dual function
# dual(a, b, c) -> c(g, gdot).
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

krel_err <- function(x, y) max(abs(x - y)) / max(abs(y))

kread_reference <- function() {
  jsonlite::fromJSON(test_path("reference_values.json"), simplifyVector = TRUE)
}
