#' Infinite-width NNGP and NTK kernels
#'
#' `nngp()` and `ntk()` compute the limiting NNGP kernel
#' \eqn{\kappa^2\Sigma^{L+1}(x, x')} and neural tangent kernel
#' \eqn{\kappa^2\Theta^{L+1}(x, x')} of the architecture `net` (see [mlp()] for
#' the recursion and conventions) for every pair of rows of `x1` and `x2`;
#' `kernels()` returns both from one pass, and with `jacobian = TRUE` the
#' Jacobian NNGP and the JNTK from one pass (see [jacobian_nngp()]). The layer
#' recursion runs in C, layer by layer over all pairs, with the Gram matrix
#' from BLAS.
#'
#' For activations without a closed form the result is accurate to the
#' architecture's `quadrature_tol` or the call stops with an error of class
#' `jntk_error_accuracy`; a kernel whose entries overflow double precision
#' stops with class `jntk_error_overflow` (see [mlp()], section Accuracy).
#'
#' @param net An architecture from [mlp()].
#' @param x1 Inputs, one point per row: a numeric matrix, a numeric vector (one
#'   point) or a data frame of numeric columns.
#' @param x2 Second set of inputs (same number of columns as `x1`), or `NULL` for
#'   the symmetric kernel of `x1` with itself (each pair computed once).
#' @param jacobian For `kernels()`: `FALSE` (default) for `list(nngp, ntk)`,
#'   `TRUE` for `list(jacobian_nngp, jntk)`, the Jacobian kernels from one pass.
#' @param as For `kernels(jacobian = TRUE)`: `"matrix"` (dense) or
#'   `"structured"` (see [jacobian_nngp()]).
#' @param threads Number of OpenMP threads (default `getOption("jntk.threads", 1L)`);
#'   results do not depend on it. With `block_size`, the threads of each block.
#' @param block_size `NULL` (one block), or the number of points per block:
#'   the result is computed in row x column blocks as futures on the current
#'   [future::plan()] (see [kernel-blocks]).
#' @param file `NULL`, or a path: write the result block by block into a
#'   file-backed `bigmemory::big.matrix` and return it (see [kernel-blocks]);
#'   for `kernels()` two paths (NNGP, NTK).
#' @return `nngp()` and `ntk()`: an `nrow(x1)` by `nrow(x2)` matrix whose
#'   dimnames are the row names of `x1` and `x2`. `kernels()`: a list with
#'   elements `nngp` and `ntk`, or with `jacobian = TRUE` elements
#'   `jacobian_nngp` and `jntk` (matrices or `"jntk_structured"` objects).
#' @references Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel:
#'   Convergence and Generalization in Neural Networks, NeurIPS, Theorem 1.
#' @seealso [jacobian_nngp()] and [jntk()] for the Jacobian versions.
#' @examples
#' net <- mlp(depth = 3, activation = "relu", sigma_w = 1, sigma_b = 0.1)
#' g <- seq(0, pi, length.out = 8)
#' x <- cbind(cos(g), sin(g))       # points on the unit circle
#' K <- nngp(net, x)
#' Th <- ntk(net, x[1, ], x)   # Theta(x0, x) along the circle
#' both <- kernels(net, x)
#' J <- kernels(mlp(2, "erf"), x[1:3, ], jacobian = TRUE)
#' all.equal(J$jntk, jntk(mlp(2, "erf"), x[1:3, ]))
#' @export
nngp <- function(net, x1, x2 = NULL, threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("nngp", net, x1, x2, block_size, file, threads))
  kernel_plain_call(net, x1, x2, c(TRUE, FALSE), threads)$nngp
}

#' @rdname nngp
#' @export
ntk <- function(net, x1, x2 = NULL, threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("ntk", net, x1, x2, block_size, file, threads))
  kernel_plain_call(net, x1, x2, c(FALSE, TRUE), threads)$ntk
}

