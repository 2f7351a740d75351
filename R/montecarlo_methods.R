# Methods of Monte Carlo and convergence results (R/montecarlo.R computes
# them): plot with the theory's slope, several studies in one panel,
# summaries against the theory, long data frames.

#' Plot kernel convergence against width
#'
#' Log-log plot of the mean max-norm error against the width, with the
#' bootstrap 95 % band, the individual repetitions, the fitted power law and,
#' for reference, a line of the theory's slope \eqn{-1/2} (fluctuations of
#' order \eqn{n^{-1/2}}). Several results (depths, activations, kernels) go
#' into one panel in one call: `plot(cv1, cv2, cv3)`, or
#' `do.call(plot, list_of_results)`; the legend then names what differs
#' between them.
#'
#' `add = TRUE` adds the curves to the convergence panel drawn last: the panel
#' is redrawn with all its curves and the axes widened to fit (anything else
#' drawn into it by hand is lost). When the current panel is not a
#' convergence plot the curves are drawn into its axes as they are.
#'
#' @param x A `"jntk_convergence"` object from [kernel_convergence()].
#' @param ... Further `"jntk_convergence"` objects (or lists of them) to draw
#'   in the same panel, and graphical parameters passed to
#'   [graphics::plot.default()] (e.g. `main`, `ylim`).
#' @param col Colours, one per curve (default: the package's colour-blind-safe
#'   palette).
#' @param label Legend labels, one per curve (default: the kernel, activation
#'   and depth, as far as they differ between the curves).
#' @param add Add to the convergence panel drawn last, widening its axes.
#' @param reference Draw the reference line of slope \eqn{-1/2}.
#' @param repetitions Draw the individual repetitions (default: for one
#'   curve only).
#' @param legend `"auto"` (default: where it covers no data, above them if
#'   need be), a keyword of [graphics::legend()], or `NULL` for none.
#' @return `x`, invisibly.
#' @seealso [kernel_convergence()], [summary.jntk_convergence()],
#'   [as.data.frame.jntk_convergence()].
#' @examples
#' set.seed(1)
#' cv1 <- kernel_convergence(mlp(1, "erf"), diag(2), widths = c(16, 64, 256), n_rep = 3,
#'                           kernel = "ntk", n_boot = 200)
#' cv2 <- kernel_convergence(mlp(2, "erf"), diag(2), widths = c(16, 64, 256), n_rep = 3,
#'                           kernel = "ntk", n_boot = 200)
#' plot(cv1)
#' plot(cv1, cv2)                 # depths 1 and 2 in one panel
#' @export
plot.jntk_convergence <- function(x, ..., col = NULL, label = NULL, add = FALSE,
                                  reference = TRUE, repetitions = NULL, legend = "auto") {
  dots <- list(...)
  is_cv <- vapply(dots, function(d) inherits(d, "jntk_convergence") ||
                    (is.list(d) && !is.object(d) && length(d) > 0L &&
                       all(vapply(d, inherits, TRUE, "jntk_convergence"))), TRUE)
  cvs <- c(list(x), do.call(c, lapply(dots[is_cv], function(d) if (inherits(d, "jntk_convergence")) list(d) else d)))
  gpar <- dots[!is_cv]
  add <- check_flag(add, "add")
  reference <- check_flag(reference, "reference")
  if (!is.null(repetitions)) repetitions <- check_flag(repetitions, "repetitions")
  legend <- check_legend(legend)
  n_new <- length(cvs)
  if (!is.null(label) && length(label) != n_new) {
    jntk_abort(sprintf("`label` must have one entry per curve (%d), not %d.", n_new, length(label)),
               class = "jntk_error_argument")
  }
  if (!is.null(col) && length(col) != n_new) {
    jntk_abort(sprintf("`col` must have one colour per curve (%d), not %d.", n_new, length(col)),
               class = "jntk_error_argument")
  }
  rec <- if (add) convergence_record() else NULL
  if (add && is.null(rec)) {
    # not a convergence panel: draw into the current axes as they are
    cols <- col %||% jntk_palette(n_new)
    for (i in seq_along(cvs)) draw_convergence(cvs[[i]], cols[i], isTRUE(repetitions))
    return(invisible(x))
  }
  if (!is.null(rec)) {
    cvs <- c(rec$cvs, cvs)
    col <- c(rec$col, col %||% jntk_palette(length(cvs))[length(rec$cvs) + seq_len(n_new)])
    label <- if (is.null(label) && is.null(rec$label)) NULL else
      c(rec$label %||% convergence_labels(rec$cvs), label %||% convergence_labels(cvs)[length(rec$cvs) + seq_len(n_new)])
    gpar <- utils::modifyList(rec$gpar, gpar)
    reference <- rec$reference
    # wipe the panel (its figure region) and draw it again in the same place
    graphics::par(xpd = NA)
    graphics::rect(graphics::grconvertX(0, "nfc", "user"), graphics::grconvertY(0, "nfc", "user"),
                   graphics::grconvertX(1, "nfc", "user"), graphics::grconvertY(1, "nfc", "user"),
                   col = if (graphics::par("bg") %in% c("transparent", NA)) "white" else graphics::par("bg"),
                   border = NA)
    graphics::par(xpd = FALSE, new = TRUE)
  }
  cols <- col %||% jntk_palette(length(cvs))
  labs <- label %||% convergence_labels(cvs)
  show_reps <- repetitions %||% (length(cvs) == 1L)
  occ <- list()
  for (cv in cvs) {
    s <- cv$summary
    occ <- c(occ, occupied(s$width, s$mean), occupied(s$width, pmax(s$lower, 0), s$upper, type = "band"))
    if (show_reps) occ <- c(occ, occupied(cv$errors$width, cv$errors$error, type = "points"))
  }
  ref <- if (reference) convergence_reference(cvs) else NULL
  if (!is.null(ref)) occ <- c(occ, occupied(ref$x, ref$y))
  allw <- unlist(lapply(cvs, function(cv) cv$summary$width))
  ally <- unlist(lapply(cvs, function(cv) c(cv$summary$lower, cv$summary$upper, cv$summary$mean,
                                            if (show_reps) cv$errors$error)))
  ally <- ally[is.finite(ally) & ally > 0]
  kinds <- unique(vapply(cvs, `[[`, "", "kernel"))
  leg <- list(
    legend = c(sprintf("%s: slope %.2f (s.e. %.2f)", labs, vapply(cvs, `[[`, 0, "slope"),
                       vapply(cvs, `[[`, 0, "slope_se")),
               "bootstrap 95 % band of the mean", "fitted power law",
               if (!is.null(ref)) "slope -1/2 (theory)"),
    col = c(cols, "grey60", "grey30", if (!is.null(ref)) "grey45"),
    lty = c(rep(1, length(cvs)), NA, 2, if (!is.null(ref)) 3),
    lwd = c(rep(1.5, length(cvs)), NA, 1, if (!is.null(ref)) 2),
    pch = c(rep(19, length(cvs)), 15, NA, if (!is.null(ref)) NA),
    pt.cex = c(rep(1, length(cvs)), 2, 1, if (!is.null(ref)) 1))
  defaults <- list(x = range(allw), y = range(ally), type = "n", log = "xy", xlim = range(allw),
                   ylim = range(ally), xlab = "width n (every hidden layer)",
                   ylab = expression(max[ij] ~ "|" * hat(K)[ij] - K[ij] * "|" / kappa^2),
                   main = convergence_title(cvs, kinds))
  draw_legend <- plot_panel(defaults, gpar, occ, if (is.null(legend)) NULL else leg,
                            position = if (is.null(legend)) NULL else legend)
  if (!is.null(ref)) graphics::lines(ref$x, ref$y, lty = 3, lwd = 2, col = "grey45")
  for (i in seq_along(cvs)) draw_convergence(cvs[[i]], cols[i], show_reps)
  draw_legend()
  .jntk_cache$convergence_panel <- list(
    device = grDevices::dev.cur(), mfg = graphics::par("mfg"), usr = graphics::par("usr"),
    cvs = cvs, col = cols, label = label, gpar = gpar, reference = reference)
  invisible(x)
}

