#' Jacobian NNGP and JNTK: kernels of a network's output and input Jacobian
#'
#' `jacobian_nngp()` is the covariance of the joint Gaussian process of
#' \eqn{(f(x), \partial f/\partial x_1, \dots, \partial f/\partial x_d)} at
#' initialisation in the infinite-width limit (Kim and Yang, 2024, Theorems
#' 3.1-3.2); `jntk()` is the Jacobian neural tangent kernel that governs
#' Jacobian-regularised training (Theorems 4.3-4.5). Both are mixed input
#' derivatives of [nngp()] and [ntk()]:
#' \eqn{Cov(\partial_i f(x), \partial_j f(x')) = \partial_{x_i}\partial_{x'_j} K(x, x')}.
#' `kernels(net, x1, x2, jacobian = TRUE)` returns both from one pass.
#'
#' @section Ordering:
#' Rows and columns are in block-major order: rows `1..N1` are
#' \eqn{f(x_1), \dots, f(x_{N1})}; row `N1 + (a - 1) d + i` is
#' \eqn{\partial f/\partial x_i} at \eqn{x_a}. So `K[1:N1, 1:N2]` is the plain
#' kernel. Dimnames read `"f(a)"` and `"di f(a)"` (with row names of the inputs
#' when they have them).
#'
#' @section Structure:
#' Every layer depends on \eqn{(x, x')} only through the angle
#' \eqn{\rho = \hat x\cdot\hat x'} (\eqn{\hat x = x/|x|}) and the norms
#' \eqn{n = |x|}, \eqn{m = |x'|}, so with \eqn{K = H(\rho, n, m)} each pair
#' needs eight scalars, stored as
#' \eqn{(K, P, Q, R, S, T_q, T_r, U) = (H, H_\rho/(nm), H_n, H_m,
#' H_{\rho\rho}/(nm), H_{\rho n}/m, H_{\rho m}/n, H_{nm})}, and with
#' \eqn{e = \hat x' - \rho\hat x}, \eqn{e' = \hat x - \rho\hat x'}:
#' \deqn{\partial_{x_i}K = P m e_i + Q\hat x_i,\qquad
#'   \partial_{x_i}\partial_{x'_j}K = P\delta_{ij} + S e_i e'_j + (T_q - P)\hat x_i e'_j
#'   + T_r e_i\hat x'_j + U\hat x_i\hat x'_j - P\hat x'_i\hat x'_j.}{see
#'   src/jacobian_kernels.c.}
#' So the \eqn{d \times d} block is \eqn{P I} plus a rank-two term in
#' span\{x, x'\}, and no term larger than the result is cancelled: the angular
#' curvature \eqn{S}, large next to the diagonal, only multiplies
#' \eqn{e e'^T}. (\eqn{P} is \eqn{\partial K/\partial(x\cdot x')}; at a zero
#' norm \eqn{\hat x = 0} and the scalars are the limits.)
#' `as = "structured"` returns these scalars (O(N1 N2) memory) as a
#' `"jntk_structured"` object that supports `%*%` on either side in
#' O(N1 N2 d), [as.matrix()], `dim()`, `diag()`, `t()` and [block()]; the dense
#' matrix is assembled from the same scalars.
#'
#' @section Kinked activations:
#' The Jacobian NNGP of relu, leaky relu and abs is finite and continuous; on
#' the diagonal it is exact (for relu
#' \eqn{Cov(\partial_i f(x), \partial_j f(x)) = \kappa^2(\sigma_w^2/2)^L\sigma_w^2/d\,\delta_{ij}}).
#' Next to it, the angle between the two feature vectors is carried from layer
#' to layer by a recursion for \eqn{1 - \cos\theta} and \eqn{1 + \cos\theta} that
#' loses no digits (the first layer from \eqn{|\hat x - \hat x'|} when
#' \eqn{|\rho| > 1 - 10^{-4}}), and the divergent \eqn{1/\sin\theta} term enters
#' only through \eqn{S e e'^T}, which vanishes like \eqn{\theta}; so entries
#' next to the diagonal (\eqn{x' = x(1 + 10^{-7})}, or \eqn{1 - \rho = 10^{-14}})
#' are accurate to about 1e-13 of the largest entry. What remains: the input
#' angle itself is known only to the rounding of the inputs and of the BLAS
#' Gram matrix (about \eqn{d\epsilon} in \eqn{\rho} away from the diagonal), and
#' for anti-parallel inputs of a deep leaky relu the angle near \eqn{\pi} keeps
#' only half its digits after the first layer.
#' Their JNTK is infinite on the diagonal and `jntk()` refuses them.
#'
#' @inheritParams nngp
#' @param as `"matrix"` (dense, \eqn{N1(d+1) \times N2(d+1)}) or `"structured"`.
#' @param block_size,file Compute the dense matrix in blocks as futures on the
#'   current [future::plan()], or into a file-backed matrix (see [kernel-blocks]).
#' @return A matrix, or a `"jntk_structured"` object (see Structure).
#' @references Kim and Yang (2024), An Infinite-Width Analysis on the
#'   Jacobian-Regularised Training of a Neural Network, ICML.
#' @seealso [kernels()] for both in one pass; [mlp()] for the accuracy.
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
  check_jntk_smooth(net)
  jacobian_kernel(net, x1, x2, kind = "jntk", as = as, threads = threads)
}

