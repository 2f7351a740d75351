# Figures of the dynamics: the NTK along the unit circle (Jacot et al. 2018,
# Figure 1) and the plot method of a gradient flow (Figure 2). Spectra and
# smallest eigenvalues are in R/spectrum.R.

# Okabe-Ito colours: distinguishable for colour-blind readers and in grey.
jntk_palette <- function(n) {
  pal <- c("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
           "#F0E442", "#000000")
  if (n <= length(pal)) pal[seq_len(n)] else grDevices::hcl.colors(n, "Dark 3")
}

# ---------------------------------------------------------------- panels
# Every legend of the package goes where the data are not. A plot lists
# what it will draw as occupied regions (curves, bands, points; data
# coordinates), then opens its panel with plot_panel(): it tries the eight
# legend positions in turn and takes the first whose box covers no data;
# when none is free it enlarges the y range upwards until the top positions
# are free, so the legend sits above the data. With a `ylim` given by the
# user the range is kept and the legend goes where it covers the least data,
# on a white background. The decision is made before anything is drawn (the
# panel is set up, measured, then drawn with `par(new = TRUE)`), so axes and
# data always agree.

# Occupied regions: `type` "curve" (connected points), "band" (the area
# between lo and hi, connected in x) or "points".
occupied <- function(x, y, hi = NULL, type = c("curve", "band", "points")) {
  type <- type[1]
  list(list(type = type, x = as.double(x), lo = as.double(y),
            hi = as.double(if (is.null(hi)) y else hi)))
}

# Occupied samples in the panel's coordinates (log10 on log axes), curves and
# bands densified so that a legend box between two drawn points is noticed.
occupied_usr <- function(occ, xlog, ylog) {
  tr <- function(v, lg) if (lg) suppressWarnings(log10(v)) else v
  pieces <- lapply(occ, function(o) {
    x <- tr(o$x, xlog); lo <- tr(o$lo, ylog); hi <- tr(o$hi, ylog)
    ok <- is.finite(x) & is.finite(lo) & is.finite(hi)
    x <- x[ok]; lo <- lo[ok]; hi <- hi[ok]
    m <- length(x)
    if (o$type != "points" && m >= 2L) {
      at <- seq(1, m, length.out = max(m, 400L))
      x <- stats::approx(seq_len(m), x, at)$y
      lo <- stats::approx(seq_len(m), lo, at)$y
      hi <- stats::approx(seq_len(m), hi, at)$y
    }
    data.frame(x = x, lo = pmin(lo, hi), hi = pmax(lo, hi))
  })
  do.call(rbind, pieces)
}

legend_positions <- c("topright", "topleft", "bottomright", "bottomleft", "top", "bottom",
                      "right", "left")

# Number of occupied samples each legend position would cover (the current
# plot window must be set).
legend_overlaps <- function(leg, pts, positions = legend_positions) {
  vapply(positions, function(pos) {
    r <- do.call(graphics::legend, c(list(x = pos), leg, list(plot = FALSE)))$rect
    # a little air around the box
    px <- 0.01 * diff(graphics::par("usr")[1:2]); py <- 0.01 * diff(graphics::par("usr")[3:4])
    l <- r$left - px; rgt <- r$left + r$w + px; top <- r$top + py; bot <- r$top - r$h - py
    sum(pts$x >= l & pts$x <= rgt & pts$hi >= bot & pts$lo <= top)
  }, 0)
}

