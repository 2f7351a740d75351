# Methods of "gp_fit" (R/gp.R): prediction of f and its gradient at new
# inputs, the marginal likelihood, and what users of lm/kriging expect
# (print, summary, fitted, residuals, coef, nobs, plot).

#' Predict from a Gaussian-process fit
#'
#' Posterior mean and variance (and, when asked, covariance) of \eqn{f} and,
#' with `jacobian = TRUE`, of its input gradient \eqn{\partial f/\partial x}
#' at new inputs, under the fit's network prior (see [gp_fit()] for the
#' formulas). The gradient's law comes from the same joint Gaussian process
#' (Jacobian NNGP or JNTK), so it is exact, not a derivative of an estimate:
#' its mean equals the derivative of the posterior mean.
#'
#' @param object A [gp_fit()].
#' @param newdata New inputs, an \eqn{m \times d} matrix (a vector is one
#'   point, or \eqn{m} points when \eqn{d = 1}); default the training inputs.
#' @param cov Also return the posterior covariance matrix.
#' @param jacobian Also return the law of \eqn{\partial f/\partial x} (for
#'   `kernel = "ntk"` only with a smooth activation: the NTK-GP of a kinked
#'   activation has gradients of infinite variance).
#' @param var Compute the posterior variances. For a fit with `solver =
#'   "iterative"` each predicted row (value, and gradient entry with
#'   `jacobian = TRUE`) costs one conjugate-gradient solve, and at most 200
#'   rows are allowed; `var = FALSE` gives the mean alone (`var` is then
#'   `NA`). See [gp_fit()], section Large N.
#' @param threads Number of threads for the kernels.
#' @param ... Unused.
#' @return An object of class `"gp_prediction"`: a list with `mean` (a vector
#'   of length \eqn{m}, or an \eqn{m \times k} matrix for \eqn{k} outputs),
#'   `var` (length \eqn{m}, shared by all outputs), `cov` (\eqn{m \times m},
#'   if asked); with `jacobian = TRUE` also `jacobian` (\eqn{m \times d}, or
#'   \eqn{m \times d \times k}) and `jacobian_var` (\eqn{m \times d}), and, if
#'   `cov = TRUE`, `cov_joint`, the covariance of \eqn{(f, \nabla_x f)} at the
#'   new inputs in block-major order (\eqn{m(d+1) \times m(d+1)}, as in
#'   [jacobian_nngp()]); `class` (predicted level) for a factor `y`; and the
#'   inputs `x`. `as.data.frame()` gives one row per input (and output) with
#'   `mean`, `sd` and the 95 % interval `lower`, `upper` of \eqn{f}
#'   (`class` for a factor, and `d<i>`, `d<i>_sd` for the gradient).
#' @seealso [gp_fit()], [plot.gp_fit()].
#' @examples
#' net <- mlp(depth = 2, activation = "gelu", sigma_b = 0.1)
#' x <- matrix(seq(-2, 2, length.out = 6))
#' g <- gp_fit(net, x, sin(x), dy = cos(x), noise = 1e-8)
#' p <- predict(g, c(0.3, 1.1), jacobian = TRUE)
#' p
#' as.data.frame(p)
#' @export
predict.gp_fit <- function(object, newdata, cov = FALSE, jacobian = FALSE, var = TRUE,
                           threads = object$threads, ...) {
  gp <- object
  if (missing(newdata) || is.null(newdata)) newdata <- gp$x
  if (gp$d == 1L && is.null(dim(newdata)) && is.numeric(newdata)) newdata <- matrix(newdata, ncol = 1L)
  xn <- as_input_matrix(newdata, "newdata", structure(gp$d, why = "the training input `x`"))
  cov <- check_flag(cov, "cov")
  jacobian <- check_flag(jacobian, "jacobian")
  var <- check_flag(var, "var")
  if (cov && !var) {
    jntk_abort("`cov = TRUE` needs `var = TRUE` (the variances are its diagonal).",
               class = "jntk_error_argument")
  }
  threads <- check_threads(threads)
  gp_check_kernel(gp$net, gp$kernel, jacobian, "Gradient predictions (`jacobian = TRUE`)")
  if (identical(gp$solver, "iterative")) return(gp_predict_iterative(gp, xn, cov, jacobian, var, threads))
  m <- nrow(xn); d <- gp$d
  mr <- if (jacobian) m * (d + 1) else m
  check_alloc(2 * as.double(mr) * gp$n + if (cov) 2 * as.double(mr)^2 else 0,
              sprintf("Predicting at %s input(s) (`newdata`)%s%s", format(m, big.mark = ","),
                      if (jacobian) " with gradients" else "", if (cov) " with `cov = TRUE`" else ""),
              "Predict in batches of inputs, or with cov = FALSE.")
  Kx <- gp_cross(gp, xn, jacobian, threads)
  mean_rows <- Kx %*% gp$alpha                                 # mr x k
  if (!var) return(gp_prediction(gp, xn, mean_rows, rep(NA_real_, mr), NULL, jacobian))
  V <- backsolve(gp$chol, t(Kx), transpose = TRUE)             # R^-T K_Xx
  if (cov) {
    C <- gp_prior(gp$net, gp$kernel, xn, jacobian, threads) - crossprod(V)
    C <- (C + t(C)) / 2
    v <- diag(C)
  } else {
    v <- gp_prior_diag(gp$net, gp$kernel, xn, jacobian, threads) - colSums(V^2)
  }
  # Posterior variances are >= 0; rounding can give -eps * prior variance.
  v <- pmax(v, 0)
  gp_prediction(gp, xn, mean_rows, v, if (cov) C, jacobian)
}

