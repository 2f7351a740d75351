# Figures of the dynamics: the NTK along the unit circle (Jacot et al. 2018,
# Figure 1) and the plot method of a gradient flow (Figure 2). Spectra and
# smallest eigenvalues are in R/spectrum.R.

# Okabe-Ito colours: distinguishable for colour-blind readers and in grey.
jntk_palette <- function(n) {
  pal <- c("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
           "#F0E442", "#000000")
  if (n <= length(pal)) pal[seq_len(n)] else grDevices::hcl.colors(n, "Dark 3")
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
  kernel <- check_choice(kernel, c("ntk", "nngp"), "kernel",
                         "the empirical NTK, or the empirical NNGP of the last hidden layer")
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
    # one network per future on the current plan (see ?monte_carlo: its own
    # random stream, the same curves for every plan); each worker holds one
    # network at a time (1.6 GB at width 10,000, depth 3)
    grid <- expand.grid(i = seq_len(n_init), w = widths)
    seeds <- parallel_seeds(nrow(grid))
    vals <- vector("list", nrow(grid))
    future_tasks(nrow(grid), function(k) list(net = net, width = grid$w[k], x0 = x0, circle = circle,
                                              kernel = kernel),
                 function(k, v) vals[[k]] <<- v, circle_kernel, seeds = seeds,
                 what = sprintf("%d networks", nrow(grid)))
    for (k in seq_len(nrow(grid))) {
      rows[[length(rows) + 1L]] <- list(group = "t = 0", width = grid$w[k], kernel = vals[[k]])
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

# One sampled network's empirical kernel along the circle (on a worker).
circle_kernel <- function(spec) {
  nw <- sample_mlp(spec$net, spec$width, input_dim = 2L)
  emp_fun <- if (spec$kernel == "ntk") empirical_ntk else empirical_nngp
  as.vector(emp_fun(nw, spec$x0, spec$circle))
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

#' Plot the infinite-width training dynamics
#'
#' Draws the mean and the 10 %, 50 % and 90 % quantiles of \eqn{f_t} over
#' random initialisation (Gaussian: the median is the mean) either against time
#' at a few inputs (`over = "t"`, log time axis) or against a one-dimensional
#' input at a few times (`over = "x"`, with the training points).
#'
#' @param x A [gradient_flow()].
#' @param newdata Inputs to show (default: the training inputs).
#' @param t Times: for `over = "x"` the times drawn (default: 0, a middle time
#'   and `Inf` when the kernel is positive definite); for `over = "t"` the time
#'   grid (default: 60 log-spaced times spanning the kernel's time scales).
#' @param over `"t"` or `"x"`; default `"x"` for one-dimensional inputs with
#'   several points, else `"t"`.
#' @param output Which output to draw (for several outputs).
#' @param max_inputs For `over = "t"`, at most this many inputs are drawn.
#' @param ... Further graphical parameters passed to [plot.default()].
#' @return Invisibly, the [predict.gradient_flow()] result that was drawn.
#' @examples
#' net <- mlp(depth = 2, activation = "erf", sigma_b = 0.1)
#' x <- matrix(c(-1, -0.3, 0.4, 1), ncol = 1)
#' fl <- gradient_flow(net, x, sin(2 * x[, 1]))
#' plot(fl, matrix(seq(-2, 2, length.out = 50), ncol = 1))
#' plot(fl, x[1:2, , drop = FALSE], over = "t")
#' @export
plot.gradient_flow <- function(x, newdata = NULL, t = NULL, over = NULL, output = 1L,
                               max_inputs = 4L, ...) {
  fl <- x
  if (is.null(newdata)) newdata <- fl$x
  xn <- as_input_matrix(newdata, "newdata", structure(fl$d, why = "the training input `x`"))
  output <- check_number(output, "output", lower = 1, upper = fl$k, integer = TRUE)
  if (is.null(over)) over <- if (fl$d == 1L && nrow(xn) > 1L) "x" else "t"
  over <- check_choice(over, c("t", "x"), "over")
  z <- stats::qnorm(0.9)
  ev <- fl$values[fl$values > 0]
  if (over == "x") {
    if (fl$d != 1L) {
      jntk_abort(sprintf("over = \"x\" needs one-dimensional inputs, but d = %d; use over = \"t\".", fl$d),
                 class = "jntk_error_argument")
    }
    if (is.null(t)) {
      t <- c(0, signif(fl$N / stats::median(ev), 2), if (flow_definite(fl)) Inf else
        signif(100 * fl$N / min(ev), 2))
    }
    o <- order(xn[, 1])
    xn <- xn[o, , drop = FALSE]
    p <- predict(fl, xn, t = t, cov = TRUE)
    mu <- if (fl$k == 1L) p$mean else p$mean[, output, ]
    mu <- matrix(mu, nrow(xn))
    sdv <- sqrt(pmax(apply(p$cov, 3, diag), 0))
    sdv <- matrix(sdv, nrow(xn))
    cols <- grDevices::hcl.colors(length(t), "Dark 3")
    yl <- range(mu - z * sdv, mu + z * sdv, fl$y[, output])
    do.call(graphics::plot, utils::modifyList(list(
      x = xn[, 1], y = mu[, 1], type = "n", ylim = yl, xlab = "x", ylab = "f_t(x)",
      main = "Infinite-width network during training"), list(...)))
    for (j in seq_along(t)) {
      graphics::polygon(c(xn[, 1], rev(xn[, 1])), c(mu[, j] - z * sdv[, j], rev(mu[, j] + z * sdv[, j])),
                        col = grDevices::adjustcolor(cols[j], 0.2), border = NA)
      graphics::lines(xn[, 1], mu[, j], col = cols[j], lwd = 2)
    }
    graphics::points(fl$x[, 1], fl$y[, output], pch = 19)
    graphics::legend("topleft", bty = "n", lwd = c(rep(2, length(t)), NA, NA), pch = c(rep(NA, length(t)), 15, 19),
                     col = c(cols, "grey70", "black"),
                     legend = c(paste0("median (50%), t = ", format(t, trim = TRUE)), "10%-90% band", "training data"))
  } else {
    if (is.null(t)) {
      lo <- 0.01 * fl$N / max(ev)
      hi <- min(10 * fl$N / min(ev), 1e6 * lo)
      t <- exp(seq(log(lo), log(hi), length.out = 60))
    }
    t <- t[t > 0 & is.finite(t)]
    if (!length(t)) {
      jntk_abort("over = \"t\" needs positive finite times (a log time axis).",
                 class = "jntk_error_argument")
    }
    xn <- xn[seq_len(min(nrow(xn), max_inputs)), , drop = FALSE]
    p <- predict(fl, xn, t = t, cov = TRUE)
    mu <- if (fl$k == 1L) p$mean else p$mean[, output, ]
    mu <- matrix(mu, nrow(xn))
    sdv <- matrix(sqrt(pmax(apply(p$cov, 3, diag), 0)), nrow(xn))
    cols <- grDevices::hcl.colors(nrow(xn), "Dark 3")
    yl <- range(mu - z * sdv, mu + z * sdv)
    do.call(graphics::plot, utils::modifyList(list(
      x = t, y = mu[1, ], type = "n", log = "x", ylim = yl, xlab = "t (learning rate x steps)",
      ylab = "f_t(x)", main = "Infinite-width network during training"), list(...)))
    for (i in seq_len(nrow(xn))) {
      graphics::polygon(c(t, rev(t)), c(mu[i, ] - z * sdv[i, ], rev(mu[i, ] + z * sdv[i, ])),
                        col = grDevices::adjustcolor(cols[i], 0.2), border = NA)
      graphics::lines(t, mu[i, ], col = cols[i], lwd = 2)
    }
    graphics::legend("topleft", bty = "n", lwd = c(rep(2, nrow(xn)), NA), pch = c(rep(NA, nrow(xn)), 15),
                     col = c(cols, "grey70"),
                     legend = c(paste0("median (50%), input ", seq_len(nrow(xn))), "10%-90% band"))
  }
  invisible(p)
}
