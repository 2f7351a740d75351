# Gaussian-process regression under an infinitely wide network's prior:
# the exact posterior with the NNGP (Bayesian network) or the NTK (NTK-GP)
# as covariance, conditioned on values and optionally on input gradients
# through the Jacobian kernels (gradient-enhanced kriging), and its evidence.
# Methods (predict, plot, logLik, ...) are in R/gp_methods.R, the evidence
# optimisation in R/gp_optimise.R.

#' Gaussian-process regression with a deep network's prior
#'
#' `gp_fit()` computes the exact Gaussian-process posterior of a function
#' \eqn{f} whose prior is that of an infinitely wide network [mlp()]:
#' \eqn{f \sim GP(0, K)} with \eqn{K} the NNGP kernel ([nngp()], the law of
#' the network at initialisation, so the posterior is exact Bayesian inference
#' for the infinitely wide Bayesian network) or the NTK ([ntk()], the
#' "NTK-GP"). It conditions on noisy values \eqn{y_a = f(x_a) + \epsilon_a}
#' and, when `dy` is given, on noisy input gradients
#' \eqn{dy_{a,i} = \partial f/\partial x_i(x_a) + \eta_{a,i}}, through the
#' joint law of \eqn{(f, \nabla_x f)} given by the Jacobian NNGP
#' ([jacobian_nngp()]) or the JNTK ([jntk()]): gradient-enhanced kriging with
#' a deep-network prior.
#'
#' @section Model:
#' Stack the observations as \eqn{z = (y_1, \dots, y_N, dy_{1,1}, \dots,
#' dy_{1,d}, dy_{2,1}, \dots)} (block-major order, as in [jacobian_nngp()]).
#' Then \eqn{z \sim N(0, K_{XX} + D)} with \eqn{D} diagonal: `noise` on the
#' value rows and `dy_noise` on the gradient rows (both *variances*), and at
#' new inputs the posterior mean and covariance of \eqn{f} (and
#' \eqn{\nabla_x f}) are
#' \deqn{m(x) = K_{xX}(K_{XX} + D)^{-1} z,\qquad
#'   C(x, x') = K_{xx'} - K_{xX}(K_{XX} + D)^{-1}K_{Xx'},}{m(x) = K(x,X) (K(X,X) + D)^-1 z,
#'   C(x,x') = K(x,x') - K(x,X) (K(X,X) + D)^-1 K(X,x'),}
#' computed from one Cholesky factorisation \eqn{K_{XX} + D = R^\top R}. The
#' prior mean is zero (as for the network); the scale of \eqn{f} is set by
#' \eqn{\kappa} (every kernel scales by \eqn{\kappa^2}). Variances are those
#' of \eqn{f} (the latent function), not of a new noisy observation.
#'
#' A matrix `y` (\eqn{N \times k}) gives \eqn{k} independent outputs sharing
#' the kernel (a factor is one-hot encoded, as in [gradient_flow()]); their
#' log marginal likelihoods add.
#'
#' @section Jitter:
#' The factorisation is of the covariance scaled to unit diagonal (so nothing
#' below depends on the units of \eqn{y} or of the gradients). If it fails,
#' or succeeds with an estimated condition number above 1e12 (so that the
#' solves would keep fewer than about four digits), a jitter
#' \eqn{\tau\,\mathrm{diag}(K_{XX} + D)} is added, with
#' \eqn{\tau = 10^{-12}, 10^{-11}, \dots, 10^{-4}} tried in turn. The jitter used is never silent: it is signalled by a
#' warning of class `jntk_warning_jitter`, shown by `print()`, stored in
#' `$jitter`, and the posterior and [logLik()] are those of the jittered model.
#' If even \eqn{\tau = 10^{-4}} fails, an error of class `jntk_error_singular`
#' says what to do (add `noise`, remove duplicated inputs).
#'
#' @section Relation to neural-tangents:
#' neural-tangents' `predict.gp_inference(k_train_train, y_train, diag_reg)`
#' has three modes. `get = "nngp"` is `gp_fit(kernel = "nngp")` with `noise =
#' diag_reg` (its `diag_reg` is relative by default: `noise = diag_reg *
#' mean(diag(K))`; with `diag_reg_absolute_scale = TRUE` they coincide); its
#' covariance is, like ours, that of the latent \eqn{f}. `get = "ntkgp"` (He,
#' Lakshminarayanan and Teh, 2020) is the posterior of a GP with the NTK as
#' covariance: `gp_fit(kernel = "ntk")`, mean and covariance. `get = "ntk"` is
#' not a posterior but the law of an infinite ensemble of infinitely wide
#' networks trained to convergence by gradient flow: its mean
#' \eqn{\Theta_{xX}\Theta_{XX}^{-1}y} is the mean of `gp_fit(kernel = "ntk")`,
#' but its covariance mixes the NNGP and the NTK; in jntk it is
#' `predict(gradient_flow(net, x, y, ridge = noise), t = Inf, cov = TRUE)`.
#' neural-tangents has no gradient observations and no marginal likelihood.
#'
#' @section Large N:
#' `solver = "dense"` factorises the \eqn{n \times n} training covariance,
#' \eqn{n = N} or \eqn{N(d+1)} with gradients: \eqn{O(n^3)} time and
#' \eqn{3n^2} doubles of memory. `solver = "iterative"` never factorises it:
#' \eqn{\alpha = (K_{XX} + D)^{-1} z} comes from preconditioned conjugate
#' gradients ([solve()][solve-structured], src/krylov.c), each column to the
#' relative residual `tol`. With gradient observations the training kernel
#' stays structured (the eight scalars per pair of [jacobian_nngp()] /
#' [jntk()], \eqn{8N^2} doubles instead of \eqn{N^2(d+1)^2}, each product
#' \eqn{O(N^2 d)}) with the two-level block preconditioner of
#' [solve()][solve-structured] when `dy_noise = noise` (a diagonal one
#' otherwise); without gradients the \eqn{N \times N} kernel is kept dense
#' (no factor, diagonal preconditioner). `"auto"` (default) is dense when
#' \eqn{n \le} 10,000 (option `jntk.gp_dense_max`) and the dense solver's
#' \eqn{3n^2} doubles fit the memory budget (option `jntk.max_memory_gb`),
#' else iterative. An iterative fit predicts the mean at any number of points
#' by products with the structured cross kernel; the variance (and `cov`)
#' costs one more CG solve per predicted row (\eqn{m}, or \eqn{m(d+1)} with
#' `jacobian = TRUE`), so [predict.gp_fit()] computes it for at most 200 rows
#' (`var = FALSE` for the mean alone). It has no log marginal likelihood (CG
#' does not give \eqn{\log\det(K_{XX} + D)}): [logLik()], [summary()],
#' [gp_optimise()], [anova()] and the leave-one-out plot refuse it with an
#' error of class `jntk_error_unsupported`; there is no jitter (a solve that
#' does not converge is an error of class `jntk_error_convergence` asking for
#' `noise`). The mean and variances agree with the dense solver's to the
#' solve's accuracy (about `tol` times the condition number of
#' \eqn{K_{XX} + D}).
#'
#' @param net An architecture from [mlp()].
#' @param x Training inputs, an \eqn{N \times d} matrix (rows are points; a
#'   data frame of numeric columns is accepted). A vector is \eqn{N}
#'   one-dimensional points when `y` has as many values, else one point.
#' @param y Observed values: a numeric vector of length \eqn{N}, an
#'   \eqn{N \times k} matrix (\eqn{k} outputs), or a factor (one-hot encoded).
#' @param dy `NULL` (values only), or observed input gradients: an
#'   \eqn{N \times d} matrix, row \eqn{a} the gradient at `x[a, ]` (a vector of
#'   length \eqn{N} when \eqn{d = 1}); for \eqn{k > 1} outputs an
#'   \eqn{N \times d \times k} array.
#' @param noise Variance \eqn{\ge 0} of the noise on the values (`0`:
#'   interpolation, with a reported jitter if the kernel is singular).
#' @param dy_noise Variance \eqn{\ge 0} of the noise on the gradients (default:
#'   `noise`; [gp_optimise()] then keeps the two equal).
#' @param kernel `"nngp"` (exact Bayesian inference for the infinitely wide
#'   network) or `"ntk"` (the NTK-GP; gradient observations then need the JNTK,
#'   so a smooth activation).
#' @param solver `"auto"` (default), `"dense"` (Cholesky) or `"iterative"`
#'   (conjugate gradients); see Large N.
#' @param tol Relative residual of the iterative solves (`solver =
#'   "iterative"`).
#' @param threads Number of threads for the kernels.
#' @return An object of class `"gp_fit"`: a list with the architecture `net`,
#'   `kernel`, the data (`x`, `y` as an \eqn{N \times k} matrix, `dy` as an
#'   \eqn{N \times d \times k} array or `NULL`, `levels` for a factor), `z` the
#'   stacked observations (\eqn{n \times k}), `noise`, `dy_noise`, `jitter`
#'   (the \eqn{\tau} used, 0 if none), `rcond` (reciprocal condition estimate
#'   of the Cholesky factor), `chol` (the upper factor \eqn{R}), `alpha`
#'   \eqn{(K_{XX} + D)^{-1}z}, `loglik` and `df` (number of hyperparameters
#'   fitted by evidence: 0 here, set by [gp_optimise()]).
#' @references Rasmussen and Williams (2006), Gaussian Processes for Machine
#'   Learning, MIT Press, Algorithm 2.1 and section 9.4 (derivative
#'   observations). Lee et al. (2018), Deep Neural Networks as Gaussian
#'   Processes, ICLR. He, Lakshminarayanan and Teh (2020), Bayesian Deep
#'   Ensembles via the Neural Tangent Kernel, NeurIPS. Kim and Yang (2024),
#'   ICML (the Jacobian NNGP and JNTK).
#' @seealso [predict.gp_fit()], [logLik.gp_fit()], [gp_optimise()],
#'   [plot.gp_fit()], [jacobian_nngp()], [gradient_flow()] (the trained
#'   ensemble), [as_kernel_matrix()] (kernlab).
#' @examples
#' net <- mlp(depth = 2, activation = "erf", sigma_w = 1.5, sigma_b = 0.2)
#' set.seed(1)
#' x <- matrix(runif(16, -2, 2), ncol = 2)
#' y <- sin(x[, 1])
#' g0 <- gp_fit(net, x, y, noise = 1e-6)
#' g1 <- gp_fit(net, x, y, dy = cbind(cos(x[, 1]), 0), noise = 1e-6)
#' g1
#' xt <- matrix(runif(200, -2, 2), ncol = 2)
#' c(values = sqrt(mean((predict(g0, xt)$mean - sin(xt[, 1]))^2)),
#'   gradients = sqrt(mean((predict(g1, xt)$mean - sin(xt[, 1]))^2)))
#' logLik(g1)
#' # the same posterior mean without factorising the 48 x 48 covariance
#' g2 <- gp_fit(net, x, y, dy = cbind(cos(x[, 1]), 0), noise = 1e-6, solver = "iterative")
#' g2$cg$iterations
#' max(abs(predict(g2, xt, var = FALSE)$mean - predict(g1, xt)$mean))
#' @importFrom stats logLik nobs fitted residuals coef anova
#' @export
gp_fit <- function(net, x, y, dy = NULL, noise = 0, dy_noise = noise,
                   kernel = c("nngp", "ntk"), solver = c("auto", "dense", "iterative"),
                   tol = 1e-10, threads = default_threads()) {
  check_mlp(net)
  kernel <- check_choice(kernel, c("nngp", "ntk"), "kernel",
                         "the prior covariance: the network's NNGP, or its NTK for the NTK-GP")
  solver <- check_choice(solver, c("auto", "dense", "iterative"), "solver",
                         "\"iterative\" solves by conjugate gradients without the Cholesky factor")
  tol <- check_number(tol, "tol", lower = 0, lower_open = TRUE, upper = 1e-2)
  # A vector with as many entries as there are values is N one-dimensional
  # points (the kriging user's habit); otherwise a vector is one point.
  if (is.null(dim(x)) && is.numeric(x) && length(x) > 1L && length(x) == NROW(y) &&
      (is.null(net$input_dim) || net$input_dim == 1L)) {
    x <- matrix(x, ncol = 1L)
  }
  x <- as_input_matrix(x, "x", net_input_dim(net))
  tg <- check_targets(y, nrow(x))
  DY <- gp_check_gradients(dy, x, tg)
  noise <- check_number(noise, "noise", lower = 0, hint = "the variance of the noise on `y`")
  tied <- missing(dy_noise)
  dy_noise <- check_number(dy_noise, "dy_noise", lower = 0,
                           hint = "the variance of the noise on the gradients `dy`")
  threads <- check_threads(threads)
  gp_check_kernel(net, kernel, !is.null(DY), "Gradient observations (`dy`)")
  data <- list(x = x, y = tg$y, dy = DY, levels = tg$levels, target = tg$type)
  gp_build(net, data, kernel, noise, dy_noise, tied, solver, threads, tol = tol)
}

