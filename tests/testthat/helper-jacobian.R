# Plain-R references for the Jacobian kernels: central finite differences of
# the plain kernels, and a plain-R finite-width network simulator (math.md §1)
# giving samples of (f(x), grad f(x)) for Monte Carlo.

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

jref_act <- list(
  relu = list(function(h) pmax(h, 0), function(h) as.numeric(h > 0)),
  erf = list(function(h) 2 * pnorm(h * sqrt(2)) - 1, function(h) 2 / sqrt(pi) * exp(-h^2)),
  gelu = list(function(h) h * pnorm(h), function(h) pnorm(h) + h * dnorm(h)),
  tanh = list(tanh, function(h) 1 - tanh(h)^2)
)

# One random network (weights N(0,1)) evaluated for several activations at the
# rows of x: returns, per activation, the vector c(f(X), t(J(X))) (block-major).
jref_sample_outputs <- function(x, width, depth, sigma_w, sigma_b, kappa, acts) {
  d <- ncol(x); n <- nrow(x)
  sizes <- c(d, rep(width, depth), 1)
  W <- lapply(seq_len(depth + 1), function(l) matrix(rnorm(sizes[l + 1] * sizes[l]), sizes[l + 1]))
  b <- lapply(seq_len(depth + 1), function(l) rnorm(sizes[l + 1]))
  lapply(acts, function(act) {
    phi <- jref_act[[act]]
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