# One curve: band, repetitions, mean, fitted power law.
draw_convergence <- function(cv, col, reps) {
  s <- cv$summary
  e <- cv$errors
  band <- grDevices::adjustcolor(col, alpha.f = 0.25)
  ok <- s$lower > 0
  if (sum(ok) >= 2) {
    graphics::polygon(c(s$width[ok], rev(s$width[ok])), c(s$lower[ok], rev(s$upper[ok])),
                      col = band, border = NA)
  }
  if (reps) graphics::points(e$width[e$error > 0], e$error[e$error > 0], pch = 20, cex = 0.5, col = band)
  graphics::lines(s$width, s$mean, type = "b", pch = 19, col = col, lwd = 1.5)
  if (is.finite(cv$slope)) {
    ww <- range(s$width)
    graphics::lines(ww, exp(cv$intercept) * ww^cv$slope, lty = 2, col = col)
  }
}

# The theory's slope -1/2 through the geometric centre of the first curve.
convergence_reference <- function(cvs) {
  s <- cvs[[1]]$summary
  ok <- s$mean > 0
  if (sum(ok) < 1L) return(NULL)
  w <- range(unlist(lapply(cvs, function(cv) cv$summary$width)))
  lw <- mean(log(s$width[ok])); le <- mean(log(s$mean[ok]))
  list(x = w, y = exp(le - 0.5 * (log(w) - lw)))
}

