# Eigenfeatures of the infinite-width kernel regressor (Kim and Yang 2024,
# Section 5, after Tsilivis and Kempe 2022).

#' Eigenfeatures of the infinite-width kernel regressor
#'
#' Splits the mean predictor of a [gradient_flow()] at time `t` (by default
#' the \eqn{t = \infty} kernel regressor) into one feature per eigenvector of
#' the training kernel itself, after Tsilivis and Kempe (2022): with
#' \eqn{K = \Theta + rI = \sum_j \mu_j w_j w_j^\top} (the NTK for
#' \eqn{\lambda = 0}, the JNTK for \eqn{\lambda > 0}, `r` the ridge) and the
#' flow's coefficients \eqn{\alpha_t} (\eqn{\bar f_t(x) = \Theta(x, X)\alpha_t},
#' \eqn{\alpha_\infty = K^{-1}\tilde Y}),
#' \deqn{\bar f_t(x) = \sum_j \phi_j(x),\qquad
#'   \phi_j(x) = \Theta(x, X)\, w_j\, w_j^\top \alpha_t,}{mean f_t(x) = sum_j phi_j(x),
#'   phi_j(x) = Theta(x, X) w_j w_j' alpha_t,}
#' so that at \eqn{t = \infty} \eqn{\phi_j(x) = \Theta(x, X) w_j\, w_j^\top
#' \tilde Y / \mu_j}. Neither the basis nor the \eqn{t = \infty} regressor
#' depends on \eqn{\lambda}: two Jacobian-regularised flows with different
#' \eqn{\lambda > 0} have the same features at \eqn{t = \infty}; \eqn{\lambda}
#' enters only through \eqn{\alpha_t} at finite times.
#'
#' For each feature it reports its values and exact input gradients at
#' `x_test`; its *usefulness* as Tsilivis and Kempe measure it,
#' \eqn{E[y\,\phi_j(x)]} over the test set (for class labels
#' \eqn{E[\phi_{j,y}(x)]}, the output of the true class, the targets being
#' one-hot), and its sign accuracy (test accuracy of the feature alone as a
#' classifier); its *robustness* as the mean input-gradient norm
#' \eqn{E\|\nabla_x \phi_j(x)\|_2} (smaller is more robust: to first order an
#' \eqn{\ell_2} perturbation of size \eqn{\epsilon} moves the feature by at
#' most \eqn{\epsilon\|\nabla_x\phi_j\|}), and, with `eps > 0`, the accuracy of
#' the feature alone after an FGSM attack of \eqn{\ell_\infty} radius `eps`
#' that uses the feature's own exact gradient.
#'
#' Gradients come from the Jacobian rows of [jntk()]; for a kinked activation
#' (only possible with \eqn{\lambda = 0}) from central differences of [ntk()]
#' (see [predict.gradient_flow()]). For a dense flow the kernel is rebuilt
#' from the flow's eigendecomposition of \eqn{\Lambda^{1/2}K\Lambda^{1/2}}
#' (entries accurate to about \eqn{\varepsilon/\lambda} relative) and
#' decomposed by LAPACK; for an iterative flow the leading `n_features`
#' eigenpairs of \eqn{K} come from RSpectra's `eigs_sym()` on the matrix-free
#' product (without RSpectra: the package's Lanczos with full
#' reorthogonalisation, checked for missed copies of repeated eigenvalues by a
#' deflated run), and `residual` holds the part of the predictor carried by
#' the other features.
#'
#' Kim and Yang (2024) observe that under Jacobian regularisation
#' (\eqn{\lambda > 0}) usefulness and robustness of the features are positively
#' correlated, and little correlated under plain training.
#'
#' @param object A [gradient_flow()].
#' @param x_test Test inputs (\eqn{m \times d}).
#' @param y_test Optional test labels: \eqn{\pm 1} numbers (one output), a
#'   factor with the training levels, or numeric targets (usefulness only).
#'   Without labels usefulness and accuracies are `NA`.
#' @param n_features Number of features kept, largest eigenvalues first
#'   (default: all, at most 50; at most \eqn{n - 2} for an iterative flow).
#'   Robust accuracy costs one kernel evaluation per feature.
#' @param eps \eqn{\ell_\infty} radius of the FGSM attack for
#'   `robust_accuracy` (0 skips the attack: `robust_accuracy` is then the
#'   accuracy).
#' @param t Time of the predictor (default `Inf`, which needs a positive
#'   definite kernel or a ridge).
#' @param threads Number of threads for the kernels.
#' @return An object of class `"jntk_eigenfeatures"`: a list with `features`,
#'   a data frame with one row per feature (`feature`, `eigenvalue` =
#'   \eqn{\mu_j}, `weight` = \eqn{\|\phi_j\|^2/\|\bar f_t\|^2} at `x_test`
#'   (features need not be orthogonal there, so weights need not add up to
#'   1), `usefulness` = \eqn{E[y\phi_j]}, `accuracy`, `robust_accuracy`,
#'   `grad_norm` = mean \eqn{\|\nabla_x\phi_j\|_2} over `x_test` (Frobenius
#'   norm of the \eqn{d \times k} Jacobian for \eqn{k} outputs)); `values`, an
#'   \eqn{m \times K} matrix (\eqn{m \times k \times K} array for \eqn{k}
#'   outputs) of \eqn{\phi_j(x_{test})}; `gradients`, an \eqn{m \times d \times K}
#'   (or \eqn{m \times d \times k \times K}) array; `residual`, the part of the
#'   predictor carried by the features not kept; and `eps`, `t`, `lambda`.
#' @references Tsilivis and Kempe (2022), What Can the Neural Tangent Kernel
#'   Tell Us About Adversarial Robustness?, NeurIPS. Kim and Yang (2024), An
#'   Infinite-Width Analysis on the Jacobian-Regularised Training of a Neural
#'   Network, ICML.
#' @seealso [robustness()], [gradient_flow()].
#' @examples
#' set.seed(1)
#' x <- matrix(rnorm(40), 20, 2)
#' y <- ifelse(x[, 1] + 0.5 * x[, 2] > 0, 1, -1)
#' fl <- gradient_flow(mlp(3, "erf", sigma_b = 0.1), x, y, lambda = 0.01, ridge = 1e-6)
#' xt <- matrix(rnorm(20), 10, 2)
#' ef <- eigenfeatures(fl, xt, ifelse(xt[, 1] + 0.5 * xt[, 2] > 0, 1, -1), n_features = 8)
#' ef
#' plot(ef)
#' @export
eigenfeatures <- function(object, x_test, y_test = NULL, n_features = NULL, eps = 0.1,
                          t = Inf, threads = object$threads) {
  if (!inherits(object, "gradient_flow")) {
    jntk_abort(sprintf("`object` must be a `gradient_flow()`, not %s.", describe_type(object)),
               class = "jntk_error_argument")
  }
  fl <- object
  xt <- as_input_matrix(x_test, "x_test", structure(fl$d, why = "the training input `x`"))
  m <- nrow(xt); d <- fl$d; k <- fl$k
  t <- check_times(t, one = TRUE)
  eps <- check_number(eps, "eps", lower = 0)
  threads <- check_threads(threads)
  if (is.infinite(t)) check_definite(fl)
  iterative <- identical(fl$solver, "iterative")
  n_max <- if (iterative) fl$n - 2L else fl$n
  if (is.null(n_features)) n_features <- min(n_max, 50L)
  n_features <- check_number(n_features, "n_features", lower = 1, upper = n_max, integer = TRUE,
                             hint = if (iterative) "an iterative flow gives at most n - 2 eigenpairs" else NULL)
  lab <- robust_labels(y_test, m, k, fl$levels, arg = "y_test")

  # the basis (eigenpairs of K, decreasing) and the coefficients alpha_t
  eb <- eigenfeature_basis(fl, n_features)
  alpha <- if (iterative) matrix(flow_coefficients(fl, t, 0, NULL, threads), fl$n, k) else {
    h <- as.vector(.Call(C_dynamics_filters, fl$values, t, as.double(fl$N), 0, 1L))
    (fl$sqrt_lambda * fl$vectors) %*% (h * fl$P)
  }
  W <- eb$vectors
  coef <- crossprod(W, alpha)                                # K x k: w_j' alpha
  G <- flow_cross_times(fl, xt, W, jacobian = TRUE, threads = threads)    # m(d+1) x K
  tot <- flow_cross_times(fl, xt, alpha, jacobian = TRUE, threads = threads)
  fr <- seq_len(m); jr <- m + seq_len(m * d)
  values <- array(0, c(m, k, n_features))
  grads <- array(0, c(m, d, k, n_features))
  for (q in seq_len(n_features)) {
    values[, , q] <- outer(G[fr, q], coef[q, ])
    gj <- outer(G[jr, q], coef[q, ])                         # (m d) x k, block-major
    grads[, , , q] <- aperm(array(gj, c(d, m, k)), c(2, 1, 3))
  }
  total <- tot[fr, , drop = FALSE]                            # the whole predictor
  residual <- total - apply(values, c(1, 2), sum)
  energy <- apply(values^2, 3, sum)
  gnorm <- apply(grads, 4, function(g) mean(sqrt(apply(g^2, 1, sum))))

  use <- acc <- rob <- rep(NA_real_, n_features)
  if (!is.null(lab)) {
    use <- vapply(seq_len(n_features), function(q) {
      val <- matrix(values[, , q], m, k)
      if (lab$type == "class") mean(val[cbind(seq_len(m), lab$code)]) else mean(rowSums(lab$y * val))
    }, 0)
  }
  if (!is.null(lab) && lab$type != "regression") {
    # one kernel evaluation per feature: show progress in interactive sessions
    pb <- if (interactive() && eps > 0 && n_features > 5L)
      utils::txtProgressBar(max = n_features, style = 3) else NULL
    if (!is.null(pb)) on.exit(close(pb), add = TRUE)
    for (q in seq_len(n_features)) {
      if (!is.null(pb)) utils::setTxtProgressBar(pb, q)
      val <- matrix(values[, , q], m, k)
      acc[q] <- mean(robust_correct(val, lab))
      if (eps > 0) {
        g <- robust_loss_gradient(val, array(grads[, , , q], c(m, d, k)), lab)
        xa <- xt + eps * sign(g)
        th <- flow_cross_times(fl, xa, W[, q, drop = FALSE], jacobian = FALSE, threads = threads)
        va <- outer(as.vector(th), coef[q, ])
        rob[q] <- mean(robust_correct(matrix(va, m, k), lab))
      } else {
        rob[q] <- acc[q]
      }
    }
  }
  feats <- data.frame(feature = seq_len(n_features), eigenvalue = eb$values,
                      weight = energy / max(sum(total^2), .Machine$double.xmin),
                      usefulness = use, accuracy = acc, robust_accuracy = rob, grad_norm = gnorm)
  names_out <- flow_output_names(fl)
  if (k == 1L) {
    values <- matrix(values, m, n_features)
    grads <- array(grads, c(m, d, n_features))
  } else {
    dimnames(values) <- list(NULL, names_out, NULL)
  }
  structure(list(features = feats, values = values, gradients = grads,
                 residual = if (k == 1L) as.vector(residual) else residual,
                 eps = eps, t = t, lambda = fl$lambda, kernel = fl$kernel,
                 labelled = !is.null(lab), classified = !is.null(lab) && lab$type != "regression"),
            class = "jntk_eigenfeatures")
}

