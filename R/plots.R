# Figures of the papers that are not the plot method of one object: the NTK
# along the unit circle (Jacot et al. 2018, Figure 1), eigenvalue spectra of
# kernel matrices, and the smallest eigenvalue against depth (Kim and Yang
# 2024, Section 5).

# Okabe-Ito colours: distinguishable for colour-blind readers and in grey.
jntk_palette <- function(n) {
  pal <- c("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
           "#F0E442", "#000000")
  if (n <= length(pal)) pal[seq_len(n)] else grDevices::hcl.colors(n, "Dark 3")
}

check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    jntk_abort(sprintf("`%s` must be TRUE or FALSE.", arg), class = "jntk_error_argument")
  }
  x
}

#' Plot the NTK along the unit circle (Jacot et al. 2018, Figure 1)
#'
#' Draws the limiting kernel \eqn{\Theta(x_0, x)} for \eqn{x_0 = (1, 0)} and
#' \eqn{x = (\cos\gamma, \sin\gamma)}, \eqn{\gamma \in [0, 2\pi]}, together with
#' the empirical NTKs of finite networks: by default `n_init` fresh
#' initialisations of each width in `widths`; or any networks you pass in
#' `networks` (for example the same initialisations after training, as in the
#' paper's \eqn{t = 200} curves).
#'
#' Colours distinguish widths, line types distinguish the groups of `networks`
#' (e.g. "t = 0" and "t = 200"), and the limit is the thick black line.
#'
#' @param net An architecture from [mlp()] (Jacot et al.: `mlp(3, "relu",
#'   sigma_w = 1, sigma_b = 0.1)`).
#' @param widths Hidden-layer widths of the networks to sample (ignored when
#'   `networks` is given). Memory grows like `depth * width^2`: width 10,000 at
#'   depth 3 needs about 1.6 GB per network (they are drawn and used one at a
#'   time).
#' @param n_init Number of initialisations per width (ignored when `networks`
#'   is given).
#' @param kernel `"ntk"` ([empirical_ntk()] against [ntk()]) or `"nngp"`
#'   ([empirical_nngp()], the output-layer covariance given the hidden layers,
#'   against [nngp()]).
#' @param n_points Number of angles \eqn{\gamma} on \eqn{[0, 2\pi]}.
#' @param networks Optional named list of groups of finite networks (each a list
#'   of `"mlp_network"` objects with input dimension 2, as from [sample_mlp()]
#'   or the `$network` of a fit); group names label the line types.
#' @param legend Where to put the legend (a keyword of
#'   [graphics::legend()]), or `NULL` for none.
#' @param ... Further graphical parameters passed to [graphics::plot()]
#'   (e.g. `main`, `ylim`).
#' @return Invisibly, a list with `angle` (the \eqn{\gamma} values), `limit`
#'   (the limiting kernel at those angles), and `empirical`, a data frame with
#'   one row per network: `group`, `width` and, in the list column `kernel`,
#'   that network's \eqn{\hat\Theta(x_0, x)} at the angles.
#' @references Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel:
#'   Convergence and Generalization in Neural Networks, NeurIPS, Figure 1.
#' @seealso [empirical_ntk()], [ntk()], [empirical_nngp()], [unit_circle()].
#' @examples
#' set.seed(1)
#' net <- mlp(3, "relu", sigma_w = 1, sigma_b = 0.1)
#' res <- plot_kernel_circle(net, widths = c(20, 200), n_init = 3, n_points = 40)
#' str(res$limit)
#' @export
plot_kernel_circle <- function(net, widths = c(500, 10000), n_init = 10L, kernel = "ntk",
                               n_points = 100L, networks = NULL, legend = "topright", ...) {
  check_mlp(net)
  if (!is.character(kernel) || length(kernel) != 1L || !kernel %in% c("ntk", "nngp")) {
    jntk_abort("`kernel` must be \"ntk\" (the empirical NTK) or \"nngp\" (the empirical NNGP of the last hidden layer).",
               class = "jntk_error_argument")
  }
  if (!is.null(net$input_dim) && net$input_dim != 2L) {
    jntk_abort(sprintf("`net` has input_dim %d, but the unit circle lives in R^2; use `input_dim = 2` or leave it unset.",
                       net$input_dim), class = "jntk_error_argument")
  }
  n_points <- check_number(n_points, "n_points", lower = 2, integer = TRUE)
  circle <- unit_circle(n_points, include_end = TRUE)
  gamma <- attr(circle, "angle")
  x0 <- matrix(c(1, 0), 1L)
  if (is.null(networks)) {
    if (!is.numeric(widths) || length(widths) < 1L || anyNA(widths) || any(widths < 1) ||
        any(widths != round(widths))) {
      jntk_abort("`widths` must be positive whole numbers, e.g. `c(500, 10000)`.",
                 class = "jntk_error_argument")
    }
    n_init <- check_number(n_init, "n_init", lower = 1, integer = TRUE)
  } else {
    networks <- check_network_groups(networks)
  }
  limit_fun <- if (kernel == "ntk") ntk else nngp
  emp_fun <- if (kernel == "ntk") empirical_ntk else empirical_nngp
  limit <- as.vector(limit_fun(net, x0, circle))
  rows <- list()
  add_row <- function(g, nw) {
    hidden <- nw$widths[-c(1L, length(nw$widths))]
    rows[[length(rows) + 1L]] <<- list(group = g, width = if (length(hidden)) max(hidden) else NA,
                                       kernel = as.vector(emp_fun(nw, x0, circle)))
  }
  if (is.null(networks)) {
    # one network at a time: at width 10,000 each holds 1.6 GB
    for (w in widths) for (i in seq_len(n_init)) {
      add_row("t = 0", sample_mlp(net, w, input_dim = 2L))
    }
  } else {
    for (g in names(networks)) for (nw in networks[[g]]) add_row(g, nw)
  }
  emp <- data.frame(group = vapply(rows, `[[`, "", "group"),
                    width = vapply(rows, function(r) as.double(r$width), 0),
                    stringsAsFactors = FALSE)
  emp$kernel <- lapply(rows, `[[`, "kernel")

  u_width <- sort(unique(emp$width))
  u_group <- unique(emp$group)
  cols <- jntk_palette(length(u_width))
  ltys <- c(1L, 2L, 3L, 4L, 5L, 6L)[(seq_along(u_group) - 1L) %% 6L + 1L]
  all_vals <- c(limit, unlist(emp$kernel))
  args <- list(...)
  defaults <- list(x = gamma, y = limit, type = "n",
                   xlab = expression(gamma ~ "(angle of" ~ x == (cos ~ gamma * "," ~ sin ~ gamma) * ")"),
                   ylab = if (kernel == "ntk") expression(Theta(x[0], x)) else expression(Sigma(x[0], x)),
                   ylim = range(all_vals), xaxt = "n",
                   main = sprintf("%s along the unit circle (%s, depth %d)",
                                  toupper(kernel), net$activation, net$depth))
  do.call(graphics::plot, utils::modifyList(defaults, args))
  graphics::axis(1, at = c(0, pi / 2, pi, 3 * pi / 2, 2 * pi),
                 labels = expression(0, pi / 2, pi, 3 * pi / 2, 2 * pi))
  for (i in seq_len(nrow(emp))) {
    graphics::lines(gamma, emp$kernel[[i]], col = grDevices::adjustcolor(
      cols[match(emp$width[i], u_width)], alpha.f = 0.7),
      lty = ltys[match(emp$group[i], u_group)], lwd = 1)
  }
  graphics::lines(gamma, limit, col = "black", lwd = 2.5)
  if (!is.null(legend)) {
    leg <- c(sprintf("n = %s", format(u_width, big.mark = ",", scientific = FALSE, trim = TRUE)),
             if (length(u_group) > 1L) u_group, "limit (infinite width)")
    graphics::legend(legend, legend = leg,
                     col = c(cols, if (length(u_group) > 1L) rep("grey30", length(u_group)), "black"),
                     lty = c(rep(1L, length(u_width)), if (length(u_group) > 1L) ltys, 1L),
                     lwd = c(rep(1.5, length(u_width)), if (length(u_group) > 1L) rep(1.5, length(u_group)), 2.5),
                     bty = "n", cex = 0.85)
  }
  invisible(list(angle = gamma, limit = limit, empirical = emp))
}