# Cross-covariance of the stacked outputs at new inputs (f rows, then
# gradient rows in block-major order when `jacobian`) with the training
# observations (f rows, then gradient rows when the fit has them).
gp_cross <- function(gp, xn, jacobian, threads) {
  if (!gp$gradients && !jacobian) {
    return(unname(as.matrix(analytic_kernel(gp$net, xn, gp$x, gp$kernel, threads))))
  }
  S <- gp_structured(gp$net, gp$kernel, xn, gp$x, threads)
  bl <- function(w) unname(block(S, w))
  top <- if (gp$gradients) cbind(bl("ff"), bl("fj")) else bl("ff")
  if (!jacobian) return(top)
  rbind(top, if (gp$gradients) cbind(bl("jf"), bl("jj")) else bl("jf"))
}

gp_structured <- function(net, kernel, x1, x2, threads) {
  if (kernel == "ntk") jntk(net, x1, x2, as = "structured", threads = threads) else
    jacobian_nngp(net, x1, x2, as = "structured", threads = threads)
}

# Prior variances of the stacked outputs at xn (f, then gradients in
# block-major order), from kernels of small groups of points: O(m) pairs
# instead of the m x m matrix.
gp_prior_diag <- function(net, kernel, xn, jacobian, threads, chunk = 32L) {
  m <- nrow(xn); d <- ncol(xn)
  f <- numeric(m)
  J <- if (jacobian) matrix(0, d, m)
  for (s in seq(1L, m, by = chunk)) {
    idx <- s:min(m, s + chunk - 1L)
    xs <- xn[idx, , drop = FALSE]
    if (jacobian) {
      dg <- diag(gp_structured(net, kernel, xs, NULL, threads), names = FALSE)
      f[idx] <- dg[seq_along(idx)]
      J[, idx] <- dg[-seq_along(idx)]
    } else {
      f[idx] <- diag(as.matrix(analytic_kernel(net, xs, NULL, kernel, threads)))
    }
  }
  c(f, if (jacobian) as.vector(J))
}

gp_output_names <- function(gp) if (!is.null(gp$levels)) gp$levels else colnames(gp$y)