# The fit from validated pieces (also used by gp_optimise() to refit).
gp_build <- function(net, data, kernel, noise, dy_noise, tied, solver, threads, warn = TRUE,
                     tol = 1e-10) {
  N <- nrow(data$x); d <- ncol(data$x); k <- ncol(data$y)
  grad <- !is.null(data$dy)
  n <- if (grad) N * (d + 1) else N
  if (solver == "auto") solver <- gp_auto_solver(n, N, grad)
  if (solver == "iterative") {
    return(gp_build_iterative(net, data, kernel, noise, dy_noise, tied, threads, tol))
  }
  gp_check_size(n, N, d, grad)
  K <- gp_prior(net, kernel, data$x, grad, threads)
  z <- gp_stack(data$y, data$dy)
  add <- gp_noise_diag(N, d, grad, noise, dy_noise)
  diag(K) <- diag(K) + add
  ch <- gp_chol(K)
  if (warn && ch$jitter > 0) {
    jntk_warn(sprintf(paste0(
      "The %d x %d training covariance of the GP is %s; added a jitter of %.0e x its diagonal ",
      "(estimated condition number now %.2g). The posterior and logLik() are those of the ",
      "jittered model: add `noise`%s or remove duplicated inputs to avoid it."),
      n, n, if (is.na(ch$rcond0)) "not numerically positive definite" else
        sprintf("ill-conditioned (estimated condition number %.2g)", 1 / ch$rcond0^2),
      ch$jitter, 1 / ch$rcond^2, if (grad) "/`dy_noise`" else ""),
      class = "jntk_warning_jitter", data = list(jitter = ch$jitter))
  }
  alpha <- backsolve(ch$R, backsolve(ch$R, z, transpose = TRUE))
  structure(list(
    net = net, kernel = kernel, x = data$x, y = data$y, dy = data$dy,
    levels = data$levels, target = data$target, data = data,
    N = N, d = d, k = k, n = n, gradients = grad, z = z,
    noise = noise, dy_noise = if (grad) dy_noise else NA_real_, tied = tied,
    added = add + ch$jitter * ch$scale, jitter = ch$jitter, rcond = ch$rcond,
    chol = ch$R, alpha = alpha, loglik = gp_loglik(ch$R, z, alpha),
    df = 0L, solver = solver, threads = threads, optimisation = NULL
  ), class = "gp_fit")
}

