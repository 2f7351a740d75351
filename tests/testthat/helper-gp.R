# Independent references for the Gaussian-process tests: the textbook
# posterior (Rasmussen and Williams 2006, eqs. 2.22-2.24) and log marginal
# likelihood (eq. 2.30) written with solve() and determinant() from the dense
# kernels nngp() / ntk() / jacobian_nngp() / jntk(), without the package's
# Cholesky, jitter or structured blocks.

# Dense prior covariance of the stacked outputs c(f(x1), t(J(x1))) (when
# `jac`) with those of x2, for kernel "nngp" or "ntk".
gp_ref_kernel <- function(net, kernel, x1, x2 = NULL, jac = FALSE) {
  K <- if (!jac) {
    if (kernel == "nngp") nngp(net, x1, x2) else ntk(net, x1, x2)
  } else {
    if (kernel == "nngp") jacobian_nngp(net, x1, x2) else jntk(net, x1, x2)
  }
  unname(as.matrix(K))
}

# Rows/columns of a Jacobian-layout kernel: all (f and gradients) or f only.
gp_ref_rows <- function(n_pts, d, jac) if (jac) seq_len(n_pts * (d + 1)) else seq_len(n_pts)

# Textbook posterior of f (and of its gradient when `jac_new`) at xn given
# values y (and gradients dy, N x d) at x with noise variances on the rows.
gp_ref_posterior <- function(net, kernel, x, y, xn, dy = NULL, noise = 0, dy_noise = noise,
                             jac_new = FALSE) {
  x <- as.matrix(x); xn <- as.matrix(xn)
  N <- nrow(x); d <- ncol(x); m <- nrow(xn)
  jac_train <- !is.null(dy)
  any_jac <- jac_train || jac_new
  Kxx <- gp_ref_kernel(net, kernel, x, jac = any_jac)
  Kxx <- Kxx[gp_ref_rows(N, d, jac_train), gp_ref_rows(N, d, jac_train), drop = FALSE]
  Ksx <- gp_ref_kernel(net, kernel, xn, x, jac = any_jac)
  Ksx <- Ksx[gp_ref_rows(m, d, jac_new), gp_ref_rows(N, d, jac_train), drop = FALSE]
  Kss <- gp_ref_kernel(net, kernel, xn, jac = jac_new)
  z <- if (jac_train) c(y, as.vector(t(dy))) else y
  D <- if (jac_train) c(rep(noise, N), rep(dy_noise, N * d)) else rep(noise, N)
  A <- Kxx + diag(D, length(D))
  list(mean = drop(Ksx %*% solve(A, z)), cov = Kss - Ksx %*% solve(A, t(Ksx)),
       loglik = -0.5 * sum(z * solve(A, z)) -
         0.5 * as.numeric(determinant(A, logarithm = TRUE)$modulus) -
         0.5 * length(z) * log(2 * pi),
       A = A, z = z)
}

# A smooth test problem: y = sin(x1) on [-2, 2]^2 with its gradient.
gp_sin_data <- function(N = 10, m = 5, seed = 1) {
  set.seed(seed)
  x <- matrix(stats::runif(2 * N, -2, 2), ncol = 2)
  xt <- matrix(stats::runif(2 * m, -2, 2), ncol = 2)
  list(x = x, y = sin(x[, 1]), dy = cbind(cos(x[, 1]), 0), xt = xt, yt = sin(xt[, 1]))
}
