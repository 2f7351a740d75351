# Eigenfeatures of the infinite-width kernel regressor (Kim and Yang 2024,
# Section 5, after Tsilivis and Kempe 2022).

#' Eigenfeatures of the infinite-width kernel regressor
#'
#' Splits the mean predictor of a [gradient_flow()] at time `t` (by default
#' the \eqn{t = \infty} kernel regressor) into one feature per eigenvector of
#' the training kernel, after Tsilivis and Kempe (2022): with
#' \eqn{\Lambda^{1/2}(\Theta + rI)\Lambda^{1/2} = \sum_j D_j v_j v_j^\top},
#' \deqn{\bar f_t(x) = \sum_j \phi_j(x),\qquad
#'   \phi_j(x) = \Theta(x, X)\Lambda^{1/2} v_j \; h_j(t)\; v_j^\top\Lambda^{1/2}\tilde Y,}{mean f_t(x) = sum_j phi_j(x),
#'   phi_j(x) = Theta(x, X) Lambda^{1/2} v_j h_j(t) v_j' Lambda^{1/2} Y~,}
#' with \eqn{h_j(\infty) = 1/D_j}. For each feature it reports its values and
#' exact input gradients at `x_test`, its *usefulness* (test accuracy of the
#' feature alone as a classifier) and its *robustness* (accuracy of the feature
#' alone after an FGSM attack of \eqn{\ell_\infty} radius `eps` that uses the
#' feature's own exact gradient, an estimate of Tsilivis and Kempe's
#' \eqn{\gamma}-robustness \eqn{E \inf_{\|\delta\|_\infty \le \epsilon}
#' 1\{\mathrm{sign}\,\phi(x+\delta) = y\}}).
#'
#' Gradients come from the Jacobian rows of [jntk()]; for a kinked activation
#' (only possible with \eqn{\lambda = 0}) from central differences of [ntk()]
#' (see [predict.gradient_flow()]).
#'
#' Kim and Yang (2024) observe that under Jacobian regularisation
#' (\eqn{\lambda > 0}) usefulness and robustness of the features are positively
#' correlated, and little correlated under plain training.
#'
#' @param object A [gradient_flow()].
#' @param x_test Test inputs (\eqn{m \times d}).
#' @param y_test Optional test labels: \eqn{\pm 1} numbers (one output) or a
#'   factor with the training levels. Without labels (or with non-class
#'   targets) accuracies are `NA`.
#' @param n_features Number of features kept, largest eigenvalues first
#'   (default: all, at most 50). Robustness costs one kernel evaluation per
#'   feature.
#' @param eps \eqn{\ell_\infty} radius of the FGSM attack used for robustness.
#' @param t Time of the predictor (default `Inf`, which needs a positive
#'   definite kernel or a ridge).
#' @param threads Number of threads for the kernels.
#' @return An object of class `"jntk_eigenfeatures"`: a list with `features`,
#'   a data frame with one row per feature (`feature`, `eigenvalue`,
#'   `weight` = the feature's share \eqn{\|\phi_j\|^2/\sum_k\|\phi_k\|^2} at
#'   `x_test`, `accuracy`, `robust_accuracy`, `grad_norm` = mean
#'   \eqn{\|\nabla_x\phi_j\|_2} over `x_test`); `values`, an
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
  if (is.null(n_features)) n_features <- min(fl$n, 50L)
  n_features <- check_number(n_features, "n_features", lower = 1, upper = fl$n, integer = TRUE)
  lab <- robust_labels(y_test, m, k, fl$levels, arg = "y_test")

  # features in order of decreasing eigenvalue
  ord <- rev(seq_len(fl$n))[seq_len(n_features)]
  Vs <- fl$sqrt_lambda * fl$vectors
  h <- as.vector(.Call(C_dynamics_filters, fl$values, t, as.double(fl$N), 0, 1L))
  coef <- h * fl$P                                          # n x k
  cr <- flow_cross(fl, xt, jacobian = TRUE, cov = FALSE, threads = threads)
  G <- cr$theta %*% Vs                                      # m(d+1) x n
  fr <- seq_len(m); jr <- m + seq_len(m * d)
  values <- array(0, c(m, k, n_features))
  grads <- array(0, c(m, d, k, n_features))
  for (q in seq_len(n_features)) {
    j <- ord[q]
    values[, , q] <- outer(G[fr, j], coef[j, ])
    gj <- outer(G[jr, j], coef[j, ])                        # (m d) x k, block-major
    grads[, , , q] <- aperm(array(gj, c(d, m, k)), c(2, 1, 3))
  }
  total <- G[fr, , drop = FALSE] %*% coef                   # the whole predictor
  residual <- total - apply(values, c(1, 2), sum)
  energy <- apply(values^2, 3, sum)
  all_energy <- sum(colSums(G[fr, , drop = FALSE]^2) * rowSums(coef^2))
  gnorm <- apply(grads, 4, function(g) mean(sqrt(apply(g^2, 1, sum))))

  acc <- rob <- rep(NA_real_, n_features)
  if (!is.null(lab) && lab$type != "regression") {
    # one kernel evaluation per feature: show progress in interactive sessions
    pb <- if (interactive() && eps > 0 && n_features > 5L)
      utils::txtProgressBar(max = n_features, style = 3) else NULL
    if (!is.null(pb)) on.exit(close(pb), add = TRUE)
    for (q in seq_len(n_features)) {
      if (!is.null(pb)) utils::setTxtProgressBar(pb, q)
      j <- ord[q]
      val <- matrix(values[, , q], m, k)
      acc[q] <- mean(robust_correct(val, lab))
      if (eps > 0) {
        g <- robust_loss_gradient(val, array(grads[, , , q], c(m, d, k)), lab)
        xa <- xt + eps * sign(g)
        th <- flow_cross(fl, xa, jacobian = FALSE, cov = FALSE, threads = threads)$theta
        va <- outer(as.vector(th %*% Vs[, j]), coef[j, ])
        rob[q] <- mean(robust_correct(matrix(va, m, k), lab))
      } else {
        rob[q] <- acc[q]
      }
    }
  }
  feats <- data.frame(feature = seq_len(n_features), eigenvalue = fl$values[ord],
                      weight = energy / max(all_energy, .Machine$double.xmin),
                      accuracy = acc, robust_accuracy = rob, grad_norm = gnorm)
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
                 labelled = !is.null(lab) && lab$type != "regression"),
            class = "jntk_eigenfeatures")
}

