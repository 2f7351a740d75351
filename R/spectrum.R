# Spectra of kernel Gram matrices: the smallest eigenvalue of the NTK and
# JNTK against depth (Kim and Yang 2024, Assumption 4.4 and Section 5) and
# plots of spectra.

#' Smallest eigenvalue of the NTK or JNTK Gram matrix
#'
#' The smallest eigenvalue of the \eqn{\kappa^2}-scaled limiting NTK
#' (\eqn{N \times N}) or JNTK (\eqn{N(d+1) \times N(d+1)}) Gram matrix on the
#' inputs `x`: Kim and Yang's Assumption 4.4 (a positive smallest eigenvalue)
#' decides whether Jacobian-regularised training converges to the kernel
#' regressor. Computed by LAPACK `dsyevr`; rounding makes values below about
#' `n * .Machine$double.eps * max_eigenvalue` indistinguishable from zero.
#'
#' @param net An architecture from [mlp()].
#' @param x Inputs, an \eqn{N \times d} matrix.
#' @param kernel `"ntk"` or `"jntk"` (or both, for a table).
#' @param depth `NULL` to use `net$depth`, or a vector of depths (the other
#'   settings of `net` are kept) for a depth study.
#' @param threads Number of threads for the kernels.
#' @return With one depth and one kernel, a number; otherwise a data frame with
#'   columns `depth`, `kernel`, `activation`, `min_eigenvalue`,
#'   `max_eigenvalue` and `tolerance` (the numerical-rank threshold
#'   `n * eps * max_eigenvalue`), ready for [plot_min_eigenvalue()].
#' @examples
#' x <- rbind(c(1, 0), c(0.6, 0.8), c(-0.8, 0.6))
#' min_eigenvalue(mlp(2, "erf"), x)
#' min_eigenvalue(mlp(1, "erf"), x, kernel = c("ntk", "jntk"), depth = 1:3)
#' @export
min_eigenvalue <- function(net, x, kernel = c("ntk", "jntk"), depth = NULL,
                           threads = default_threads()) {
  check_mlp(net)
  x <- as_input_matrix(x, "x", net_input_dim(net))
  kernel <- if (missing(kernel)) "ntk" else spectrum_kernels(kernel)
  threads <- check_threads(threads)
  single <- is.null(depth) && length(kernel) == 1L
  if (is.null(depth)) depth <- net$depth
  if (!is.numeric(depth) || !length(depth) || anyNA(depth) || any(depth < 0) ||
      any(depth != round(depth))) {
    jntk_abort("`depth` must be NULL or a vector of whole numbers >= 0 (numbers of hidden layers).",
               class = "jntk_error_argument")
  }
  rows <- list()
  for (L in depth) {
    netL <- mlp(depth = L, activation = net$activation, sigma_w = net$sigma_w,
                sigma_b = net$sigma_b, kappa = net$kappa, slope = net$slope,
                quadrature_degree = net$quadrature_degree, input_dim = net$input_dim)
    for (kn in kernel) {
      K <- if (kn == "ntk") dense_kernel(ntk(netL, x, threads = threads)) else
        dense_kernel(jntk(netL, x, threads = threads))
      ev <- .Call(C_dynamics_eigen, (K + t(K)) / 2, 0L)$values
      rows[[length(rows) + 1L]] <- data.frame(
        depth = as.integer(L), kernel = kn, activation = net$activation,
        min_eigenvalue = min(ev), max_eigenvalue = max(ev),
        tolerance = nrow(K) * .Machine$double.eps * max(abs(ev)), stringsAsFactors = FALSE)
    }
  }
  out <- do.call(rbind, rows)
  if (single) return(out$min_eigenvalue)
  out
}

spectrum_kernels <- function(kernel) {
  if (!is.character(kernel) || !length(kernel) || anyNA(kernel) ||
      !all(kernel %in% c("ntk", "jntk"))) {
    jntk_abort("`kernel` must be \"ntk\", \"jntk\" or both.", class = "jntk_error_argument")
  }
  unique(kernel)
}