# Opens a panel: `defaults` (arguments of graphics::plot with type = "n",
# xlim, ylim, log, labels) modified by the user's `user` arguments; `occ` the
# occupied regions; `leg` the arguments of graphics::legend() without the
# position, or NULL. `position` "auto" or a legend() keyword. Returns a
# function that draws the legend (call it last, over the data).
plot_panel <- function(defaults, user, occ, leg = NULL, position = "auto") {
  user <- check_panel_limits(user, defaults)
  args <- utils::modifyList(defaults, user)
  log <- args$log %||% ""
  xlog <- grepl("x", log)
  ylog <- grepl("y", log)
  ylim <- args$ylim
  bg <- NULL
  pos <- if (is.null(leg) || !identical(position, "auto")) position else NULL
  if (!is.null(leg)) leg <- utils::modifyList(list(inset = 0.02, bty = "n", cex = 0.85), leg)
  graphics::plot.new()
  graphics::plot.window(args$xlim, ylim, log = log)
  if (is.null(pos) && !is.null(leg)) {
    pts <- occupied_usr(occ, xlog, ylog)
    for (iter in 1:4) {
      ov <- legend_overlaps(leg, pts)
      if (any(ov == 0)) {
        pos <- names(ov)[which(ov == 0)[1]]
        break
      }
      if (!is.null(user$ylim) || iter == 4L) {
        pos <- names(ov)[which.min(ov)]
        bg <- grDevices::adjustcolor("white", 0.85)
        break
      }
      # make room above the data for the legend's height
      h <- do.call(graphics::legend, c(list(x = "top"), leg, list(plot = FALSE)))$rect$h
      u <- graphics::par("usr")[3:4]
      f <- min(0.6, h / diff(u) + 0.04)
      lim <- if (ylog) log10(ylim) else ylim
      lim[2] <- lim[1] + diff(lim) / (1 - f)
      ylim <- if (ylog) 10^lim else lim
      graphics::plot.window(args$xlim, ylim, log = log)
    }
  }
  args$ylim <- ylim
  graphics::par(new = TRUE)
  do.call(graphics::plot, args)
  function() {
    if (is.null(leg) || is.null(pos)) return(invisible(NULL))
    extra <- if (is.null(bg)) list() else list(bg = bg, bty = "o", box.col = NA)
    do.call(graphics::legend, utils::modifyList(c(list(x = pos), leg), extra))
    invisible(pos)
  }
}

# Axis limits a user passes through `...` (`xlim`, `ylim`): two finite
# increasing numbers, positive on a logarithmic axis; the example in the
# message is the plot's own default range.
check_panel_limits <- function(user, defaults) {
  log <- user$log %||% defaults$log %||% ""
  for (lim in intersect(c("xlim", "ylim"), names(user))) {
    d <- defaults[[lim]]
    example <- if (is.numeric(d) && length(d) == 2L && all(is.finite(d))) {
      sprintf("c(%s)", paste(vapply(signif(d, 2), format, ""), collapse = ", "))
    } else "c(0, 1)"
    user[[lim]] <- check_range(user[[lim]], lim, example = example)
    if (grepl(substr(lim, 1, 1), log) && any(user[[lim]] <= 0)) {
      jntk_abort(sprintf("`%s` must be positive on this plot's logarithmic %s axis (e.g. `%s`), not c(%s).",
                         lim, substr(lim, 1, 1), example, paste(format(user[[lim]], trim = TRUE), collapse = ", ")),
                 class = "jntk_error_argument")
    }
  }
  user
}

# Ticks at multiples of pi/2 for an axis that is an angle.
angle_axis <- function(side = 1, range = c(0, 2 * pi)) {
  k <- seq(floor(range[1] / (pi / 2) + 1e-9), ceiling(range[2] / (pi / 2) - 1e-9))
  graphics::axis(side, at = k * pi / 2, labels = angle_labels(k))
}

# Plotmath labels of k pi / 2: 0, pi/2, pi, 3 pi/2, 2 pi, -pi/2, ...
angle_labels <- function(k) {
  as.expression(lapply(k, function(j) {
    g <- gcd(abs(j), 2L); num <- j / g; den <- 2L / g
    if (j == 0) quote(0) else if (den == 1L) {
      if (num == 1) quote(pi) else if (num == -1) quote(-pi) else bquote(.(num) * pi)
    } else {
      if (num == 1) quote(pi / 2) else if (num == -1) quote(-pi / 2) else bquote(.(num) * pi / 2)
    }
  }))
}

gcd <- function(a, b) if (b == 0) a else gcd(b, a %% b)

# An en dash where the device can draw it (the PDF and PostScript devices'
# Latin-1 encoding cannot), else a hyphen.
en_dash <- function() {
  dev <- names(grDevices::dev.cur())
  if (isTRUE(l10n_info()[["UTF-8"]]) && !dev %in% c("pdf", "postscript", "xfig", "pictex")) "\u2013" else "-"
}