# Validated gradient observations: an N x d x k array, or NULL.
gp_check_gradients <- function(dy, x, tg) {
  if (is.null(dy)) return(NULL)
  N <- nrow(x); d <- ncol(x); k <- tg$k
  if (identical(tg$type, "class")) {
    jntk_abort("Gradient observations `dy` are not defined for a factor `y` (one-hot class scores); give numeric targets.",
               class = "jntk_error_input")
  }
  if (is.data.frame(dy)) dy <- as.matrix(dy)
  if (!(is.numeric(dy) || is.logical(dy))) {
    jntk_abort(sprintf("`dy` must be a numeric matrix of gradients (N x d), not %s.", describe_type(dy)),
               class = "jntk_error_input")
  }
  if (is.null(dim(dy)) && d == 1L && k == 1L) dy <- matrix(dy, ncol = 1L)
  want <- if (k == 1L) c(N, d) else c(N, d, k)
  dm <- dim(dy)
  if (k == 1L && length(dm) == 3L && dm[3] == 1L) dm <- dm[1:2]
  if (is.null(dm) || length(dm) != length(want) || any(dm != want)) {
    jntk_abort(sprintf(paste0(
      "`dy` must be %s (row a the gradient of %s at x[a, ]), but it is %s."),
      if (k == 1L) sprintf("a %d x %d matrix", N, d) else
        sprintf("a %d x %d x %d array", N, d, k),
      if (k == 1L) "f" else "output j in [, , j]",
      if (is.null(dim(dy))) sprintf("a vector of length %d", length(dy)) else
        paste(dim(dy), collapse = " x ")), class = "jntk_error_input")
  }
  dy <- array(as.double(dy), c(N, d, k))
  bad <- !is.finite(dy)
  if (any(bad)) {
    w <- which(bad, arr.ind = TRUE)[1L, ]
    jntk_abort(sprintf("`dy` has %d non-finite value(s) (first at point %d, coordinate %d); remove or impute them first.",
                       sum(bad), w[1], w[2]), class = "jntk_error_input")
  }
  dy
}