# The leading eigenpairs of the training kernel K = Theta + rI (not of its
# Lambda-weighted form): list(values (decreasing), vectors n x K). Dense:
# K rebuilt from the flow's S = Lambda^{1/2} K Lambda^{1/2} = V D V' and
# decomposed by dsyevr. Iterative: flow_top_eigen() on an operator for K
# (RSpectra, else lanczos_top())
# (the structured JNTK at lambda = 1, or Lambda^{-1/2} S Lambda^{-1/2}).
eigenfeature_basis <- function(fl, n_features, spectra = requireNamespace("RSpectra", quietly = TRUE)) {
  n <- fl$n
  if (!identical(fl$solver, "iterative")) {
    sl <- fl$sqrt_lambda
    K <- fl$vectors %*% (fl$values_raw * t(fl$vectors))
    K <- K / sl / rep(sl, each = n)
    eg <- .Call(C_dynamics_eigen, (K + t(K)) / 2, 1L)
    ord <- order(eg$values, decreasing = TRUE)[seq_len(n_features)]
    return(list(values = eg$values[ord], vectors = eg$vectors[, ord, drop = FALSE]))
  }
  fk <- fl
  if (!is.null(fl$S)) {
    fk$op <- krylov_operator(fl$S, 1, fl$ridge)
  } else {
    sl <- fl$sqrt_lambda; fun <- fl$op$fun
    fk$op <- list(fun = function(v) fun(v / sl) / sl, n = fl$op$n)
  }
  fk$sqrt_lambda <- rep(1, n)
  e <- flow_top_eigen(fk, n_features, tol = fl$tol, spectra = spectra)
  list(values = e$values, vectors = e$vectors)
}

