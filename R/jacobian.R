#' Jacobian NNGP and JNTK: kernels of a network's output and input Jacobian
#'
#' `jacobian_nngp()` is the covariance of the joint Gaussian process of
#' \eqn{(f(x), \partial f/\partial x_1, \dots, \partial f/\partial x_d)} at
#' initialisation in the infinite-width limit (Kim and Yang, 2024, Theorems
#' 3.1-3.2); `jntk()` is the Jacobian neural tangent kernel that governs
#' Jacobian-regularised training (Theorems 4.3-4.5). Both are mixed input
#' derivatives of [nngp()] and [ntk()]:
#' \eqn{Cov(\partial_i f(x), \partial_j f(x')) = \partial_{x_i}\partial_{x'_j} K(x, x')}.
#'
#' @section Ordering:
#' Rows and columns are in block-major order: rows `1..N1` are
#' \eqn{f(x_1), \dots, f(x_{N1})}; row `N1 + (a - 1) d + i` is
#' \eqn{\partial f/\partial x_i} at \eqn{x_a}. So `K[1:N1, 1:N2]` is the plain
#' kernel. Dimnames read `"f(a)"` and `"di f(a)"` (with row names of the inputs
#' when they have them).
#'
#' @section Structure:
#' Every layer depends on \eqn{(x, x')} only through \eqn{p = x\cdot x'},
#' \eqn{q = |x|^2}, \eqn{r = |x'|^2}, so with \eqn{K = F(p, q, r)} each pair
#' needs eight scalars \eqn{(F, F_p, F_q, F_r, F_{pp}, F_{pq}, F_{pr}, F_{qr})}
#' and its \eqn{d \times d} block is \eqn{F_p I} plus a rank-two term in
#' span\{x, x'\}. `as = "structured"` returns these scalars (O(N1 N2) memory) as
#' a `"jntk_structured"` object that supports `%*%` on either side in
#' O(N1 N2 d), [as.matrix()], `dim()`, `diag()`, `t()` and [block()]; the dense
#' matrix is assembled from the same scalars.
#'
#' @section Kinked activations:
#' The Jacobian NNGP of relu, leaky relu and abs is finite and continuous; on
#' the diagonal it is exact (for relu
#' \eqn{Cov(\partial_i f(x), \partial_j f(x)) = \kappa^2(\sigma_w^2/2)^L\sigma_w^2/d\,\delta_{ij}}),
#' and within \eqn{1 - \rho^2 \lesssim 10^{-15}} of it the vanishing
#' \eqn{1/\sqrt{1-\rho^2}} term is dropped (relative error about 1e-8 there).
#' Their JNTK is infinite on the diagonal and `jntk()` refuses them.
#'
#' @inheritParams nngp
#' @param as `"matrix"` (dense, \eqn{N1(d+1) \times N2(d+1)}) or `"structured"`.
#' @param block_size,file Compute the dense matrix in blocks as futures on the
#'   current [future::plan()], or into a file-backed matrix (see [kernel-blocks]).
#' @return A matrix, or a `"jntk_structured"` object (see Structure).
#' @references Kim and Yang (2024), An Infinite-Width Analysis on the
#'   Jacobian-Regularised Training of a Neural Network, ICML.
#' @examples
#' net <- mlp(depth = 2, activation = "erf", sigma_w = 1.5, sigma_b = 0.1, kappa = 0.1)
#' x <- matrix(c(1, 0, 0.6, 0.8, -0.5, 0.2), ncol = 2, byrow = TRUE)
#' KJ <- jacobian_nngp(net, x)
#' dim(KJ)                      # 9 x 9: three outputs, then 3 x 2 derivatives
#' all.equal(KJ[1:3, 1:3], nngp(net, x), check.attributes = FALSE)
#' S <- jntk(net, x, as = "structured")
#' S
#' v <- rnorm(9)
#' all.equal(S %*% v, as.matrix(S) %*% v)
#' block(S, "jj")
#' @export
jacobian_nngp <- function(net, x1, x2 = NULL, as = c("matrix", "structured"),
                          threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("jacobian_nngp", net, x1, x2, block_size, file, threads, as = as))
  as <- match_as(as)
  jacobian_kernel(net, x1, x2, kind = "jacobian_nngp", as = as, threads = threads)
}