#' @rdname nngp
#' @export
kernels <- function(net, x1, x2 = NULL, jacobian = FALSE, as = c("matrix", "structured"),
                    threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.logical(jacobian) || length(jacobian) != 1L || is.na(jacobian)) {
    jntk_abort("`jacobian` must be TRUE (the Jacobian NNGP and the JNTK) or FALSE (the NNGP and the NTK).",
               class = "jntk_error_argument")
  }
  if (!is.null(block_size) || !is.null(file)) {
    if (!jacobian) return(blocked_kernel("kernels", net, x1, x2, block_size, file, threads))
    check_jntk_smooth(net)
    if (!is.null(file) && length(file) != 2L) {
      jntk_abort("With `jacobian = TRUE`, `file` must be two paths (Jacobian NNGP, JNTK).",
                 class = "jntk_error_argument")
    }
    return(list(
      jacobian_nngp = blocked_kernel("jacobian_nngp", net, x1, x2, block_size, file[1], threads, as = as),
      jntk = blocked_kernel("jntk", net, x1, x2, block_size, file[2], threads, as = as)))
  }
  if (!jacobian) return(kernel_plain_call(net, x1, x2, c(TRUE, TRUE), threads))
  as <- match_as(as)
  check_mlp(net)
  check_jntk_smooth(net)
  jacobian_kernel(net, x1, x2, kind = c("jacobian_nngp", "jntk"), as = as, threads = threads)
}

# Validated inputs: list(x1, x2 (NULL when symmetric), n1, n2, d).
kernel_inputs <- function(net, x1, x2) {
  check_mlp(net)
  if (missing(x1) || is.null(x1)) {
    jntk_abort("`x1` is missing: give the inputs as a numeric matrix with one point per row.",
               class = "jntk_error_input")
  }
  x1 <- as_input_matrix(x1, "x1", net_input_dim(net))
  if (!is.null(x2)) {
    x2 <- as_input_matrix(x2, "x2", structure(ncol(x1), why = "`x1`"))
  }
  list(x1 = x1, x2 = x2, n1 = nrow(x1), n2 = if (is.null(x2)) nrow(x1) else nrow(x2),
       d = ncol(x1))
}

# Terms of the Hermite tables of the series activations (src/series.h).
.jntk_series_terms <- 128L

# `tangent`: the call computes an NTK or JNTK (`what` names it), which in the
# standard parametrisation needs the widths: ipar gains c(1, n_1..n_L)
# (src/kernels_call.c); the NNGP kinds are the same in both.
kernel_par <- function(net, tangent = FALSE, what = "NTK") {
  rule <- if (net$closed_form) NULL else {
    r <- mixture_rule(16L); rc <- mixture_rule(32L)
    list(r$nodes, r$weights, rc$nodes, rc$weights)
  }
  ipar <- c(as.integer(net$activation_code), as.integer(net$depth), .jntk_series_terms)
  if (tangent && net_parametrisation(net) == "standard") ipar <- c(ipar, 1L, net_widths(net, what))
  if (!is.null(net$activation_fun)) rule <- c(rule, activation_user_rule(net))
  list(par = c(net$sigma_w, net$sigma_b, net$kappa, net$slope, net$quadrature_tol %||% 1e-10,
               act_par_vector(net)),
       ipar = ipar, rule = rule)
}

# Doubles the C workers allocate besides the results, for check_alloc():
# `state` n1 x n2 slices (the Gram matrix, a covariance state the result does
# not hold), the kinked angle, the series tables of one layer
# (orders x (terms + 3) per point) and their node rules.
kernel_work_doubles <- function(net, n1, n2, jets, state) {
  pairs <- as.double(n1) * n2
  nord <- if (jets) 5 else 2
  w <- pairs * state
  if (net$activation_code %in% c(0:3, 17L)) w <- w + pairs  # the kinked family's angle
  if (!net$closed_form) {
    w <- w + nord * (.jntk_series_terms + 3) * (as.double(n1) + n2) +
      (128 + 256 + 512 + 1024) * (.jntk_series_terms + 2) + 64 * 1024 * nord
  }
  w
}