# The JNTK needs a continuous phi'': refuse kinked activations.
check_jntk_smooth <- function(net) {
  check_activation_kind(net, "JNTK")
  if (net$smooth) return(invisible(net))
  smooth <- .jntk_activations$name[.jntk_activations$smooth & .jntk_activations$name != "identity"]
  jntk_abort(sprintf(paste0(
    "`net` has the kinked activation \"%s\", whose JNTK is infinite on the diagonal: the ",
    "limiting NTK has a -c|x - x'| cusp, so its mixed second derivative diverges as ",
    "x' -> x, and finite-width values grow with width. Use a smooth activation (%s), ",
    "or `jacobian_nngp()`, which is finite for \"%s\"."),
    net$activation, paste(smooth, collapse = ", "), net$activation),
    class = "jntk_error_unsupported")
}

match_as <- function(as) {
  if (!is.character(as) || length(as) < 1L || !(as[1] %in% c("matrix", "structured"))) {
    jntk_abort("`as` must be \"matrix\" (dense) or \"structured\" (per-pair scalars, O(N1 N2) memory).",
               class = "jntk_error_argument")
  }
  as[1]
}

# One or both Jacobian kinds from one pass; a list for two kinds.
jacobian_kernel <- function(net, x1, x2, kind, as, threads) {
  inp <- kernel_inputs(net, x1, x2)
  check_activation_kind(net, kind_label(kind[1]))
  threads <- check_threads(threads)
  n1 <- inp$n1; n2 <- inp$n2; d <- inp$d
  check_alloc(8 * as.double(n1) * n2 * length(kind) +
                kernel_work_doubles(net, n1, n2, TRUE, 1 + 8 * !("jacobian_nngp" %in% kind)),
              sprintf("The per-pair scalars of a %s x %s Jacobian kernel%s (%s)", format(n1, big.mark = ","),
                      format(n2, big.mark = ","), if (length(kind) > 1L) " pair" else "",
                      if (is.null(x2)) "the points of `x1` with themselves" else "the points of `x1` by those of `x2`"),
              "Compute it in blocks of rows of `x1`.")
  if (as == "matrix") check_dense(n1, n2, d, length(kind))
  kp <- kernel_par(net, "jntk" %in% kind, "JNTK")
  res <- .Call(C_kernels_scalars, inp$x1, inp$x2, kp$par, kp$ipar, kp$rule,
               kind_code(kind), threads)
  kernel_fail(res[[3]], net, paste(kind_label(kind), collapse = " and "))
  kernel_certify(net, inp, kind)
  x2m <- if (is.null(inp$x2)) inp$x1 else inp$x2
  out <- lapply(kind, function(k) {
    S <- new_structured(F = res[[1L + (k == "jntk")]], x1 = inp$x1, x2 = x2m,
                        kind = k,
                        net = unclass(net)[c("depth", "activation", "sigma_w", "sigma_b", "kappa")],
                        symmetric = is.null(inp$x2))
    if (as == "structured") S else as.matrix(S, threads = threads)
  })
  names(out) <- kind
  if (length(kind) == 1L) out[[1]] else out
}

check_dense <- function(n1, n2, d, nmat = 1L) {
  r <- as.double(n1) * (d + 1); c <- as.double(n2) * (d + 1)
  instead <- sprintf("Use `as = \"structured\"`, which stores %.3g GB and multiplies in O(N1 N2 d).",
                     nmat * 8 * 8 * as.double(n1) * n2 / 1e9)
  check_alloc(nmat * r * c, sprintf("The dense %s x %s Jacobian kernel%s", format(r, big.mark = ","),
                                    format(c, big.mark = ","), if (nmat > 1) " pair" else ""),
              instead)
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

# Entries (row[t], col[t]) of the dense Jacobian kernel from the eight
# scalars (see Structure in ?jacobian_nngp), vectorised over t.
jacobian_entries <- function(F, x1, x2, row, col, n1, n2, d) {
  split <- function(r, n) {
    j <- r > n
    list(pt = ifelse(j, (r - n - 1L) %/% d + 1L, r), i = ifelse(j, (r - n - 1L) %% d + 1L, 0L))
  }
  R <- split(row, n1); C <- split(col, n2)
  unit <- function(x) { nr <- sqrt(rowSums(x^2)); x / ifelse(nr > 0, nr, 1) }
  u1 <- unit(x1); u2 <- unit(x2)
  n <- sqrt(rowSums(x1^2))[R$pt]; m <- sqrt(rowSums(x2^2))[C$pt]
  rho <- pmin(pmax(rowSums(u1[R$pt, , drop = FALSE] * u2[C$pt, , drop = FALSE]), -1), 1)
  f <- function(k) F[cbind(R$pt, C$pt, k)]
  co <- function(u, pt, i) ifelse(i > 0L, u[cbind(pt, pmax(i, 1L))], 0)
  xi <- co(u1, R$pt, R$i); yi <- co(u2, C$pt, R$i)  # x^_i, x^'_i
  xj <- co(u1, R$pt, C$i); yj <- co(u2, C$pt, C$i)  # x^_j, x^'_j
  e_i <- yi - rho * xi; ep_j <- xj - rho * yj
  P <- f(2)
  out <- numeric(length(row))
  ff <- R$i == 0L & C$i == 0L; jf <- R$i > 0L & C$i == 0L
  fj <- R$i == 0L & C$i > 0L; jj <- R$i > 0L & C$i > 0L
  out[ff] <- f(1)[ff]
  out[jf] <- (P * m * e_i + f(3) * xi)[jf]
  out[fj] <- (P * n * ep_j + f(4) * yj)[fj]
  out[jj] <- (P * (R$i == C$i) + f(5) * e_i * ep_j + (f(6) - P) * xi * ep_j +
                f(7) * e_i * yj + f(8) * xi * yj - P * yi * yj)[jj]
  out
}