check_network_groups <- function(networks) {
  if (inherits(networks, "mlp_network")) networks <- list(networks)
  bad <- !is.list(networks) || length(networks) < 1L ||
    !all(vapply(networks, function(g) is.list(g) && !inherits(g, "mlp_network") &&
                  length(g) >= 1L && all(vapply(g, inherits, TRUE, "mlp_network")), TRUE))
  if (bad) {
    # one flat list of networks is one group
    if (is.list(networks) && length(networks) >= 1L &&
        all(vapply(networks, inherits, TRUE, "mlp_network"))) {
      networks <- list(networks = networks)
    } else {
      jntk_abort("`networks` must be a named list of groups, each a list of finite networks (`sample_mlp()` objects), e.g. `list(\"t = 0\" = nets0, \"t = 200\" = nets200)`.",
                 class = "jntk_error_argument")
    }
  }
  if (is.null(names(networks)) || any(!nzchar(names(networks)))) {
    names(networks) <- if (length(networks) == 1L) "networks" else paste("group", seq_along(networks))
  }
  for (g in networks) for (nw in g) {
    if (nw$widths[1] != 2L) {
      jntk_abort(sprintf("Every network in `networks` must take inputs in R^2 (the unit circle); one has input dimension %d.",
                         nw$widths[1]), class = "jntk_error_argument")
    }
  }
  networks
}