gp_prediction <- function(gp, xn, mean_rows, v, C, jacobian) {
  m <- nrow(xn); d <- gp$d; k <- gp$k
  fr <- seq_len(m)
  outs <- gp_output_names(gp)
  rn <- rownames(xn)
  mean <- if (k == 1L) stats::setNames(mean_rows[fr, 1], rn) else
    matrix(mean_rows[fr, ], m, k, dimnames = list(rn, outs))
  out <- list(mean = mean, var = stats::setNames(v[fr], rn))
  if (!is.null(C)) out$cov <- matrix(C[fr, fr], m, m, dimnames = list(rn, rn))
  if (jacobian) {
    cn <- colnames(gp$x) %||% paste0("x", seq_len(d))
    jr <- m + seq_len(m * d)
    J <- aperm(array(mean_rows[jr, ], c(d, m, k)), c(2, 1, 3))
    out$jacobian <- if (k == 1L) matrix(J, m, d, dimnames = list(rn, cn)) else
      array(J, c(m, d, k), dimnames = list(rn, cn, outs))
    out$jacobian_var <- matrix(v[jr], m, d, byrow = TRUE, dimnames = list(rn, cn))
    if (!is.null(C)) out$cov_joint <- C
  }
  if (!is.null(gp$levels)) {
    out$class <- factor(gp$levels[max.col(matrix(mean_rows[fr, ], m, k), ties.method = "first")],
                        levels = gp$levels)
  }
  out$x <- xn
  out$k <- k
  out$kernel <- gp$kernel
  structure(out, class = "gp_prediction")
}

#' @rdname predict.gp_fit
#' @param x A `"gp_prediction"`.
#' @param row.names,optional Unused (part of the generic).
#' @export
as.data.frame.gp_prediction <- function(x, row.names = NULL, optional = FALSE, ...) {
  m <- nrow(x$x); k <- x$k
  X <- as.data.frame(x$x)
  names(X) <- colnames(x$x) %||% paste0("x", seq_len(ncol(x$x)))
  sd <- sqrt(x$var)
  M <- matrix(x$mean, m, k)
  outs <- colnames(x$mean) %||% "1"
  one <- function(j) {
    df <- X
    if (k > 1L) df$output <- outs[j]
    df$mean <- M[, j]
    df$sd <- sd
    df$lower <- M[, j] - stats::qnorm(0.975) * sd
    df$upper <- M[, j] + stats::qnorm(0.975) * sd
    if (!is.null(x$class)) df$class <- x$class
    if (!is.null(x$jacobian)) {
      J <- if (k == 1L) x$jacobian else x$jacobian[, , j]
      J <- matrix(J, m)
      for (i in seq_len(ncol(J))) {
        df[[paste0("d", names(X)[i])]] <- J[, i]
        df[[paste0("d", names(X)[i], "_sd")]] <- sqrt(x$jacobian_var[, i])
      }
    }
    df
  }
  out <- do.call(rbind, lapply(seq_len(k), one))
  rownames(out) <- NULL
  out
}

#' @export
print.gp_prediction <- function(x, ...) {
  m <- nrow(x$x)
  parts <- c("mean", "var", if (!is.null(x$cov)) "cov", if (!is.null(x$jacobian)) c("jacobian", "jacobian_var"),
             if (!is.null(x$cov_joint)) "cov_joint", if (!is.null(x$class)) "class")
  cat(sprintf("<gp_prediction> posterior of f%s at %d input(s), %d output(s), %s prior\n",
              if (is.null(x$jacobian)) "" else " and its gradient", m, x$k, toupper(x$kernel)))
  cat(sprintf("  components: %s\n", paste(parts, collapse = ", ")))
  df <- as.data.frame(x)
  show <- min(nrow(df), 6L)
  num <- vapply(df, is.numeric, logical(1))
  df[num] <- lapply(df[num], signif, digits = 5)
  print(df[seq_len(show), , drop = FALSE], row.names = FALSE)
  if (nrow(df) > show) cat(sprintf("  ... %d more row(s)\n", nrow(df) - show))
  invisible(x)
}

# ------------------------------------------------------------ fit methods

