# summary() and plot() of an infinite-width architecture (`mlp()`): what its
# kernels are at a typical input, and the kernels along a circle through two
# orthogonal unit directions.

#' Summarise an infinite-width architecture
#'
#' The kernels of an [mlp()] at a typical input: the NNGP variance
#' \eqn{\Sigma(x, x)}, the NTK \eqn{\Theta(x, x)} and, for smooth activations,
#' the variance of one input derivative \eqn{\partial f/\partial x_1} (the
#' Jacobian NNGP's diagonal), at an input with \eqn{|x|^2/d = 1}; the
#' correlation of the outputs at orthogonal and at opposite inputs of that
#' norm; which kernels are available (the JNTK needs a twice-differentiable
#' activation); and the number of parameters of a finite network of a given
#' width.
#'
#' @param object An architecture from [mlp()].
#' @param width Hidden-layer width for the parameter count (and for the NTK
#'   of a standard-parametrised architecture that has no `widths`).
#' @param input_dim Input dimension \eqn{d} for the parameter count (default
#'   `object$input_dim`, else 2).
#' @param ... Unused.
#' @return An object of class `"summary.mlp"`: a list with `net`, `kernels`
#'   (a data frame of `kernel`, `value` at \eqn{(x, x)}, `orthogonal` and
#'   `opposite`: the kernel at \eqn{(x, x')} for orthogonal and opposite
#'   \eqn{x'} of the same norm, divided by the value at \eqn{(x, x)}),
#'   `derivative_variance`, `jntk_available`, `width`, `input_dim` and
#'   `n_parameters`.
#' @seealso [mlp()], [plot.mlp()], [nngp()], [jacobian_nngp()].
#' @examples
#' net <- mlp(3, "relu", sigma_b = 0.1)
#' summary(net)
#' summary(mlp(2, "erf", kappa = 0.1), width = 512, input_dim = 784)
#' @export
summary.mlp <- function(object, width = 1024L, input_dim = NULL, ...) {
  net <- check_mlp(object, "object")
  width <- check_number(width, "width", lower = 1, integer = TRUE)
  d <- input_dim %||% net$input_dim %||% 2L
  d <- check_number(d, "input_dim", lower = 1, integer = TRUE)
  if (!is.null(net$input_dim) && d != net$input_dim) {
    jntk_abort(sprintf("`input_dim` = %d differs from the architecture's input_dim %d; leave it unset.",
                       d, net$input_dim), class = "jntk_error_argument")
  }
  # |x|^2 / d = 1 for every point: e1 sqrt(d), e2 sqrt(d) and -e1 sqrt(d)
  pts <- matrix(0, 3L, d)
  pts[1, 1] <- sqrt(d)
  if (d >= 2L) pts[2, 2] <- sqrt(d) else pts[2, 1] <- 0
  pts[3, 1] <- -sqrt(d)
  # the standard parametrisation's NTK needs widths: `width` when not set
  knet <- net
  if (net_parametrisation(net) == "standard" && is.null(net$widths)) knet$widths <- width
  both <- kernels(knet, pts[1, , drop = FALSE], pts)
  rows <- lapply(c("nngp", "ntk"), function(k) {
    v <- both[[k]][1, ]
    data.frame(kernel = kind_label(k), value = v[1],
               orthogonal = if (d >= 2L) v[2] / v[1] else NA_real_, opposite = v[3] / v[1],
               stringsAsFactors = FALSE)
  })
  deriv <- tryCatch(jacobian_nngp(net, pts[1, , drop = FALSE])[2, 2], jntk_error = function(e) NA_real_)
  hidden <- net$depth
  n_par <- if (hidden == 0L) d + 1 else
    (as.double(d) + 1) * width + (hidden - 1) * (as.double(width) + 1) * width + width + 1
  structure(list(net = net, kernels = do.call(rbind, rows), derivative_variance = deriv,
                 jntk_available = isTRUE(net$smooth), width = width, input_dim = d,
                 n_parameters = n_par),
            class = "summary.mlp")
}

#' @export
print.summary.mlp <- function(x, ...) {
  net <- x$net
  cat(sprintf("<summary.mlp> %s network, %d hidden layer(s), sigma_w = %g, sigma_b = %g, kappa = %g\n",
              activation_label(net), net$depth, net$sigma_w, net$sigma_b, net$kappa))
  if (net_parametrisation(net) == "standard" && net$depth > 0) {
    cat(sprintf("  standard parametrisation: the NTK at hidden widths %s\n",
                paste(rep_len(net$widths %||% x$width, net$depth), collapse = ", ")))
  }
  cat(sprintf("  kernels at |x|^2/d = 1 (relative values at an orthogonal and the opposite input):\n"))
  k <- x$kernels
  tab <- data.frame(kernel = k$kernel, `K(x, x)` = signif(k$value, 4),
                    orthogonal = signif(k$orthogonal, 3), opposite = signif(k$opposite, 3),
                    check.names = FALSE)
  print(tab, row.names = FALSE)
  if (is.finite(x$derivative_variance)) {
    cat(sprintf("  Var(df/dx_1) at that input (Jacobian NNGP diagonal): %.4g\n", x$derivative_variance))
  }
  cat(sprintf("  JNTK: %s\n", if (x$jntk_available) "available (twice-differentiable activation)" else
    "not available (kinked activation: infinite on the diagonal); the Jacobian NNGP is finite"))
  cat(sprintf("  a finite network of width %s on inputs in R^%d has %s parameters\n",
              format(x$width, big.mark = ","), x$input_dim,
              format(x$n_parameters, big.mark = ",", scientific = FALSE)))
  invisible(x)
}