#' @rdname eigenfeatures
#' @param x An `"jntk_eigenfeatures"` object.
#' @param n Number of features printed.
#' @param ... Further graphical parameters passed to [plot.default()] (plot),
#'   unused (print).
#' @export
print.jntk_eigenfeatures <- function(x, n = 10L, ...) {
  f <- x$features
  cat(sprintf("<jntk_eigenfeatures> %d feature(s) of the %s regressor at t = %s (lambda = %g)\n",
              nrow(f), toupper(x$kernel), format(x$t), x$lambda))
  if (x$labelled) {
    cat(sprintf("  robustness: accuracy under FGSM with eps = %g on each feature alone\n", x$eps))
    ok <- stats::sd(f$accuracy) > 0 && stats::sd(f$robust_accuracy) > 0
    if (nrow(f) > 2 && isTRUE(ok)) {
      cat(sprintf("  correlation(accuracy, robust accuracy) = %.3f\n",
                  stats::cor(f$accuracy, f$robust_accuracy)))
    }
  }
  show <- utils::head(f, n)
  show[] <- lapply(show, function(v) if (is.double(v)) signif(v, 4) else v)
  print(show, row.names = FALSE)
  if (nrow(f) > n) cat(sprintf("  ... %d more feature(s)\n", nrow(f) - n))
  invisible(x)
}

#' @rdname eigenfeatures
#' @details `plot()` draws each feature's usefulness (test accuracy) against
#'   its robustness (accuracy under the attack), coloured by eigenvalue rank;
#'   it returns its argument invisibly.
#' @export
plot.jntk_eigenfeatures <- function(x, ...) {
  f <- x$features
  if (!x$labelled) {
    jntk_abort("These eigenfeatures have no accuracies (no class labels were given); call `eigenfeatures()` with `y_test`.",
               class = "jntk_error_argument")
  }
  rk <- rank(-f$eigenvalue, ties.method = "first")
  cols <- grDevices::hcl.colors(nrow(f), "viridis")[rk]
  do.call(graphics::plot, utils::modifyList(list(
    x = f$accuracy, y = f$robust_accuracy, pch = 19, col = cols, xlim = c(0, 1), ylim = c(0, 1),
    xlab = "test accuracy of the feature (usefulness)",
    ylab = sprintf("accuracy under FGSM, eps = %g (robustness)", x$eps),
    main = sprintf("Eigenfeatures, lambda = %g", x$lambda)), list(...)))
  graphics::abline(0, 1, lty = 3, col = "grey50")
  graphics::legend("topleft", bty = "n", pch = c(19, 19, NA), lty = c(NA, NA, 3),
                   col = c(grDevices::hcl.colors(2, "viridis"), "grey50"),
                   legend = c("largest eigenvalue", "smallest eigenvalue", "robust = useful"))
  invisible(x)
}