# The record of the last convergence panel, if it is the current one.
convergence_record <- function() {
  rec <- .jntk_cache$convergence_panel
  if (is.null(rec) || grDevices::dev.cur() == 1L || rec$device != grDevices::dev.cur()) return(NULL)
  if (!identical(rec$mfg, graphics::par("mfg")) || !isTRUE(all.equal(rec$usr, graphics::par("usr")))) {
    return(NULL)
  }
  rec
}

# Labels naming what differs between the curves (all of it for one curve).
convergence_labels <- function(cvs) {
  parts <- data.frame(
    kernel = vapply(cvs, function(cv) kind_label(cv$kernel), ""),
    activation = vapply(cvs, function(cv) cv$net$activation, ""),
    depth = vapply(cvs, function(cv) sprintf("depth %d", cv$net$depth), ""),
    stringsAsFactors = FALSE)
  vary <- vapply(parts, function(p) length(unique(p)) > 1L, TRUE)
  if (!any(vary)) vary[] <- length(cvs) == 1L
  if (!any(vary)) return(sprintf("curve %d", seq_along(cvs)))
  do.call(paste, c(unname(parts[vary]), sep = ", "))
}

convergence_title <- function(cvs, kinds) {
  what <- if (length(kinds) == 1L) sprintf("the %s", kind_label(kinds)) else "the kernels"
  acts <- unique(vapply(cvs, function(cv) cv$net$activation, ""))
  depths <- unique(vapply(cvs, function(cv) cv$net$depth, 0L))
  extra <- c(if (length(acts) == 1L) acts, if (length(depths) == 1L) sprintf("depth %d", depths))
  sprintf("Convergence of %s to the limit%s", what,
          if (length(extra)) paste0(" (", paste(extra, collapse = ", "), ")") else "")
}

# "NTK", "Jacobian NNGP", ... for kind names (vectorised).


