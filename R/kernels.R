#' Infinite-width NNGP and NTK kernels
#'
#' `nngp()` and `ntk()` compute the limiting NNGP kernel
#' \eqn{\kappa^2\Sigma^{L+1}(x, x')} and neural tangent kernel
#' \eqn{\kappa^2\Theta^{L+1}(x, x')} of the architecture `net` (see [mlp()] for
#' the recursion and conventions) for every pair of rows of `x1` and `x2`;
#' `kernels()` returns both from one pass. The layer recursion runs in C, fused
#' in one pass over the output per pair, with the Gram matrix from BLAS.
#'
#' @param net An architecture from [mlp()].
#' @param x1 Inputs, one point per row: a numeric matrix, a numeric vector (one
#'   point) or a data frame of numeric columns.
#' @param x2 Second set of inputs (same number of columns as `x1`), or `NULL` for
#'   the symmetric kernel of `x1` with itself (each pair computed once).
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
#'   elements `nngp` and `ntk`.
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
kernels <- function(net, x1, x2 = NULL, threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("kernels", net, x1, x2, block_size, file, threads))
  kernel_plain_call(net, x1, x2, c(TRUE, TRUE), threads)
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

kernel_par <- function(net) {
  list(par = c(net$sigma_w, net$sigma_b, net$kappa, net$slope),
       ipar = c(as.integer(net$activation_code), as.integer(net$depth)),
       gh = if (net$closed_form) list(0, 1, matrix(1)) else {
         rule <- hermite_rule(net$quadrature_degree)
         list(rule$nodes, rule$weights, rule$hermite)
       })
}

kernel_plain_call <- function(net, x1, x2, what, threads) {
  inp <- kernel_inputs(net, x1, x2)
  threads <- check_threads(threads)
  n_out <- as.double(inp$n1) * inp$n2 * sum(what)
  check_alloc(n_out, sprintf("A %s x %s kernel matrix%s", format(inp$n1, big.mark = ","),
                             format(inp$n2, big.mark = ","), if (sum(what) > 1) " pair" else ""),
              "Compute it in blocks of rows of `x1` (e.g. 1,000 at a time).")
  if (inp$n1 > .Machine$integer.max / inp$n2) {
    jntk_abort(sprintf("A %d x %d matrix exceeds R's matrix size limit; compute it in blocks of rows of `x1`.",
                       inp$n1, inp$n2), class = "jntk_error_size")
  }
  kp <- kernel_par(net)
  res <- .Call(C_kernels_plain, inp$x1, inp$x2, kp$par, kp$ipar, kp$gh, what, threads)
  dn <- list(rownames(inp$x1), if (is.null(inp$x2)) rownames(inp$x1) else rownames(inp$x2))
  if (!is.null(dn[[1]]) || !is.null(dn[[2]])) {
    for (k in which(what)) dimnames(res[[k]]) <- dn
  }
  names(res) <- c("nngp", "ntk")
  res[what]
}