spectrum_values <- function(x, name) {
  if (is.matrix(x)) {
    if (!is.numeric(x) || nrow(x) != ncol(x) || any(!is.finite(x))) {
      jntk_abort(sprintf("`%s` must be a finite square (kernel) matrix or a vector of eigenvalues.", name),
                 class = "jntk_error_argument")
    }
    asym <- max(abs(x - t(x))) / max(1e-300, max(abs(x)))
    if (asym > 1e-8) {
      jntk_abort(sprintf("`%s` is not symmetric (relative asymmetry %.2g); a kernel matrix is.", name, asym),
                 class = "jntk_error_argument")
    }
    return(eigen((x + t(x)) / 2, symmetric = TRUE, only.values = TRUE)$values)
  }
  if (!is.numeric(x) || length(x) < 1L || any(!is.finite(x))) {
    jntk_abort(sprintf("`%s` must be a finite square (kernel) matrix or a vector of eigenvalues.", name),
               class = "jntk_error_argument")
  }
  sort(as.double(x), decreasing = TRUE)
}

#' Plot eigenvalue spectra of kernel matrices
#'
#' Draws the eigenvalues of one or several kernel (Gram) matrices in decreasing
#' order on a logarithmic scale: how fast they decay says which functions
#' gradient descent fits quickly (Jacot et al. 2018, Section 5: convergence is
#' fastest along the leading kernel principal components) and how well
#' conditioned the Gram matrix is (Kim and Yang 2024, Assumption 4.4).
#'
#' Eigenvalues \eqn{\le 0} (a singular matrix, or rounding) cannot be drawn on
#' a log scale; they are left out and counted in the returned list and the
#' legend.
#'
#' @param x A symmetric kernel matrix, a vector of eigenvalues, or a named list
#'   of either (one spectrum per element).
#' @param normalise If `TRUE`, divide each spectrum by its sum (the trace), so
#'   that kernels of different scales can be compared.
#' @param n_max Draw at most this many leading eigenvalues per spectrum.
#' @param log Which axes are logarithmic: `"y"` (default) or `"xy"`.
#' @param legend `"auto"` (default: where it covers no data, above them if
#'   need be), a keyword of [graphics::legend()], or `NULL` for none.
#' @param ... Further graphical parameters passed to [graphics::plot()].
#' @return Invisibly, a named list of the eigenvalues of each spectrum in
#'   decreasing order (all of them, also the non-positive ones, before
#'   normalisation), with attribute `"n_nonpositive"`.
#' @seealso [eigen()], [plot_min_eigenvalue()].
#' @examples
#' x <- unit_circle(30)
#' K1 <- ntk(mlp(1, "relu", sigma_b = 0.1), x)
#' K3 <- ntk(mlp(3, "relu", sigma_b = 0.1), x)
#' ev <- plot_spectrum(list("depth 1" = K1, "depth 3" = K3), normalise = TRUE)
#' head(ev[["depth 3"]])
#' @export
plot_spectrum <- function(x, normalise = FALSE, n_max = Inf, log = "y", legend = "auto", ...) {
  normalise <- check_flag(normalise, "normalise")
  if (!identical(n_max, Inf)) n_max <- check_number(n_max, "n_max", lower = 1, integer = TRUE)
  if (!(identical(log, "y") || identical(log, "xy"))) {
    jntk_abort("`log` must be \"y\" or \"xy\".", class = "jntk_error_argument")
  }
  if (!is.list(x)) x <- list(spectrum = x)
  if (length(x) < 1L) {
    jntk_abort("`x` is an empty list; give at least one kernel matrix or vector of eigenvalues.",
               class = "jntk_error_argument")
  }
  if (is.null(names(x))) names(x) <- paste("spectrum", seq_along(x))
  nm <- names(x)
  nm[!nzchar(nm)] <- paste("spectrum", which(!nzchar(nm)))
  names(x) <- nm
  ev <- Map(spectrum_values, x, sprintf("x[[\"%s\"]]", nm))
  names(ev) <- nm
  n_nonpos <- vapply(ev, function(v) sum(v <= 0), integer(1))
  shown <- lapply(ev, function(v) {
    s <- if (normalise) v / sum(v) else v
    s <- s[seq_len(min(length(s), n_max))]
    idx <- seq_along(s)
    keep <- s > 0
    list(i = idx[keep], v = s[keep])
  })
  if (all(vapply(shown, function(s) length(s$v) == 0L, TRUE))) {
    jntk_abort("No spectrum has a positive eigenvalue, so there is nothing to draw on a log scale.",
               class = "jntk_error_argument")
  }
  cols <- jntk_palette(length(ev))
  pchs <- c(16, 17, 15, 18, 1, 2, 0, 5)[(seq_along(ev) - 1L) %% 8L + 1L]
  yr <- range(unlist(lapply(shown, `[[`, "v")))
  xr <- c(1, max(unlist(lapply(shown, `[[`, "i"))))
  few <- max(lengths(lapply(shown, `[[`, "v"))) <= 60L
  occ <- do.call(c, lapply(shown, function(s) occupied(s$i, s$v)))
  leg <- NULL
  if (!is.null(legend) && (length(ev) > 1L || any(n_nonpos > 0L))) {
    lab <- ifelse(n_nonpos > 0L, sprintf("%s (%d eigenvalue(s) <= 0 not shown)", nm, n_nonpos), nm)
    leg <- list(legend = lab, col = cols, lty = 1, pch = if (few) pchs else NA)
  }
  defaults <- list(x = xr, y = yr, type = "n", log = log, xlim = xr, ylim = yr,
                   xlab = expression("index" ~ k ~ "(eigenvalues in decreasing order)"),
                   ylab = if (normalise) expression(lambda[k] / tr(K)) else expression(lambda[k]),
                   main = "Kernel eigenvalue spectrum")
  draw_legend <- plot_panel(defaults, list(...), occ, leg, position = legend)
  for (j in seq_along(shown)) {
    s <- shown[[j]]
    if (!length(s$v)) next
    graphics::lines(s$i, s$v, col = cols[j])
    if (few) graphics::points(s$i, s$v, col = cols[j], pch = pchs[j], cex = 0.8)
  }
  draw_legend()
  attr(ev, "n_nonpositive") <- n_nonpos
  invisible(ev)
}