#' @export
print.gp_fit <- function(x, ...) {
  net <- x$net
  cat(sprintf("<gp_fit> exact GP posterior, %s prior of an MLP (%s, depth %d)\n",
              if (x$kernel == "nngp") "NNGP" else "NTK (NTK-GP)", net$activation, net$depth))
  cat(sprintf("  data   : N = %d input(s) in R^%d, %d output(s)%s\n", x$N, x$d, x$k,
              if (x$gradients) sprintf(", with %d gradient observation(s)", x$N * x$d * x$k) else ""))
  cf <- coef(x)
  cat(sprintf("  scales : %s\n", paste(sprintf("%s = %.4g", names(cf), cf), collapse = ", ")))
  if (identical(x$solver, "iterative")) {
    cat(sprintf("  conjugate gradients on the %d x %d covariance (%s preconditioner): %s iteration(s), relative residual %.2g; no log marginal likelihood\n",
                x$n, x$n, x$cg$preconditioner, paste(x$cg$iterations, collapse = "/"),
                max(x$cg$residual)))
  } else {
    ll <- logLik(x)
    cat(sprintf("  log marginal likelihood %.6g (df %d, nobs %d)\n", as.numeric(ll),
                attr(ll, "df"), attr(ll, "nobs")))
    cat(sprintf("  Cholesky of the %d x %d covariance: %s, condition number %.2g (unit diagonal, estimate)\n",
                x$n, x$n, if (x$jitter > 0) sprintf("JITTER %.0e x diagonal added", x$jitter) else
                  "no jitter", 1 / x$rcond^2))
  }
  o <- x$optimisation
  if (!is.null(o) && length(o$par)) {
    cat(sprintf("  scales by evidence (%s): %d of %d start(s) reached the best%s\n",
                paste(o$par, collapse = ", "), o$agree, o$starts,
                if (length(o$at_bound)) sprintf("; at a bound: %s", paste(o$at_bound, collapse = ", ")) else ""))
  }
  if (!is.null(x$comparison)) {
    cat("  depths compared by evidence:\n")
    cmp <- x$comparison[, c("depth", "logLik", "log_bayes_factor", "agree")]
    cmp$logLik <- signif(cmp$logLik, 6); cmp$log_bayes_factor <- signif(cmp$log_bayes_factor, 4)
    print(cmp, row.names = FALSE)
  }
  cat(sprintf("  solver : %s\n", x$solver))
  invisible(x)
}

#' @rdname gp_fit
#' @param object A `"gp_fit"`.
#' @param ... Unused.
#' @return `logLik()`: the exact log marginal likelihood
#'   \eqn{\log N(z; 0, K_{XX} + D)} (summed over outputs), an object of class
#'   `"logLik"` with attributes `df` (hyperparameters fitted by evidence) and
#'   `nobs` (scalar observations: \eqn{Nk}, or \eqn{N(d+1)k} with gradients),
#'   so [AIC()] and [BIC()] work. `nobs()`: that count. `fitted()`: the
#'   posterior mean of \eqn{f} at the training inputs; `residuals()`: `y`
#'   minus it (vectors, or \eqn{N \times k} matrices). `coef()`: the scales
#'   `sigma_w`, `sigma_b`, `kappa`, `noise` (and `dy_noise`). A fit with
#'   `solver = "iterative"` has no `logLik()` (an error of class
#'   `jntk_error_unsupported`; see Large N).
#' @export
logLik.gp_fit <- function(object, ...) {
  gp_refuse_iterative(object, "`logLik()`")
  structure(object$loglik, df = object$df, nobs = nobs(object), class = "logLik")
}

#' @rdname gp_fit
#' @export
nobs.gp_fit <- function(object, ...) as.integer(object$n * object$k)

#' @rdname gp_fit
#' @export
fitted.gp_fit <- function(object, ...) {
  fr <- seq_len(object$N)
  # K a = z - (noise + jitter) a, exactly: (K + D) a = z.
  f <- object$z[fr, , drop = FALSE] - object$added[fr] * object$alpha[fr, , drop = FALSE]
  gp_shape(object, f)
}