#' @rdname jacobian_nngp
#' @export
jntk <- function(net, x1, x2 = NULL, as = c("matrix", "structured"),
                 threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("jntk", net, x1, x2, block_size, file, threads, as = as))
  as <- match_as(as)
  check_mlp(net)
  if (!net$smooth) {
    smooth <- .jntk_activations$name[.jntk_activations$smooth & .jntk_activations$name != "identity"]
    jntk_abort(sprintf(paste0(
      "The JNTK of \"%s\" is infinite on the diagonal: for a kinked activation the ",
      "limiting NTK has a -c|x - x'| cusp, so its mixed second derivative diverges as ",
      "x' -> x, and finite-width values grow with width. Use a smooth activation (%s), ",
      "or `jacobian_nngp()`, which is finite for \"%s\"."),
      net$activation, paste(smooth, collapse = ", "), net$activation),
      class = "jntk_error_unsupported")
  }
  jacobian_kernel(net, x1, x2, kind = "jntk", as = as, threads = threads)
}

match_as <- function(as) {
  if (!is.character(as) || length(as) < 1L || !(as[1] %in% c("matrix", "structured"))) {
    jntk_abort("`as` must be \"matrix\" (dense) or \"structured\" (per-pair scalars, O(N1 N2) memory).",
               class = "jntk_error_argument")
  }
  as[1]
}

jacobian_kernel <- function(net, x1, x2, kind, as, threads) {
  inp <- kernel_inputs(net, x1, x2)
  threads <- check_threads(threads)
  n1 <- inp$n1; n2 <- inp$n2; d <- inp$d
  check_alloc(8 * as.double(n1) * n2,
              sprintf("The per-pair scalars of a %d x %d Jacobian kernel", n1, n2),
              "Compute it in blocks of rows of `x1`.")
  if (as == "matrix") check_dense(n1, n2, d)
  kp <- kernel_par(net)
  F <- .Call(C_kernels_scalars, inp$x1, inp$x2, kp$par, kp$ipar, kp$gh,
             kind_code(kind), threads)
  x2m <- if (is.null(inp$x2)) inp$x1 else inp$x2
  S <- methods::new("jntk_structured", F = F, x1 = inp$x1, x2 = x2m, kind = kind,
                    net = unclass(net)[c("depth", "activation", "sigma_w", "sigma_b", "kappa")],
                    symmetric = is.null(inp$x2))
  if (as == "structured") return(S)
  as.matrix(S, threads = threads)
}

check_dense <- function(n1, n2, d) {
  r <- as.double(n1) * (d + 1); c <- as.double(n2) * (d + 1)
  instead <- sprintf("Use `as = \"structured\"`, which stores %.3g GB and multiplies in O(N1 N2 d).",
                     8 * 8 * as.double(n1) * n2 / 1e9)
  check_alloc(r * c, sprintf("The dense %s x %s Jacobian kernel", format(r, big.mark = ","),
                             format(c, big.mark = ",")), instead)
  if (r > .Machine$integer.max || c > .Machine$integer.max) {
    jntk_abort(sprintf("The dense Jacobian kernel would have %.0f x %.0f entries, beyond R's matrix dimensions. %s",
                       r, c, instead), class = "jntk_error_size")
  }
}

jacobian_labels <- function(x, d) {
  n <- nrow(x)
  lab <- if (is.null(rownames(x))) as.character(seq_len(n)) else rownames(x)
  c(sprintf("f(%s)", lab), sprintf("d%d f(%s)", rep(seq_len(d), n), rep(lab, each = d)))
}