# Raise the failure a C worker reported (fail = c(failed, layer, variance,
# estimate, overflow)).
kernel_fail <- function(fail, net, what) {
  if (fail[5] != 0) {
    jntk_abort(sprintf(paste0(
      "The %s of this \"%s\" network overflows double precision: its entries grow like ",
      "(sigma_w^2 E[phi'^2])^depth or with the input scale. Reduce `depth` or `sigma_w`, ",
      "or scale the inputs down."), what, net$activation),
      class = "jntk_error_overflow")
  }
  if (fail[1] != 0) {
    tol <- net$quadrature_tol %||% 1e-10
    loose <- signif(max(10 * fail[4], 10 * tol), 1)
    jntk_abort(sprintf(paste0(
      "The %s of \"%s\" cannot be certified to `quadrature_tol` = %g: at hidden layer %d a pair ",
      "with pre-activation variance %.3g has an estimated relative error of %.2g. ",
      "Standardise or scale down the inputs, or reduce `sigma_w`%s."),
      what, net$activation, tol, as.integer(fail[2]), fail[3], fail[4],
      if (loose <= 1e-2) sprintf(", or loosen the tolerance (e.g. `mlp(..., quadrature_tol = %g)`)", loose)
      else " (the tolerance cannot be loosened beyond 1e-2)"),
      class = "jntk_error_accuracy",
      data = list(estimate = fail[4], variance = fail[3], layer = as.integer(fail[2])))
  }
  invisible(NULL)
}

kernel_plain_call <- function(net, x1, x2, what, threads) {
  inp <- kernel_inputs(net, x1, x2)
  if (what[2]) check_activation_kind(net, "NTK")
  threads <- check_threads(threads)
  n_out <- as.double(inp$n1) * inp$n2 * sum(what)
  check_alloc(n_out + kernel_work_doubles(net, inp$n1, inp$n2, FALSE, !what[1]),
              sprintf("A %s x %s kernel matrix%s (%s)", format(inp$n1, big.mark = ","),
                      format(inp$n2, big.mark = ","), if (sum(what) > 1) " pair" else "",
                      if (is.null(x2)) "the points of `x1` with themselves" else "the points of `x1` by those of `x2`"),
              "Compute it in blocks of rows of `x1` (e.g. 1,000 at a time).")
  if (inp$n1 > .Machine$integer.max / inp$n2) {
    jntk_abort(sprintf("A %d x %d matrix exceeds R's matrix size limit; compute it in blocks of rows of `x1`.",
                       inp$n1, inp$n2), class = "jntk_error_size")
  }
  kp <- kernel_par(net, what[2])
  res <- .Call(C_kernels_plain, inp$x1, inp$x2, kp$par, kp$ipar, kp$rule, what, threads)
  kernel_fail(res[[3]], net, paste(c("NNGP", "NTK")[what], collapse = " and "))
  kernel_certify(net, inp, c("nngp", "ntk")[what])
  res <- res[1:2]
  dn <- list(rownames(inp$x1), if (is.null(inp$x2)) rownames(inp$x1) else rownames(inp$x2))
  if (!is.null(dn[[1]]) || !is.null(dn[[2]])) {
    for (k in which(what)) dimnames(res[[k]]) <- dn
  }
  names(res) <- c("nngp", "ntk")
  res[what]
}

# An upper estimate of max_ij |K_ij - K_ij(exact)| for the kappa^2-scaled
# matrix of `kind` ("nngp", "ntk", "jacobian_nngp", "jntk"; for the Jacobian
# kinds over the entries of the dense matrix), in O(N depth): for the
# engineer who certifies smallest eigenvalues (Weyl: |dlambda| <= N max|E_ij|).
#
# Forward error analysis of the layer recursion, with every pair bounded by
# the diagonal of its two points (Cauchy-Schwarz: |E[phi^(i)(u) phi^(j)(v)]|
# <= sqrt(E[phi^(i)(u)^2] E[phi^(j)(v)^2])) and maxima over the points
# (C_kernels_diag, per point and layer):
#   e_c(l+1) = sw2 (m_g + G1 e_c + sqrt(G2 G0) e_a) + 2 eps (sw2 G0 + sb2)
#   e_a(l+1) = sw2 (m_g + D1 e_a) + 2 eps (sw2 G0 + sb2)
#   e_t(l+1) = e_c(l+1) + sw2 ((m_gd + G2 e_c + sqrt(G3 G1) e_a) Tmax + G1 e_t)
#              + 2 eps Tmax(l+1)
# with G_o = max E[phi^(o)^2], D1 = max |E[phi'^2] + E[phi phi'']| (the
# derivative of the diagonal map), Tmax the largest diagonal NTK, e_c(0) the
# rounding of the Gram matrix (2 sqrt(d) eps |x|^2 sigma_w^2/d, a
# statistical bound on a d-term dot product), and the method error m of each
# moment: 8 eps relative for a closed form (a few operations of
# relative error eps each), for a series activation the larger of Mehler's
# target (quadrature_tol / 1000, plus 5e-14 for the coefficients) and the
# mixture's estimate (its quadrature, 3e-14, and the rounding of the gap
# ab - c^2 beyond the first layer, 1.5 eps a / s_min); for gelu the gap's
# rounding enters as eps sqrt(a). For the Jacobian kinds the relative error
# of the plain kind is carried to the dense entries, whose size is bounded by
# the dense diagonal (the kernels are positive semi-definite), times 2 for the
# terms of the assembly, plus the assembly's own rounding.
# test-accuracy.R checks that the bound holds against the reference and is
# within about 100x of the observed error where that error is above rounding.
kernel_error_bound <- function(net, x1, x2 = NULL, kind = "nngp") {
  kernel_bound_parts(net, x1, x2, kind)[["bound"]]
}