#' @rdname gp_fit
#' @export
residuals.gp_fit <- function(object, ...) {
  gp_shape(object, object$y - matrix(fitted(object), object$N))
}

gp_shape <- function(gp, f) {
  rn <- rownames(gp$x)
  if (gp$k == 1L) return(stats::setNames(as.vector(f), rn))
  dimnames(f) <- list(rn, gp_output_names(gp))
  f
}

#' @rdname gp_fit
#' @export
coef.gp_fit <- function(object, ...) {
  net <- object$net
  cf <- c(sigma_w = net$sigma_w, sigma_b = net$sigma_b, kappa = net$kappa, noise = object$noise)
  if (object$gradients) cf <- c(cf, dy_noise = object$dy_noise)
  cf
}

#' @rdname gp_fit
#' @export
summary.gp_fit <- function(object, ...) {
  o <- object$optimisation
  cf <- coef(object)
  tab <- data.frame(value = cf, by_evidence = names(cf) %in% o$par,
                    at_bound = names(cf) %in% o$at_bound)
  if (object$gradients && object$tied) tab["dy_noise", "by_evidence"] <- "noise" %in% o$par
  loo <- gp_loo(object)
  structure(list(fit = object, coefficients = tab, logLik = logLik(object),
                 AIC = stats::AIC(object), BIC = stats::BIC(object), loo = loo,
                 loo_rmse = sqrt(mean(loo$residual^2)),
                 loo_z2 = mean(loo$residual^2 / loo$var)),
            class = "summary.gp_fit")
}

#' @export
print.summary.gp_fit <- function(x, ...) {
  print(x$fit)
  cat("\nScales:\n")
  print(x$coefficients)
  cat(sprintf("\nlogLik %.6g, AIC %.6g, BIC %.6g\n", as.numeric(x$logLik), x$AIC, x$BIC))
  cat(sprintf(paste0("Leave-one-value-out (Rasmussen & Williams eq. 5.12%s): RMSE %.4g, ",
                     "mean squared standardised residual %.3g (about 1 if calibrated)\n"),
              if (x$fit$gradients) "; the gradients at the left-out point stay in" else "",
              x$loo_rmse, x$loo_z2))
  if (!is.null(x$fit$optimisation)) {
    cat("\nEvidence optimisation (one row per start):\n")
    print(x$fit$optimisation$table, digits = 5)
  }
  invisible(x)
}

# Leave-one-out predictive law of each observed value (not gradient) from
# the inverse covariance: mean y_i - a_i / [K^-1]_ii, variance 1 / [K^-1]_ii
# (Rasmussen and Williams 2006, eq. 5.12; the variance includes the noise).
gp_loo <- function(gp) {
  gp_refuse_iterative(gp, "The leave-one-out diagnostic (summary(), plot() for d > 1)")
  fr <- seq_len(gp$N)
  Kinv_d <- diag(chol2inv(gp$chol))[fr]
  res <- gp$alpha[fr, , drop = FALSE] / Kinv_d
  data.frame(point = rep(fr, gp$k), output = rep(seq_len(gp$k), each = gp$N),
             observed = as.vector(gp$z[fr, ]), mean = as.vector(gp$z[fr, ] - res),
             residual = as.vector(res), var = rep(1 / Kinv_d, gp$k))
}