#' Summaries and data frames of kernel convergence studies
#'
#' `summary()` tabulates the error per width (mean, standard deviation over
#' the repetitions, bootstrap interval) and tests the fitted log-log slope
#' against the theory's \eqn{-1/2}; `as.data.frame()` returns the results in
#' long format (one row per width and repetition, or per width with
#' `what = "summary"`), with the kernel, activation and depth as columns, ready
#' for ggplot2 or for binding several studies with [rbind()].
#'
#' @param object,x A `"jntk_convergence"` object from [kernel_convergence()].
#' @param row.names,optional Unused (for the generic).
#' @param what `"errors"` (one row per network) or `"summary"` (one row per
#'   width).
#' @param ... Unused.
#' @return `summary()`: an object of class `"summary.jntk_convergence"`, a list
#'   with `table` (width, mean, sd, lower, upper, n_rep), `slope`, `slope_se`,
#'   `slope_interval` (a 95 % normal interval), `z` (the slope's distance from
#'   \eqn{-1/2} in standard errors), `kernel`, `net`. `as.data.frame()`: a data
#'   frame with columns `kernel`, `activation`, `depth`, `width` and `rep`,
#'   `error` (or `mean`, `lower`, `upper`).
#' @seealso [kernel_convergence()], [plot.jntk_convergence()].
#' @examples
#' set.seed(1)
#' cv <- kernel_convergence(mlp(1, "erf"), diag(2), widths = c(16, 64, 256), n_rep = 3,
#'                          kernel = "ntk", n_boot = 200)
#' summary(cv)
#' head(as.data.frame(cv))
#' @export
summary.jntk_convergence <- function(object, ...) {
  s <- object$summary
  e <- object$errors
  sdv <- vapply(s$width, function(w) stats::sd(e$error[e$width == w]), 0)
  tab <- data.frame(width = s$width, mean = s$mean, sd = sdv, lower = s$lower, upper = s$upper,
                    n_rep = as.integer(table(factor(e$width, levels = s$width))))
  structure(list(table = tab, slope = object$slope, slope_se = object$slope_se,
                 slope_interval = object$slope + c(-1, 1) * stats::qnorm(0.975) * object$slope_se,
                 z = (object$slope + 0.5) / object$slope_se, kernel = object$kernel, net = object$net,
                 n_inputs = object$n_inputs),
            class = "summary.jntk_convergence")
}

#' @export
print.summary.jntk_convergence <- function(x, ...) {
  cat(sprintf("<summary.jntk_convergence> %s of a depth-%d %s network at %d inputs\n",
              kind_label(x$kernel), x$net$depth, x$net$activation, x$n_inputs))
  tab <- x$table
  tab[c("mean", "sd", "lower", "upper")] <- lapply(tab[c("mean", "sd", "lower", "upper")], signif, 3)
  print(tab, row.names = FALSE)
  if (is.finite(x$slope)) {
    verdict <- if (abs(x$z) <= 2) "consistent with" else if (x$z > 0) "shallower than" else "steeper than"
    cat(sprintf("  log-log slope %.3f, 95%% interval [%.3f, %.3f]: %s the theory's -1/2 (%.1f s.e. away)\n",
                x$slope, x$slope_interval[1], x$slope_interval[2], verdict, abs(x$z)))
  } else {
    cat("  no slope: some errors are zero\n")
  }
  invisible(x)
}

#' @rdname summary.jntk_convergence
#' @export
as.data.frame.jntk_convergence <- function(x, row.names = NULL, optional = FALSE,
                                           what = c("errors", "summary"), ...) {
  what <- check_choice(what, c("errors", "summary"), "what")
  tab <- if (what == "errors") x$errors else x$summary
  data.frame(kernel = x$kernel, activation = x$net$activation, depth = x$net$depth, tab,
             stringsAsFactors = FALSE)
}