# Eigenvalues of one spectrum argument: a symmetric matrix or a vector of
# eigenvalues; returned in decreasing order.
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
#' @param legend Where to put the legend, or `NULL` for none.
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
plot_spectrum <- function(x, normalise = FALSE, n_max = Inf, log = "y", legend = "topright", ...) {
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
  defaults <- list(x = xr, y = yr, type = "n", log = log,
                   xlab = "index k (eigenvalues in decreasing order)",
                   ylab = if (normalise) expression(lambda[k] / trace) else expression(lambda[k]),
                   main = "Kernel eigenvalue spectrum")
  do.call(graphics::plot, utils::modifyList(defaults, list(...)))
  for (j in seq_along(shown)) {
    s <- shown[[j]]
    if (!length(s$v)) next
    graphics::lines(s$i, s$v, col = cols[j])
    if (length(s$v) <= 60L) graphics::points(s$i, s$v, col = cols[j], pch = pchs[j], cex = 0.8)
  }
  if (!is.null(legend) && (length(ev) > 1L || any(n_nonpos > 0L))) {
    lab <- ifelse(n_nonpos > 0L, sprintf("%s (%d eigenvalue(s) <= 0 not shown)", nm, n_nonpos), nm)
    graphics::legend(legend, legend = lab, col = cols, lty = 1,
                     pch = if (max(lengths(lapply(shown, `[[`, "v"))) <= 60L) pchs else NA,
                     bty = "n", cex = 0.85)
  }
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
#' @param legend Where to put the legend, or `NULL` for none.
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
plot_min_eigenvalue <- function(data, floor = NULL, legend = "topright", ...) {
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
    do.call(paste, c(lapply(gcols, function(g) as.character(data[[g]])), sep = ", "))
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
  defaults <- list(x = range(data$depth), y = range(shown), type = "n", log = "y",
                   xlab = "depth (number of hidden layers)",
                   ylab = expression("smallest eigenvalue " * lambda[min]),
                   main = "Smallest eigenvalue of the Gram matrix")
  do.call(graphics::plot, utils::modifyList(defaults, list(...)))
  for (j in seq_along(u)) {
    k <- which(group == u[j])
    k <- k[order(data$depth[k])]
    graphics::lines(data$depth[k], shown[k], col = cols[j], lty = ltys[j])
    graphics::points(data$depth[k], shown[k], col = cols[j],
                     pch = ifelse(zero[k], 1, pchs[j]))
  }
  if (any(clipped)) graphics::abline(h = floor, col = "grey60", lty = 3)
  if (!is.null(legend)) {
    lab <- c(u, if (any(zero)) "open: zero to rounding (<= tolerance or floor)")
    graphics::legend(legend, legend = lab, col = c(cols, if (any(zero)) "grey30"),
                     lty = c(ltys[seq_along(u)], if (any(zero)) NA),
                     pch = c(pchs[seq_along(u)], if (any(zero)) 1), bty = "n", cex = 0.85)
  }
  data$group <- group
  data$shown <- shown
  data$zero <- zero
  invisible(data)
}