# kernel_error_bound() and the size it is measured against: c(bound, scale),
# scale the largest entry (kappa^2 times the largest diagonal NNGP or NTK, or
# for the Jacobian kinds the largest dense entry).
kernel_bound_parts <- function(net, x1, x2 = NULL, kind = "nngp") {
  if (!is.character(kind) || length(kind) != 1L || !(kind %in% .jntk_kinds$name)) {
    jntk_abort(sprintf("`kind` must be one of %s.", paste0("\"", .jntk_kinds$name, "\"", collapse = ", ")),
               class = "jntk_error_argument")
  }
  inp <- kernel_inputs(net, x1, x2)
  X <- if (is.null(inp$x2)) inp$x1 else rbind(inp$x1, inp$x2)
  std <- net_parametrisation(net) == "standard" && kind %in% c("ntk", "jntk")
  kp <- kernel_par(net, std, kind_label(kind))
  wd <- if (std) as.double(net_widths(net, kind_label(kind)))
  Dg <- .Call(C_kernels_diag, X, kp$par, kp$ipar, kp$rule)
  Dg[, , c(2, 4:6)][!(Dg[, , c(2, 4:6)] > 0)] <- 0  # squares, -0 from rounding
  eps <- .Machine$double.eps
  L <- net$depth; sw2 <- net$sigma_w^2; sb2 <- net$sigma_b^2; d <- inp$d
  tol <- net$quadrature_tol %||% 1e-10
  smin <- if (net$closed_form) NA else
    (if (net$activation == "tanh") 1 else 4) * min(mixture_rule(16L)$nodes)^2
  q <- rowSums(X^2)
  e_c <- sw2 / d * max(q) * eps * (2 + 2 * sqrt(d)) + 2 * eps * sb2
  e_a <- e_c; e_t <- e_c
  if (activation_jumps(net)) {  # NNGP only
    return(c(bound = jump_error_bound(net, Dg, e_c), scale = net$kappa^2 * max(Dg[, L + 1, 1])))
  }
  # gelu's closed-form jets (src/dual.c) lose digits in their second-order
  # parts at large variances: a rounding of up to eps sqrt(1 + a) relative
  # per layer, carried to the output by the p-derivative of the layer maps
  # (at most Pd: sw2 E[phi'^2] per layer, sw2 / d at the first, by
  # Cauchy-Schwarz) and entering the dense entries times |x||x'| <= max |x|^2.
  # A model, not a derivation: its factor 1024 covers the errors measured at
  # depth 20-100, sigma_w = 2, |x| = 1e-8 (swap of the points and 300-bit
  # Rmpfr; test-grid-bound.R) with a margin of 100; elsewhere it is loose.
  gelu_jet <- identical(net$activation, "gelu") && is.null(net$activation_fun)
  Pd <- sw2 / d; e_j <- 0
  Th <- Dg[, 1, 1]              # Theta^1(x, x) = Sigma^1(x, x)
  if (std) {                    # Theta^1 = x.x' + 1[bias]: the Gram matrix's rounding
    bt <- as.numeric(net$sigma_b > 0)
    Th <- q + bt
    e_t <- max(q) * eps * (2 + 2 * sqrt(d)) + 2 * eps * bt
  }
  for (l in seq_len(L)) {
    a <- Dg[, l, 1]; G0 <- max(Dg[, l, 2]); G1 <- max(Dg[, l, 4])
    G2 <- max(Dg[, l, 5]); G3 <- max(Dg[, l, 6])
    m <- if (net$closed_form) {
      8 * eps + (if (net$activation == "gelu" && l > 1) eps * sqrt(max(a)) else 0)
    } else {
      max(1e-3 * tol + 5e-14, max(Dg[, l, 7]) + (if (l > 1) 1.5 * eps * max(a) / smin else 0))
    }
    Tmax <- max(Th)
    D1 <- max(abs(Dg[, l, 4] + 2 * Dg[, l, 3]))  # d/da E[phi^2] = E[phi'^2] + E[phi phi'']
    e_a_n <- sw2 * (m * G0 + D1 * e_a) + 2 * eps * (sw2 * G0 + sb2)
    e_g <- m * G0 + G1 * e_c + sqrt(G2 * G0) * e_a   # the error of g
    e_c_n <- sw2 * e_g + 2 * eps * (sw2 * G0 + sb2)
    # the tangent's own-layer term: Sigma^{l+1} (ntk) or n_l g + 1[bias] (standard)
    own <- if (std) Dg[, l, 2] * wd[l] + bt else Dg[, l + 1, 1]
    e_own <- if (std) wd[l] * e_g + 2 * eps * (wd[l] * G0 + bt) else e_c_n
    Th <- own + sw2 * Dg[, l, 4] * Th
    e_t <- e_own + sw2 * ((m * G1 + G2 * e_c + sqrt(G3 * G1) * e_a) * Tmax + G1 * e_t) +
      2 * eps * max(Th)
    e_c <- e_c_n; e_a <- e_a_n
    if (gelu_jet) e_j <- e_j + 1024 * eps * sqrt(1 + max(a)) * Pd * max(q)
    Pd <- sw2 * G1 * Pd
  }
  k2 <- net$kappa^2
  if (kind == "nngp") return(c(bound = k2 * e_c * (1 + 2 * eps), scale = k2 * max(Dg[, L + 1, 1])))
  if (kind == "ntk") return(c(bound = k2 * e_t * (1 + 2 * eps), scale = k2 * max(Th)))
  # Jacobian kinds: relative error of the plain kind times the largest dense
  # entry (on the diagonal), over the six terms of the assembly
  rel <- if (kind == "jntk") e_t / max(Th) else e_c / (sw2 * max(Dg[, L + 1, 2]) + sb2)
  if (L == 0) rel <- if (std) e_t / max(Th) else e_c / max(Dg[, 1, 1])
  jmax <- 0
  for (i in seq_len(nrow(X))) {
    F <- .Call(C_kernels_scalars, X[i, , drop = FALSE], NULL, kp$par, kp$ipar, kp$rule,
               kind_code(kind), 1L)[[1L + (kind == "jntk")]]
    jmax <- max(jmax, abs(F[1]), abs(F[3]), abs(F[2]) + abs(F[6]) + abs(F[7]) + abs(F[8]))
  }
  # every diagonal scalar underflowed to 0 (e.g. relu_power at depth 20,
  # |x| = 1e-8, whose variance squares per layer): rel is 0/0, and the true
  # entries, bounded by the diagonal, are below the smallest normal double
  if (jmax == 0 && !is.finite(rel)) return(c(bound = .Machine$double.xmin, scale = 0))
  c(bound = 2 * (rel + e_j + 8 * eps) * jmax, scale = jmax)
}