#' Summarise a Monte Carlo estimate against the limit
#'
#' How the estimate's entries sit around a reference (normally the analytic
#' limit, e.g. `jacobian_nngp(net, x)`): the standardised differences
#' \eqn{z = (\hat K - K)/\mathrm{s.e.}} and the fraction of entries within 1, 2
#' and 3 standard errors, beside what an unbiased Gaussian estimate would give
#' (68.3 %, 95.4 %, 99.7 %). Two things move the observed fractions away
#' from these: the entries are correlated (all come from the same networks),
#' so the fractions fluctuate between seeds by more than independent entries
#' would; and finite networks are biased by \eqn{O(1/n)} at width \eqn{n},
#' which shows as a mean \eqn{z} away from 0 that does not shrink with more
#' samples (it shrinks with the width).
#'
#' @param object A `"jntk_monte_carlo"` object from [monte_carlo()].
#' @param limit The reference matrix (same dimensions as the estimate), or
#'   `NULL` for a summary of the standard errors alone.
#' @param ... Unused.
#' @return An object of class `"summary.jntk_monte_carlo"`: a list with
#'   `max_abs_diff`, `max_std_error`, `coverage` (a data frame of `within`
#'   1, 2, 3 s.e., `observed` and `gaussian` fractions) and `mean_z`, or
#'   only the standard-error summary when `limit` is `NULL`.
#' @seealso [monte_carlo()], [kernel_convergence()].
#' @examples
#' set.seed(1)
#' net <- mlp(1, "erf")
#' x <- rbind(c(1, 0), c(0.6, 0.8))
#' mc <- monte_carlo(net, x, width = 64, n_samples = 200, kernel = "nngp")
#' summary(mc, limit = nngp(net, x))
#' @export
summary.jntk_monte_carlo <- function(object, limit = NULL, ...) {
  se <- object$std_error
  out <- list(kernel = object$kernel, n_samples = object$n_samples, width = object$width,
              max_std_error = max(se), median_relative_se = stats::median(se / pmax(abs(object$estimate), 1e-300)))
  if (!is.null(limit)) {
    limit <- as.matrix(limit)
    if (!is.numeric(limit) || !identical(dim(limit), dim(object$estimate)) || any(!is.finite(limit))) {
      jntk_abort(sprintf("`limit` must be a finite %d x %d matrix like the estimate (e.g. the analytic kernel at the same inputs).",
                         nrow(object$estimate), ncol(object$estimate)), class = "jntk_error_argument")
    }
    diff <- object$estimate - limit
    pos <- se > 0
    z <- diff[pos] / se[pos]
    k <- 1:3
    out$max_abs_diff <- max(abs(diff))
    out$coverage <- data.frame(within = k, observed = vapply(k, function(m) mean(abs(z) <= m), 0),
                               gaussian = 2 * stats::pnorm(k) - 1)
    out$mean_z <- mean(z)
    out$n_exact <- sum(!pos)
  }
  structure(out, class = "summary.jntk_monte_carlo")
}

#' @export
print.summary.jntk_monte_carlo <- function(x, ...) {
  cat(sprintf("<summary.jntk_monte_carlo> %s from %d networks of width %s\n",
              x$kernel, x$n_samples, paste(unique(x$width), collapse = "/")))
  cat(sprintf("  standard error: max %.3g, median %.2g%% of |estimate|\n", x$max_std_error,
              100 * x$median_relative_se))
  if (!is.null(x$coverage)) {
    cat(sprintf("  against the limit: max |estimate - limit| = %.3g; mean z = %.2f (0 without bias)\n",
                x$max_abs_diff, x$mean_z))
    cv <- x$coverage
    cat(sprintf("  entries within %d s.e.: %5.1f%% (unbiased Gaussian: %.1f%%)\n", cv$within,
                100 * cv$observed, 100 * cv$gaussian), sep = "")
    cat("  (entries from the same networks are correlated, so these fractions vary between seeds;\n",
        "   an O(1/width) bias shows as a mean z away from 0)\n", sep = "")
  }
  invisible(x)
}