# Gradient observations and gradient predictions under the NTK need the
# JNTK, which does not exist for kinked activations.
gp_check_kernel <- function(net, kernel, jacobian, what) {
  if (!jacobian || kernel != "ntk" || net$smooth) return(invisible(TRUE))
  jntk_abort(sprintf(paste0(
    "%s with kernel = \"ntk\" need the JNTK (the NTK's joint kernel of f and its gradient), which is ",
    "infinite on the diagonal for the kinked activation \"%s\": the limiting NTK has a -c|x - x'| ",
    "cusp, so the variance of the gradient of an NTK-GP is infinite. Use kernel = \"nngp\" (the ",
    "Jacobian NNGP of \"%s\" is finite) or a smooth activation such as \"erf\" or \"gelu\"."),
    what, net$activation, net$activation), class = "jntk_error_unsupported")
}

gp_check_size <- function(n, N, d, grad) {
  it <- if (gp_iterative_fits(N, n, grad)) {
    if (grad) "; or solver = \"iterative\" (conjugate gradients on the structured kernel, no factor)" else
      ", or solver = \"iterative\" (conjugate gradients, no factor)"
  } else ""
  check_alloc(3 * as.double(n)^2,
              sprintf("The %s x %s training covariance of the GP (and its Cholesky factor) for the %s points of `x`",
                      format(n, big.mark = ","), format(n, big.mark = ","), format(N, big.mark = ",")),
              if (grad) sprintf(paste0(
                "With gradients n = N(d + 1) = %s; use fewer points, gradients at a subset of them, ",
                "or dy = NULL (n = N)%s."), format(n, big.mark = ","), it) else
                sprintf("Use fewer training points%s.", it))
}