#' Plot a Gaussian-process fit
#'
#' For one-dimensional inputs, the posterior mean of \eqn{f} with its 95 %
#' band and the data; gradient observations are drawn as short line segments
#' with the observed slope through the observed values. For \eqn{d > 1}, the
#' leave-one-out predictions of the observed values against the values, with
#' 95 % intervals (the standard kriging diagnostic).
#'
#' @param x A [gp_fit()].
#' @param output Which output to draw (for \eqn{k > 1}).
#' @param n Number of grid points (one-dimensional inputs).
#' @param xlim Range of the grid (default: the data's range plus 10 %).
#' @param main,xlab,ylab Title and axis labels.
#' @param ... Passed to [plot()].
#' @return `x`, invisibly.
#' @seealso [gp_fit()], [predict.gp_fit()].
#' @examples
#' net <- mlp(depth = 2, activation = "erf", sigma_w = 1.5, sigma_b = 0.2)
#' x <- c(-2, -1.2, 0.1, 0.8, 2)
#' plot(gp_fit(net, x, sin(2 * x), dy = 2 * cos(2 * x), noise = 1e-6))
#' @export
plot.gp_fit <- function(x, output = 1L, n = 200L, xlim = NULL, main = NULL, xlab = NULL,
                        ylab = NULL, ...) {
  gp <- x
  output <- check_number(output, "output", lower = 1, upper = gp$k, integer = TRUE)
  n <- check_resolution(n, "n")
  xlim <- check_range(xlim, "xlim")
  if (gp$d > 1L) return(invisible(gp_plot_loo(gp, output, main, xlab, ylab, ...)))
  xs <- gp$x[, 1]
  if (is.null(xlim)) xlim <- range(xs) + c(-0.1, 0.1) * max(diff(range(xs)), 1)
  grid <- seq(xlim[1], xlim[2], length.out = n)
  p <- predict(gp, matrix(grid, ncol = 1L))
  mu <- matrix(p$mean, n)[, output]
  half <- stats::qnorm(0.975) * sqrt(p$var)
  y <- gp$y[, output]
  ylim <- range(mu - half, mu + half, y)
  ylim[2] <- ylim[2] + 0.25 * diff(ylim)                       # room for the legend
  nm <- colnames(gp$x) %||% "x"
  graphics::plot(grid, mu, type = "n", xlim = xlim, ylim = ylim,
                 main = main %||% sprintf("GP posterior, %s prior (%s, depth %d)",
                                          toupper(gp$kernel), gp$net$activation, gp$net$depth),
                 xlab = xlab %||% nm, ylab = ylab %||% "f(x)", ...)
  graphics::polygon(c(grid, rev(grid)), c(mu - half, rev(mu + half)),
                    col = grDevices::adjustcolor("steelblue", 0.25), border = NA)
  graphics::lines(grid, mu, col = "steelblue4", lwd = 2)
  if (gp$gradients) {
    h <- 0.04 * diff(xlim)
    s <- gp$dy[, 1, output]
    graphics::segments(xs - h, y - h * s, xs + h, y + h * s, col = "firebrick", lwd = 2)
  }
  graphics::points(xs, y, pch = 19, cex = 0.8)
  graphics::legend("top", bty = "n", ncol = 2,
                   legend = c("posterior mean", "95 % band of f", "observed value",
                              if (gp$gradients) "observed gradient"),
                   col = c("steelblue4", grDevices::adjustcolor("steelblue", 0.25), "black",
                           if (gp$gradients) "firebrick"),
                   lwd = c(2, 8, NA, if (gp$gradients) 2), pch = c(NA, NA, 19, if (gp$gradients) NA))
  invisible(gp)
}

gp_plot_loo <- function(gp, output, main, xlab, ylab, ...) {
  loo <- gp_loo(gp)
  loo <- loo[loo$output == output, ]
  half <- stats::qnorm(0.975) * sqrt(loo$var)
  lim <- range(loo$observed, loo$mean - half, loo$mean + half)
  graphics::plot(loo$observed, loo$mean, xlim = lim, ylim = lim, pch = 19, cex = 0.8,
                 main = main %||% sprintf("Leave-one-out predictions, %s prior (d = %d)",
                                          toupper(gp$kernel), gp$d),
                 xlab = xlab %||% "observed value", ylab = ylab %||% "leave-one-out mean", ...)
  graphics::segments(loo$observed, loo$mean - half, loo$observed, loo$mean + half, col = "grey50")
  graphics::abline(0, 1, lty = 2)
  graphics::legend("topleft", bty = "n", legend = c("LOO mean", "95 % interval of y", "y = x"),
                   pch = c(19, NA, NA), lty = c(NA, 1, 2), col = c("black", "grey50", "black"))
  gp
}