# Refuse a kernel that cannot be certified (issue 17, the heavy grid): its
# kernel_error_bound() is not finite, or, for the Jacobian kinds, the
# computed kernel is measurably wrong: swapping the two points of a pair
# swaps Q <-> R and Tq <-> Tr and leaves the other scalars
# (src/jacobian_kernels.c), so half the discrepancy is a lower bound on the
# error, and above 1 % of the largest entry (the loosest accuracy the
# package documents, quadrature_tol <= 1e-2) no digit is certified. Run for
# the smooth closed forms, which have no other accuracy check (the series
# activations' is in C). O(depth): on at most 64 points.
kernel_certify <- function(net, inp, kind) {
  if (!isTRUE(net$closed_form) || !isTRUE(net$smooth) || !is.null(net$activation_fun) ||
      net$depth < 1 || identical(net$activation, "identity")) return(invisible(NULL))
  if (certify_not_needed(net)) return(invisible(NULL))
  # the bound on all points up to 64, beyond on 64 spread over the range of
  # norms, the extremes included (the diagonal maps are monotone in the norm
  # for these activations); the swap on four of them
  X <- if (is.null(inp$x2)) inp$x1 else rbind(inp$x1, inp$x2)
  o <- order(rowSums(X^2))
  spread <- function(k) X[o[unique(round(seq(1, length(o), length.out = min(k, length(o)))))], , drop = FALSE]
  X4 <- spread(4L)
  X <- spread(64L)
  refuse <- function(k, why, data) {
    jntk_abort(sprintf(paste0(
      "The %s of this \"%s\" network (depth %d, sigma_w = %g) cannot be certified: %s. Its ",
      "rounding errors are amplified over the layers (by up to sigma_w^2 E[phi'^2] per layer); ",
      "use a smaller `depth` or `sigma_w`."),
      kind_label(k), net$activation, as.integer(net$depth), net$sigma_w, why),
      class = "jntk_error_accuracy", data = c(list(kind = k), data))
  }
  for (k in kind) {
    p <- kernel_bound_parts(net, X, NULL, k)
    if (!is.finite(p[["bound"]])) {
      refuse(k, sprintf("its error bound overflows double precision (the largest entry is %.3g)",
                        p[["scale"]]), list(bound = p[["bound"]], scale = p[["scale"]]))
    }
    if (!(k %in% c("jacobian_nngp", "jntk"))) next
    sw <- jacobian_swap_error(net, X4, k)
    if (sw > 1e-2 * p[["scale"]]) {
      refuse(k, sprintf(paste0("swapping the two points of a pair changes its entries by %.2g, ",
                               "%.2g times the largest entry (%.3g)"),
                        2 * sw, sw / p[["scale"]], p[["scale"]]),
             list(bound = p[["bound"]], scale = p[["scale"]], swap_error = sw))
    }
  }
  invisible(NULL)
}