# Stacked observations: c(y, t(dy)) per output (block-major), an n x k matrix.
gp_stack <- function(Y, DY) {
  if (is.null(DY)) return(unname(Y))
  k <- ncol(Y)
  z <- vapply(seq_len(k), function(j) c(Y[, j], as.vector(t(DY[, , j]))),
              numeric(nrow(Y) * (1 + dim(DY)[2])))
  matrix(z, ncol = k)
}

gp_noise_diag <- function(N, d, grad, noise, dy_noise) {
  if (grad) c(rep(noise, N), rep(dy_noise, N * d)) else rep(noise, N)
}

# Prior covariance of the stacked outputs at the training inputs (dense).
gp_prior <- function(net, kernel, x, grad, threads) {
  K <- analytic_kernel(net, x, NULL, kind = gp_kind(kernel, grad), threads = threads)
  K <- unname(as.matrix(K))
  (K + t(K)) / 2
}

gp_kind <- function(kernel, jacobian) {
  if (!jacobian) return(kernel)
  c(nngp = "jacobian_nngp", ntk = "jntk")[[kernel]]
}

# Cholesky factor of A (symmetric) with the jitter fallback documented in
# ?gp_fit. The factorisation is of the equilibrated matrix
# C = S^-1/2 A S^-1/2 (S = diag(A): unit diagonal, so the jitter tau I and the
# condition limit do not depend on the units of values and gradients), and
# R = R_C S^1/2. Returns list(R, jitter, scale (S), rcond (reciprocal
# condition estimate of R_C after jitter), rcond0 (before; NA if it failed)).
gp_cond_limit <- 1e12
gp_chol <- function(A) {
  scale <- diag(A)
  pos <- scale > 0
  if (!any(pos)) {
    jntk_abort("The prior variance of every observation is zero (e.g. zero-norm inputs with sigma_b = 0); the GP cannot be conditioned. Use sigma_b > 0 or add `noise`.",
               class = "jntk_error_singular")
  }
  scale[!pos] <- mean(scale[pos])
  s <- sqrt(scale)
  C <- A / s / rep(s, each = length(s))
  try_chol <- function(tau) {
    if (tau > 0) diag(C) <- diag(C) + tau
    R <- tryCatch(chol(C), error = function(e) NULL)
    if (is.null(R)) return(list(R = NULL, rcond = NA_real_))
    list(R = R, rcond = rcond(R, triangular = TRUE))
  }
  ok <- function(f) !is.null(f$R) && is.finite(f$rcond) && f$rcond^2 * gp_cond_limit >= 1
  f <- try_chol(0)
  rcond0 <- f$rcond
  tau <- 0
  for (e in -12:-4) {
    if (ok(f)) break
    tau <- 10^e
    f <- try_chol(tau)
  }
  if (!ok(f)) {
    jntk_abort(sprintf(paste0(
      "The %d x %d training covariance of the GP is singular even with a jitter of 1e-4 x its diagonal ",
      "(duplicated inputs without noise, or a degenerate kernel). Add observation `noise` ",
      "(e.g. noise = %.2g), remove duplicated inputs, or change the architecture."),
      nrow(A), nrow(A), 1e-6 * mean(scale)), class = "jntk_error_singular")
  }
  list(R = f$R * rep(s, each = length(s)), jitter = tau, scale = scale, rcond = f$rcond,
       rcond0 = rcond0)
}

# log N(z_j; 0, R'R) summed over the k columns of z.
gp_loglik <- function(R, z, alpha) {
  n <- nrow(z); k <- ncol(z)
  -0.5 * sum(z * alpha) - k * sum(log(diag(R))) - 0.5 * n * k * log(2 * pi)
}