#' Plot the kernels of an architecture along a circle
#'
#' Draws the limiting NNGP \eqn{\Sigma(x_0, x)} and NTK \eqn{\Theta(x_0, x)}
#' of an [mlp()] for \eqn{x_0 = e_1} and \eqn{x = \cos\gamma\, e_1 + \sin\gamma\, e_2},
#' \eqn{\gamma \in [0, 2\pi]} (the unit circle for inputs in \eqn{R^2}, as in
#' Jacot et al. 2018, Figure 1): how similar the network's outputs are, at
#' initialisation and under training, as the angle between two inputs grows.
#' For finite networks against this limit see [plot_kernel_circle()].
#'
#' @param x An architecture from [mlp()].
#' @param kernel Which kernels: any of `"ntk"` and `"nngp"`.
#' @param n_points Number of angles.
#' @param legend `"auto"` (default: where it covers no curve), a keyword of
#'   [graphics::legend()], or `NULL` for none.
#' @param ... Further graphical parameters passed to [graphics::plot()].
#' @return Invisibly, a data frame with columns `angle` and one per kernel.
#' @seealso [plot_kernel_circle()], [summary.mlp()], [nngp()], [ntk()].
#' @examples
#' plot(mlp(3, "relu", sigma_b = 0.1))
#' @export
plot.mlp <- function(x, kernel = c("ntk", "nngp"), n_points = 200L, legend = "auto", ...) {
  net <- check_mlp(x, "x")
  if (!is.character(kernel) || !length(kernel) || anyNA(kernel) || !all(kernel %in% c("ntk", "nngp"))) {
    jntk_abort("`kernel` must be \"ntk\", \"nngp\" or both.", class = "jntk_error_argument")
  }
  kernel <- unique(kernel)
  n_points <- check_resolution(n_points, "n_points")
  legend <- check_legend(legend)
  d <- net$input_dim %||% 2L
  gamma <- seq(0, 2 * pi, length.out = n_points)
  pts <- matrix(0, n_points, d)
  pts[, 1] <- cos(gamma)
  if (d >= 2L) pts[, 2] <- sin(gamma)
  x0 <- matrix(c(1, rep(0, d - 1L)), 1L)
  both <- if ("ntk" %in% kernel) kernels(net, x0, pts) else list(nngp = nngp(net, x0, pts))
  vals <- lapply(kernel, function(k) as.vector(both[[k]]))
  names(vals) <- kernel
  cols <- c(ntk = "#0072B2", nngp = "#D55E00")[kernel]
  labs <- c(ntk = quote(Theta(x[0], x) ~ "(NTK)"), nngp = quote(Sigma(x[0], x) ~ "(NNGP)"))[kernel]
  occ <- do.call(c, lapply(vals, function(v) occupied(gamma, v)))
  leg <- if (is.null(legend)) NULL else
    list(legend = as.expression(unname(labs)), col = unname(cols), lty = 1, lwd = 2)
  what <- if (d == 2L) "along the unit circle" else "along a great circle"
  defaults <- list(x = gamma, y = vals[[1]], type = "n", xlim = range(gamma),
                   ylim = range(0, unlist(vals)), xaxt = "n",
                   xlab = if (d == 2L) expression(gamma ~ ~ (x == (list(cos ~ gamma, sin ~ gamma)))) else
                     expression(gamma ~ ~ (x == cos ~ gamma ~ e[1] + sin ~ gamma ~ e[2])),
                   ylab = "kernel value",
                   main = kernel_title(net, if (length(kernel) == 1L) kernel else "ntk", what))
  if (length(kernel) > 1L) {
    defaults$main <- bquote("Kernels" ~ .(what) * ":" ~ .(net$activation) * ", depth" ~ .(net$depth) *
                              "," ~ sigma[w] == .(net$sigma_w) * "," ~ sigma[b] == .(net$sigma_b))
  }
  draw_legend <- plot_panel(defaults, list(...), occ, leg, position = if (is.null(legend)) NULL else legend)
  angle_axis(1)
  for (k in kernel) graphics::lines(gamma, vals[[k]], col = cols[[k]], lwd = 2)
  draw_legend()
  invisible(data.frame(angle = gamma, vals))
}

#' Predictions need a model: an architecture has none
#'
#' An [mlp()] describes an infinite-width architecture and its kernels, not a
#' model fitted to data, so `predict()` on it stops and says what to use
#' instead: [gradient_flow()] and [predict.gradient_flow()] (the trained
#' infinite-width network), [gp_fit()] and [predict.gp_fit()] (Bayesian
#' inference with the NNGP or NTK), or [sample_mlp()] and
#' [predict.mlp_network()] (a finite network of this architecture).
#'
#' @param object An architecture from [mlp()].
#' @param ... Unused.
#' @return Nothing: always an error of class `jntk_error_argument`.
#' @seealso [gradient_flow()], [gp_fit()], [sample_mlp()].
#' @examples
#' net <- mlp(2, "erf")
#' try(predict(net, matrix(0, 1, 2)))
#' @export
predict.mlp <- function(object, ...) {
  jntk_abort(paste0(
    "`object` is an architecture from `mlp()`, which has no data to predict from: fit it with ",
    "`gradient_flow(net, x, y)` or `gp_fit(net, x, y)` and predict from that, or draw a finite ",
    "network with `sample_mlp(net, width, input_dim)` and predict with it."),
    class = "jntk_error_argument")
}