# Whether a network's rounding errors provably stay far below what
# kernel_certify() refuses, so that its check (about 14 ms a call) can be
# skipped: for an activation with |phi'| <= cphi, the first-order
# amplification of an error over a layer is at most sigma_w^2 E[phi'^2] <=
# sigma_w^2 cphi^2 (the layer map's derivative in the covariance, by
# Cauchy-Schwarz; the jets' second-order parts are differences of such
# terms). If the product over the layers is <= 1e6, an error of
# O(depth eps) per layer stays below 1e6 * 1e-13 = 1e-7 relative, far below
# the 1 % refusal and with a finite bound. Only the activations whose
# sup |phi'| is known here: erf (a erf(b x) + c: 2 |a b| / sqrt(pi)), gelu
# (1.129), sin and cos (1), gaussian (exp(-x^2): sqrt(2/e) = 0.858); exp, rbf and
# polynomials are always checked.
certify_not_needed <- function(net) {
  act <- net$activation
  cphi <- switch(act,
                 erf = {
                   ab <- if (is.null(net$act_par)) 1 else abs(net$act_par[["a"]] * net$act_par[["b"]])
                   2 * ab / sqrt(pi)
                 },
                 gelu = 1.129, sin = 1, cos = 1, gaussian = 0.858, NA_real_)
  if (is.na(cphi)) return(FALSE)
  net$depth * log10(max(1, net$sigma_w^2 * cphi^2)) <= 6
}

# Half the largest change of the scalars of a pair of rows of Y under the
# swap of its two points (a lower bound on their error; see kernel_certify()).
jacobian_swap_error <- function(net, Y, kind) {
  kp <- kernel_par(net, kind == "jntk", kind_label(kind))
  sc <- function(u, v) as.numeric(.Call(C_kernels_scalars, u, v, kp$par, kp$ipar, kp$rule,
                                        kind_code(kind), 1L)[[1L + (kind == "jntk")]])
  out <- 0
  for (i in seq_len(nrow(Y) - 1L)) for (j in (i + 1L):nrow(Y)) {
    F <- sc(Y[i, , drop = FALSE], Y[j, , drop = FALSE])
    G <- sc(Y[j, , drop = FALSE], Y[i, , drop = FALSE])
    out <- max(out, abs(F - G[c(1, 2, 4, 3, 5, 7, 6, 8)]) / 2)
  }
  out
}
