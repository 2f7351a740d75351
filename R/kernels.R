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
#'   results do not depend on it.
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
nngp <- function(net, x1, x2 = NULL, threads = default_threads()) {
  kernel_plain_call(net, x1, x2, c(TRUE, FALSE), threads)$nngp
}

#' @rdname nngp
#' @export
ntk <- function(net, x1, x2 = NULL, threads = default_threads()) {
  kernel_plain_call(net, x1, x2, c(FALSE, TRUE), threads)$ntk
}

#' @rdname nngp
#' @export
kernels <- function(net, x1, x2 = NULL, jacobian = FALSE, as = c("matrix", "structured"),
                    threads = default_threads()) {
  if (!is.logical(jacobian) || length(jacobian) != 1L || is.na(jacobian)) {
    jntk_abort("`jacobian` must be TRUE (the Jacobian NNGP and the JNTK) or FALSE (the NNGP and the NTK).",
               class = "jntk_error_argument")
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

kernel_par <- function(net) {
  rule <- if (net$closed_form) NULL else {
    r <- mixture_rule(16L)
    list(r$nodes, r$weights)
  }
  list(par = c(net$sigma_w, net$sigma_b, net$kappa, net$slope, net$quadrature_tol %||% 1e-10),
       ipar = c(as.integer(net$activation_code), as.integer(net$depth), .jntk_series_terms),
       rule = rule)
}

# Doubles the C workers allocate besides the results, for check_alloc():
# `state` n1 x n2 slices (the Gram matrix, a covariance state the result does
# not hold), the kinked angle, the series tables of one layer
# (orders x (terms + 3) per point) and their node rules.
kernel_work_doubles <- function(net, n1, n2, jets, state) {
  pairs <- as.double(n1) * n2
  nord <- if (jets) 5 else 2
  w <- pairs * state
  if (net$activation %in% c("identity", "relu", "leaky_relu", "abs")) w <- w + pairs
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
    jntk_abort(sprintf(paste0(
      "The %s of \"%s\" cannot be certified to `quadrature_tol` = %g: at hidden layer %d a pair ",
      "with pre-activation variance %.3g has an estimated relative error of %.2g. ",
      "Standardise or scale down the inputs, reduce `sigma_w`, or loosen the tolerance ",
      "(e.g. `mlp(..., quadrature_tol = %g)`)."),
      what, net$activation, tol, as.integer(fail[2]), fail[3], fail[4],
      signif(max(100 * fail[4], 10 * tol), 1)),
      class = "jntk_error_accuracy",
      data = list(estimate = fail[4], variance = fail[3], layer = as.integer(fail[2])))
  }
  invisible(NULL)
}

kernel_plain_call <- function(net, x1, x2, what, threads) {
  inp <- kernel_inputs(net, x1, x2)
  threads <- check_threads(threads)
  n_out <- as.double(inp$n1) * inp$n2 * sum(what)
  check_alloc(n_out + kernel_work_doubles(net, inp$n1, inp$n2, FALSE, !what[1]),
              sprintf("A %s x %s kernel matrix%s", format(inp$n1, big.mark = ","),
                      format(inp$n2, big.mark = ","), if (sum(what) > 1) " pair" else ""),
              "Compute it in blocks of rows of `x1` (e.g. 1,000 at a time).")
  if (inp$n1 > .Machine$integer.max / inp$n2) {
    jntk_abort(sprintf("A %d x %d matrix exceeds R's matrix size limit; compute it in blocks of rows of `x1`.",
                       inp$n1, inp$n2), class = "jntk_error_size")
  }
  kp <- kernel_par(net)
  res <- .Call(C_kernels_plain, inp$x1, inp$x2, kp$par, kp$ipar, kp$rule, what, threads)
  kernel_fail(res[[3]], net, paste(c("NNGP", "NTK")[what], collapse = " and "))
  res <- res[1:2]
  dn <- list(rownames(inp$x1), if (is.null(inp$x2)) rownames(inp$x1) else rownames(inp$x2))
  if (!is.null(dn[[1]]) || !is.null(dn[[2]])) {
    for (k in which(what)) dimnames(res[[k]]) <- dn
  }
  names(res) <- c("nngp", "ntk")
  res[what]
}