#' @rdname eigenfeatures
#' @param x An `"jntk_eigenfeatures"` object.
#' @param n Number of features printed.
#' @param which For `plot()`: `"usefulness"` (default: \eqn{E[y\phi_j]}
#'   against the input-gradient norm) or `"accuracy"` (test accuracy against
#'   accuracy under the FGSM attack).
#' @param ... Further graphical parameters passed to [plot.default()] (plot),
#'   unused (print).
#' @export
print.jntk_eigenfeatures <- function(x, n = 10L, ...) {
  n <- check_number(n, "n", lower = 0, integer = TRUE, hint = "the number of features to print")
  f <- x$features
  cat(sprintf("<jntk_eigenfeatures> %d feature(s) of the %s regressor at t = %s (lambda = %g)\n",
              nrow(f), toupper(x$kernel), format(x$t), x$lambda))
  if (x$labelled && nrow(f) > 2) {
    cat("  usefulness E[y phi]; robustness: mean input-gradient norm (smaller = more robust)\n")
    r <- eigenfeature_correlation(f$usefulness, f$grad_norm)
    if (is.finite(r)) cat(sprintf("  Spearman correlation(usefulness, gradient norm) = %.3f\n", r))
    if (isTRUE(x$classified)) {
      cat(sprintf("  robust accuracy: each feature alone under FGSM with eps = %g\n", x$eps))
      r <- eigenfeature_correlation(f$accuracy, f$robust_accuracy, "pearson")
      if (is.finite(r)) cat(sprintf("  correlation(accuracy, robust accuracy) = %.3f\n", r))
    }
  }
  show <- utils::head(f, n)
  show[] <- lapply(show, function(v) if (is.double(v)) signif(v, 4) else v)
  print(show, row.names = FALSE)
  if (nrow(f) > n) cat(sprintf("  ... %d more feature(s)\n", nrow(f) - n))
  invisible(x)
}