#' Plot the smallest kernel eigenvalue against depth
#'
#' The smallest eigenvalue of the Gram matrix on the training set decides
#' whether the infinite-width training dynamics converge (Jacot et al. 2018,
#' Section 4; Kim and Yang 2024, Assumption 4.4: the JNTK Gram matrix must be
#' positive definite). Kim and Yang (2024, Section 5) draw it against depth
#' for erf and gelu networks, for the JNTK and the NTK.
#'
#' @param data A data frame with a column `depth`, a column of smallest
#'   eigenvalues (the first of `min_eigenvalue`, `lambda_min`, `value` that is
#'   present), optional grouping columns `kernel` and `activation`, and an
#'   optional column `tolerance` (values at or below it are drawn as open
#'   symbols: zero to rounding), e.g. the data frames of [min_eigenvalue()]
#'   for several activations bound together with [rbind()].
#' @param floor Eigenvalues at or below `floor` (zero or negative: singular to
#'   rounding) are drawn at `floor` with an open symbol, since the axis is
#'   logarithmic. By default \eqn{10^{-3}} times the smallest positive value.
#' @param legend `"auto"` (default: where it covers no data, above them if
#'   need be), a keyword of [graphics::legend()], or `NULL` for none.
#' @param ... Further graphical parameters passed to [graphics::plot()].
#' @return Invisibly, `data` with the columns `group` (the curve each row
#'   belongs to), `shown` (the value drawn, after the floor) and `zero`
#'   (whether it was drawn as zero to rounding).
#' @seealso [plot_spectrum()].
#' @examples
#' x <- sphere_points(12, 3)
#' ev <- rbind(min_eigenvalue(mlp(1, "erf"), x, kernel = c("ntk", "jntk"), depth = 1:4),
#'             min_eigenvalue(mlp(1, "gelu"), x, kernel = c("ntk", "jntk"), depth = 1:4))
#' out <- plot_min_eigenvalue(ev)
#' out[, c("depth", "kernel", "activation", "min_eigenvalue", "zero")]
#' @export
plot_min_eigenvalue <- function(data, floor = NULL, legend = "auto", ...) {
  if (!is.data.frame(data) || nrow(data) < 1L || !"depth" %in% names(data)) {
    jntk_abort("`data` must be a data frame with a `depth` column and a column of smallest eigenvalues (`min_eigenvalue`).",
               class = "jntk_error_argument")
  }
  vcol <- intersect(c("min_eigenvalue", "lambda_min", "value"), names(data))[1]
  if (is.na(vcol)) {
    jntk_abort(sprintf("`data` has no column of eigenvalues; name it `min_eigenvalue` (it has: %s).",
                       paste(names(data), collapse = ", ")), class = "jntk_error_argument")
  }
  val <- data[[vcol]]
  if (!is.numeric(val) || anyNA(val) || !is.numeric(data$depth) || anyNA(data$depth)) {
    jntk_abort(sprintf("`data$depth` and `data$%s` must be numbers without NA.", vcol),
               class = "jntk_error_argument")
  }
  gcols <- intersect(c("kernel", "activation"), names(data))
  group <- if (length(gcols)) {
    do.call(paste, c(lapply(gcols, function(g) {
      v <- as.character(data[[g]])
      if (g == "kernel") v <- ifelse(v %in% .jntk_kinds$name, kernel_label(v), v)
      v
    }), sep = ", "))
  } else rep("smallest eigenvalue", nrow(data))
  pos <- val[val > 0]
  if (is.null(floor)) {
    floor <- if (length(pos)) min(pos) * 1e-3 else 1e-16
  } else {
    floor <- check_number(floor, "floor", lower = 0, lower_open = TRUE)
  }
  clipped <- val <= floor
  # below the numerical-rank threshold (a `tolerance` column, as from
  # min_eigenvalue()), a computed eigenvalue cannot be told from zero
  tol <- if (is.numeric(data$tolerance)) data$tolerance else rep(-Inf, nrow(data))
  zero <- clipped | val <= tol
  shown <- pmax(val, floor)
  u <- unique(group)
  cols <- jntk_palette(length(u))
  pchs <- c(16, 17, 15, 18, 16, 17, 15, 18)[(seq_along(u) - 1L) %% 8L + 1L]
  ltys <- c(1, 2, 1, 2, 3, 4, 3, 4)[(seq_along(u) - 1L) %% 8L + 1L]
  occ <- do.call(c, lapply(u, function(g) {
    k <- which(group == g)
    k <- k[order(data$depth[k])]
    occupied(data$depth[k], shown[k])
  }))
  if (any(clipped)) occ <- c(occ, occupied(range(data$depth), rep(floor, 2)))
  leg <- if (is.null(legend)) NULL else list(
    legend = c(u, if (any(zero)) "open: zero to rounding (<= tolerance or floor)"),
    col = c(cols, if (any(zero)) "grey30"), lty = c(ltys[seq_along(u)], if (any(zero)) NA),
    pch = c(pchs[seq_along(u)], if (any(zero)) 1))
  defaults <- list(x = range(data$depth), y = range(shown), type = "n", log = "y",
                   xlim = range(data$depth), ylim = range(shown),
                   xlab = expression("depth" ~ L ~ "(number of hidden layers)"),
                   ylab = expression("smallest eigenvalue" ~ lambda[min]),
                   main = "Smallest eigenvalue of the Gram matrix")
  draw_legend <- plot_panel(defaults, list(...), occ, leg, position = legend)
  for (j in seq_along(u)) {
    k <- which(group == u[j])
    k <- k[order(data$depth[k])]
    graphics::lines(data$depth[k], shown[k], col = cols[j], lty = ltys[j])
    graphics::points(data$depth[k], shown[k], col = cols[j],
                     pch = ifelse(zero[k], 1, pchs[j]))
  }
  if (any(clipped)) graphics::abline(h = floor, col = "grey60", lty = 3)
  draw_legend()
  data$group <- group
  data$shown <- shown
  data$zero <- zero
  invisible(data)
}