band_label <- function(lo = 10, hi = 90) sprintf("%d%s%d %% band", lo, en_dash(), hi)

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
#' Drawing wide networks takes time: at the default widths (500 and 10,000,
#' ten networks each) about six minutes on one core. The function says how
#' long before it starts (when more than ten seconds) and shows a progress
#' bar in interactive sessions.
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
#' @param legend `"auto"` (default: where it covers no curve, above them
#'   if need be), a keyword of [graphics::legend()] such as `"topright"`, or
#'   `NULL` for none.
#' @param ... Further graphical parameters passed to [graphics::plot()]
#'   (e.g. `main`, `ylim`).
#' @return Invisibly, a list with `angle` (the \eqn{\gamma} values), `limit`
#'   (the limiting kernel at those angles), and `empirical`, a data frame with
#'   one row per network: `group`, `width` and, in the list column `kernel`,
#'   that network's \eqn{\hat\Theta(x_0, x)} at the angles.
#' @references Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel:
#'   Convergence and Generalization in Neural Networks, NeurIPS, Figure 1.
#' @seealso [empirical_ntk()], [ntk()], [empirical_nngp()], [unit_circle()],
#'   [plot.mlp()] (the limits alone).
#' @examples
#' set.seed(1)
#' net <- mlp(3, "relu", sigma_w = 1, sigma_b = 0.1)
#' res <- plot_kernel_circle(net, widths = c(20, 200), n_init = 3, n_points = 40)
#' str(res$limit)
#' @export
plot_kernel_circle <- function(net, widths = c(500, 10000), n_init = 10L, kernel = "ntk",
                               n_points = 100L, networks = NULL, legend = "auto", ...) {
  check_mlp(net)
  kernel <- check_choice(kernel, c("ntk", "nngp"), "kernel",
                         "the empirical NTK, or the empirical NNGP of the last hidden layer")
  check_width_limit(net, kernel, "plot_kernel_circle")
  if (!is.null(net$input_dim) && net$input_dim != 2L) {
    jntk_abort(sprintf("`net` has input_dim %d, but the unit circle lives in R^2; use `input_dim = 2` or leave it unset.",
                       net$input_dim), class = "jntk_error_argument")
  }
  n_points <- check_resolution(n_points, "n_points")
  legend <- check_legend(legend)
  circle <- unit_circle(n_points, include_end = TRUE)
  gamma <- attr(circle, "angle")
  x0 <- matrix(c(1, 0), 1L)
  if (is.null(networks)) {
    widths <- check_whole_numbers(widths, "widths", lower = 1, what = "hidden-layer widths, e.g. `c(500, 10000)`")
    check_network_alloc(c(2, rep(max(widths), net$depth), 1), "widths")
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
    announce_circle_duration(net, widths, n_init, n_points)
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
  occ <- c(occupied(gamma, limit),
           do.call(c, lapply(emp$kernel, function(k) occupied(gamma, k))))
  several <- length(u_group) > 1L
  leg <- if (is.null(legend)) NULL else list(
    legend = c(sprintf("width %s", format(u_width, big.mark = ",", scientific = FALSE, trim = TRUE)),
               if (several) u_group, "limit (infinite width)"),
    col = c(cols, if (several) rep("grey30", length(u_group)), "black"),
    lty = c(rep(1L, length(u_width)), if (several) ltys, 1L),
    lwd = c(rep(1.5, length(u_width)), if (several) rep(1.5, length(u_group)), 2.5))
  defaults <- list(x = gamma, y = limit, type = "n", xlim = range(gamma),
                   ylim = range(limit, unlist(emp$kernel)), xaxt = "n",
                   xlab = expression(gamma ~ ~ (x == (list(cos ~ gamma, sin ~ gamma)))),
                   ylab = if (kernel == "ntk") expression(Theta(x[0], x)) else expression(Sigma(x[0], x)),
                   main = kernel_title(net, kernel, "along the unit circle"))
  draw_legend <- plot_panel(defaults, list(...), occ, leg,
                            position = if (is.null(legend)) NULL else legend)
  angle_axis(1)
  for (i in seq_len(nrow(emp))) {
    graphics::lines(gamma, emp$kernel[[i]], col = grDevices::adjustcolor(
      cols[match(emp$width[i], u_width)], alpha.f = 0.7),
      lty = ltys[match(emp$group[i], u_group)], lwd = 1)
  }
  graphics::lines(gamma, limit, col = "black", lwd = 2.5)
  draw_legend()
  invisible(list(angle = gamma, limit = limit, empirical = emp))
}

# Time to draw the networks and their empirical kernels, from operation
# counts measured with R's reference BLAS on one core (about 40 ns per weight
# to draw it, 1.3 ns per weight and input for the kernel's passes).
announce_circle_duration <- function(net, widths, n_init, n_points) {
  weights <- pmax(net$depth - 1, 0) * as.double(widths)^2 + (2 + net$depth) * as.double(widths)
  seconds <- n_init * sum(weights * (40e-9 + 1.3e-9 * (n_points + 1)))
  announce_duration(seconds, sprintf("Drawing %d networks of width up to %s and their empirical %ss",
                                     length(widths) * n_init,
                                     format(max(widths), big.mark = ",", scientific = FALSE),
                                     "kernel"),
                    "use smaller `widths` or `n_init` for a quick look")
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

# "NTK along the unit circle: relu, depth 3, sigma_b = 0.1" as plotmath.
kernel_title <- function(net, kernel, what) {
  lab <- kind_label(kernel)
  bquote(.(lab) ~ .(what) * ":" ~ .(net$activation) * ", depth" ~ .(net$depth) * "," ~
           sigma[w] == .(net$sigma_w) * "," ~ sigma[b] == .(net$sigma_b))
}

#' Plot the infinite-width training dynamics
#'
#' Draws the mean of \eqn{f_t} over random initialisation with its 10 %-90 %
#' band (the law is Gaussian, so the mean is also the median) either against
#' time at a few inputs (`over = "t"`, log time axis) or against the input at
#' a few times: a one-dimensional input (`over = "x"`, with the training
#' points) or the angle \eqn{\gamma} of inputs \eqn{(\cos\gamma, \sin\gamma)}
#' on the unit circle (`over = "angle"`, with the training inputs at their
#' angles and \eqn{\pi} ticks). Another flow (e.g. the same data without the
#' Jacobian penalty) can be drawn into the same panel with `compare`, as
#' dashed means at the same times.
#'
#' @param x A [gradient_flow()].
#' @param newdata Inputs to show (default: the training inputs); for
#'   `over = "angle"`, points on the unit circle such as [unit_circle()].
#' @param t Times: for `over = "x"` or `"angle"` the times drawn (default: 0,
#'   a middle time and `Inf` when the kernel is positive definite); for
#'   `over = "t"` the time grid (default: 60 log-spaced times spanning the
#'   kernel's time scales).
#' @param over `"t"`, `"x"` or `"angle"`; default `"x"` for one-dimensional
#'   inputs with several points, `"angle"` for [unit_circle()] inputs, else
#'   `"t"`.
#' @param output Which output to draw (for several outputs).
#' @param max_inputs For `over = "t"`, at most this many inputs are drawn.
#' @param compare `NULL`, or another [gradient_flow()] on inputs of the same
#'   dimension (or a named list of them), drawn as dashed mean curves at the
#'   same times, without bands.
#' @param legend `"auto"` (default: where it covers no curve or band, above
#'   them if need be), a keyword of [graphics::legend()], or `NULL` for none.
#' @param ... Further graphical parameters passed to [plot.default()] (e.g.
#'   `main`, `ylim`).
#' @return Invisibly, the [predict.gradient_flow()] result that was drawn.
#' @seealso [gradient_flow()], [predict.gradient_flow()], [unit_circle()].
#' @examples
#' net <- mlp(depth = 2, activation = "erf", sigma_b = 0.1)
#' x <- matrix(c(-1, -0.3, 0.4, 1), ncol = 1)
#' fl <- gradient_flow(net, x, sin(2 * x[, 1]))
#' plot(fl, matrix(seq(-2, 2, length.out = 50), ncol = 1))
#' plot(fl, x[1:2, , drop = FALSE], over = "t")
#' # inputs on the unit circle, with and without a Jacobian penalty
#' xc <- unit_circle(4, range = c(0.3, 2 * pi + 0.3))
#' fl0 <- gradient_flow(net, xc, c(1, -0.5, 0.8, -1))
#' fl1 <- gradient_flow(net, xc, c(1, -0.5, 0.8, -1), lambda = 0.1)
#' plot(fl1, unit_circle(100, include_end = TRUE), t = c(0, 10, Inf), compare = fl0)
#' @export
plot.gradient_flow <- function(x, newdata = NULL, t = NULL, over = NULL, output = 1L,
                               max_inputs = 4L, compare = NULL, legend = "auto", ...) {
  fl <- x
  if (is.null(newdata)) newdata <- fl$x
  angle <- attr(newdata, "angle")
  xn <- as_input_matrix(newdata, "newdata", structure(fl$d, why = "the training input `x`"))
  output <- check_number(output, "output", lower = 1, upper = fl$k, integer = TRUE)
  if (is.null(over)) {
    over <- if (fl$d == 1L && nrow(xn) > 1L) "x" else if (fl$d == 2L && !is.null(angle)) "angle" else "t"
  }
  over <- check_choice(over, c("t", "x", "angle"), "over")
  if (!is.null(t)) t <- check_times(t)
  max_inputs <- check_number(max_inputs, "max_inputs", lower = 1, integer = TRUE)
  legend <- check_legend(legend)
  others <- flow_comparisons(compare, fl)
  z <- stats::qnorm(0.9)
  ev <- fl$values[fl$values > 0]
  ylab <- if (fl$k == 1L) expression(f[t](x)) else bquote(f[t](x)[.(flow_output_names(fl)[output])])
  user <- list(...)
  if (over != "t") {
    if (over == "x" && fl$d != 1L) {
      # (for inputs on the unit circle over = "angle" draws against the angle;
      # ?plot.gradient_flow says so)
      jntk_abort(sprintf("`over = \"x\"` needs one-dimensional inputs, but the flow's inputs are in R^%d; use `over = \"t\"`%s.",
                         fl$d, if (fl$d == 2L) " (or `over = \"angle\"` for inputs on the unit circle)" else ""),
                 class = "jntk_error_argument")
    }
    if (over == "angle" && fl$d != 2L) {
      jntk_abort(sprintf("`over = \"angle\"` needs inputs on the unit circle in R^2, but the flow's inputs are in R^%d; use `over = \"t\"`.", fl$d),
                 class = "jntk_error_argument")
    }
    if (is.null(t)) {
      t <- c(0, signif(fl$N / stats::median(ev), 2), if (flow_definite(fl)) Inf else
        signif(100 * fl$N / min(ev), 2))
    }
    pos <- if (over == "x") xn[, 1] else if (!is.null(angle) && length(angle) == nrow(xn)) angle else
      atan2(xn[, 2], xn[, 1]) %% (2 * pi)
    o <- order(pos)
    pos <- pos[o]
    xn <- xn[o, , drop = FALSE]
    p <- predict(fl, xn, t = t, cov = TRUE)
    mu <- flow_means(p, fl, output, nrow(xn), length(t))
    sdv <- matrix(sqrt(pmax(apply(p$cov, 3, diag), 0)), nrow(xn))
    cmp <- lapply(others, function(g) flow_means(predict(g, xn, t = t), g, output, nrow(xn), length(t)))
    tr_pos <- if (over == "x") fl$x[, 1] else atan2(fl$x[, 2], fl$x[, 1]) %% (2 * pi)
    if (over == "angle") tr_pos[tr_pos < min(pos) - 1e-9] <- tr_pos[tr_pos < min(pos) - 1e-9] + 2 * pi
    cols <- jntk_palette(length(t))
    occ <- c(occupied(tr_pos, fl$y[, output], type = "points"),
             do.call(c, lapply(seq_along(t), function(j) c(
               occupied(pos, mu[, j] - z * sdv[, j], mu[, j] + z * sdv[, j], type = "band"),
               do.call(c, lapply(cmp, function(m) occupied(pos, m[, j])))))))
    leg <- flow_legend(time_expressions(t), cols, fl, others, band = TRUE,
                       data = TRUE)
    yl <- range(mu - z * sdv, mu + z * sdv, fl$y[, output], unlist(cmp))
    defaults <- list(x = pos, y = mu[, 1], type = "n", xlim = range(pos), ylim = yl,
                     xlab = if (over == "x") expression(x) else
                       expression(gamma ~ ~ (x == (list(cos ~ gamma, sin ~ gamma)))),
                     ylab = ylab, main = flow_title(fl), xaxt = if (over == "angle") "n" else "s")
    draw_legend <- plot_panel(defaults, user, occ, if (is.null(legend)) NULL else leg,
                              position = if (is.null(legend)) NULL else legend)
    if (over == "angle" && is.null(user$xaxt)) angle_axis(1, range(pos))
    for (j in seq_along(t)) {
      graphics::polygon(c(pos, rev(pos)), c(mu[, j] - z * sdv[, j], rev(mu[, j] + z * sdv[, j])),
                        col = grDevices::adjustcolor(cols[j], 0.18), border = NA)
    }
    for (j in seq_along(t)) {
      graphics::lines(pos, mu[, j], col = cols[j], lwd = 2)
      for (i in seq_along(cmp)) graphics::lines(pos, cmp[[i]][, j], col = cols[j], lwd = 1.5, lty = i + 1L)
    }
    graphics::points(tr_pos, fl$y[, output], pch = 19)
    draw_legend()
  } else {
    if (is.null(t)) {
      lo <- 0.01 * fl$N / max(ev)
      hi <- min(10 * fl$N / min(ev), 1e6 * lo)
      t <- exp(seq(log(lo), log(hi), length.out = 60))
    }
    t <- t[t > 0 & is.finite(t)]
    if (!length(t)) {
      jntk_abort("`t` has no positive finite time, but `over = \"t\"` draws against a log time axis; give times > 0 such as `10^seq(-2, 3, length.out = 60)`, or leave `t` out for a default grid.",
                 class = "jntk_error_argument")
    }
    xn <- xn[seq_len(min(nrow(xn), max_inputs)), , drop = FALSE]
    m <- nrow(xn)
    p <- predict(fl, xn, t = t, cov = TRUE)
    mu <- t(flow_means(p, fl, output, m, length(t)))            # times x inputs
    sdv <- t(matrix(sqrt(pmax(apply(p$cov, 3, diag), 0)), m))
    cmp <- lapply(others, function(g) t(flow_means(predict(g, xn, t = t), g, output, m, length(t))))
    cols <- jntk_palette(m)
    occ <- do.call(c, lapply(seq_len(m), function(i) c(
      occupied(t, mu[, i] - z * sdv[, i], mu[, i] + z * sdv[, i], type = "band"),
      do.call(c, lapply(cmp, function(cm) occupied(t, cm[, i]))))))
    leg <- flow_legend(as.expression(lapply(seq_len(m), function(i) bquote("input" ~ .(i)))),
                       cols, fl, others, band = TRUE, data = FALSE)
    defaults <- list(x = t, y = mu[, 1], type = "n", log = "x", xlim = range(t),
                     ylim = range(mu - z * sdv, mu + z * sdv, unlist(cmp)),
                     xlab = expression(t ~ "(learning rate" %*% "steps)"), ylab = ylab,
                     main = flow_title(fl))
    draw_legend <- plot_panel(defaults, user, occ, if (is.null(legend)) NULL else leg,
                              position = if (is.null(legend)) NULL else legend)
    for (i in seq_len(m)) {
      graphics::polygon(c(t, rev(t)), c(mu[, i] - z * sdv[, i], rev(mu[, i] + z * sdv[, i])),
                        col = grDevices::adjustcolor(cols[i], 0.18), border = NA)
      graphics::lines(t, mu[, i], col = cols[i], lwd = 2)
      for (j in seq_along(cmp)) graphics::lines(t, cmp[[j]][, i], col = cols[i], lwd = 1.5, lty = j + 1L)
    }
    draw_legend()
  }
  invisible(p)
}

# Means of one output as an inputs x times matrix.
flow_means <- function(p, fl, output, m, nT) {
  matrix(if (fl$k == 1L) p$mean else p$mean[, output, ], m, nT)
}

flow_comparisons <- function(compare, fl) {
  if (is.null(compare)) return(list())
  if (inherits(compare, "gradient_flow")) compare <- list(compare)
  ok <- is.list(compare) && length(compare) >= 1L &&
    all(vapply(compare, inherits, TRUE, "gradient_flow"))
  if (!ok) {
    jntk_abort(sprintf("`compare` must be a `gradient_flow()` or a list of them, not %s.", describe_type(compare)),
               class = "jntk_error_argument")
  }
  for (g in compare) {
    if (g$d != fl$d || g$k != fl$k) {
      jntk_abort(sprintf("Every flow in `compare` must have inputs in R^%d and %d output(s) like `x`; one has R^%d and %d.",
                         fl$d, fl$k, g$d, g$k), class = "jntk_error_argument")
    }
  }
  compare
}

# "NTK gradient flow: erf, depth 3, lambda = 0.1" as plotmath.
flow_title <- function(fl) {
  base <- bquote(.(toupper(fl$kernel)) ~ "gradient flow:" ~ .(fl$net$activation) * ", depth" ~
                   .(fl$net$depth) * "," ~ lambda == .(signif(fl$lambda, 3)))
  if (fl$ridge > 0) base <- bquote(.(base) * "," ~ "ridge" == .(signif(fl$ridge, 3)))
  base
}

# t = 0, t = 10, t = infinity as plotmath.
time_expressions <- function(t) {
  as.expression(lapply(t, function(v) if (is.infinite(v)) quote(t == infinity) else
    bquote(t == .(signif(v, 3)))))
}

flow_flow_label <- function(g) {
  bquote(.(toupper(g$kernel)) * "," ~ lambda == .(signif(g$lambda, 3)))
}

# Legend of a flow plot: one entry per curve colour (times or inputs), then,
# with comparisons, one per line type (this flow solid, the others dashed),
# the band and the training data.
flow_legend <- function(labels, cols, fl, others, band, data) {
  n <- length(labels)
  lab <- as.list(labels)
  col <- cols; lty <- rep(1, n); lwd <- rep(2, n); pch <- rep(NA, n); ptc <- rep(1, n)
  if (length(others)) {
    lab <- c(lab, list(bquote(.(flow_flow_label(fl)) ~ "(solid)")),
             lapply(seq_along(others), function(i) bquote(.(flow_flow_label(others[[i]])) ~
                                                              .(c("(dashed)", "(dotted)", "(dot-dash)", "(long dash)", "(two dash)")[(i - 1) %% 5 + 1]))))
    col <- c(col, rep("grey30", 1 + length(others)))
    lty <- c(lty, 1, seq_along(others) + 1L)
    lwd <- c(lwd, rep(1.5, 1 + length(others)))
    pch <- c(pch, rep(NA, 1 + length(others)))
    ptc <- c(ptc, rep(1, 1 + length(others)))
  }
  if (band) {
    lab <- c(lab, list(paste("mean and", band_label())))
    col <- c(col, grDevices::adjustcolor("grey40", 0.35)); lty <- c(lty, NA); lwd <- c(lwd, NA)
    pch <- c(pch, 15); ptc <- c(ptc, 2)
  }
  if (data) {
    lab <- c(lab, list("training data"))
    col <- c(col, "black"); lty <- c(lty, NA); lwd <- c(lwd, NA); pch <- c(pch, 19); ptc <- c(ptc, 1)
  }
  list(legend = as.expression(lab), col = col, lty = lty, lwd = lwd, pch = pch, pt.cex = ptc)
}