# A correlation that is NA (not a warning) for constant or too short columns.
eigenfeature_correlation <- function(a, b, method = "spearman") {
  ok <- is.finite(a) & is.finite(b)
  if (sum(ok) < 3L || stats::sd(a[ok]) == 0 || stats::sd(b[ok]) == 0) return(NA_real_)
  stats::cor(a[ok], b[ok], method = method)
}

#' @rdname eigenfeatures
#' @details `plot()` draws each feature's usefulness against its robustness,
#'   coloured by eigenvalue rank: by default \eqn{E[y\phi_j]} against the
#'   mean input-gradient norm (log scale; a robust and useful feature lies
#'   bottom right), or with `which = "accuracy"` the test accuracy against the
#'   accuracy under attack. It returns its argument invisibly.
#' @export
plot.jntk_eigenfeatures <- function(x, which = c("usefulness", "accuracy"), ...) {
  which <- check_choice(which, c("usefulness", "accuracy"), "which")
  f <- x$features
  if (!x$labelled || (which == "accuracy" && !isTRUE(x$classified))) {
    jntk_abort(sprintf("These eigenfeatures have no %s (no %s were given); call `eigenfeatures()` with `y_test`.",
                       if (which == "accuracy") "accuracies" else "usefulness",
                       if (which == "accuracy") "class labels" else "labels"),
               class = "jntk_error_argument")
  }
  rk <- rank(-f$eigenvalue, ties.method = "first")
  cols <- grDevices::hcl.colors(nrow(f), "viridis")[rk]
  main <- sprintf("Eigenfeatures, lambda = %g", x$lambda)
  if (which == "accuracy") {
    do.call(graphics::plot, utils::modifyList(list(
      x = f$accuracy, y = f$robust_accuracy, pch = 19, col = cols, xlim = c(0, 1), ylim = c(0, 1),
      xlab = "test accuracy of the feature (usefulness)",
      ylab = sprintf("accuracy under FGSM, eps = %g (robustness)", x$eps), main = main), list(...)))
    graphics::abline(0, 1, lty = 3, col = "grey50")
    graphics::legend("topleft", bty = "n", pch = c(19, 19, NA), lty = c(NA, NA, 3),
                     col = c(grDevices::hcl.colors(2, "viridis"), "grey50"),
                     legend = c("largest eigenvalue", "smallest eigenvalue", "robust = useful"))
    return(invisible(x))
  }
  g <- pmax(f$grad_norm, .Machine$double.xmin)
  leg <- list(legend = c("largest eigenvalue", "smallest eigenvalue"), pch = 19,
              col = grDevices::hcl.colors(2, "viridis"))
  defaults <- list(x = range(f$usefulness), y = range(g), type = "n", log = "y",
                   xlim = range(f$usefulness), ylim = range(g),
                   xlab = expression("usefulness" ~ E * "[" * y ~ phi[j](x) * "]"),
                   ylab = "mean input-gradient norm (robustness)", main = main)
  draw_legend <- plot_panel(defaults, list(...), occupied(f$usefulness, g, type = "points"), leg)
  graphics::abline(v = 0, lty = 3, col = "grey50")
  graphics::points(f$usefulness, g, pch = 19, col = cols)
  draw_legend()
  invisible(x)
}
