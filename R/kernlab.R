# Interoperation with kernlab (in Suggests): network kernels as kernlab
# "kernelMatrix" objects (for ksvm, kpca, kkmeans, ...) and as kernlab
# kernel functions (for gausspr and anything that takes `kernel =`).

#' Network kernels for kernlab
#'
#' `as_kernel_matrix()` turns a kernel matrix computed by jntk ([ntk()],
#' [nngp()], [jacobian_nngp()], [jntk()], or any numeric matrix) into a
#' kernlab `"kernelMatrix"`, so it can be given to `kernlab::ksvm()`,
#' `kernlab::kpca()`, `kernlab::kkmeans()` and the other kernlab functions
#' that accept precomputed kernels. `kernlab_kernel()` returns a kernlab
#' kernel function (class `"kernel"`) of the network, for functions that take
#' a kernel but no precomputed matrix, such as `kernlab::gausspr()`.
#'
#' With a precomputed matrix, kernlab predicts from the kernel between the
#' new points and the training points, restricted to the support vectors for
#' `ksvm()`: `as_kernel_matrix(ntk(net, x_new, x[SVindex(fit), ]))`. A kernel
#' function is evaluated by kernlab pair by pair in R (about 0.1 ms a pair, so
#' about 5 s for the 45,000 pairs of 300 points): where kernlab accepts a
#' precomputed matrix, compute it with jntk (one call in C) instead.
#'
#' @param K A numeric matrix (e.g. from [ntk()]) or a structured Jacobian
#'   kernel (made dense).
#' @param center Centre the kernel matrix in feature space (kernlab's
#'   `as.kernelMatrix(center = )`; only for a square matrix).
#' @return `as_kernel_matrix()`: an object of kernlab's S4 class
#'   `"kernelMatrix"` (a plain numeric matrix underneath, without dimnames).
#'   `kernlab_kernel()`: a function of two vectors returning the kernel value,
#'   of class `"kernel"`. Both need kernlab: without it they stop with an error
#'   of class `jntk_error_dependency` that says how to install it.
#' @seealso [ntk()], [nngp()], [gp_fit()] (Gaussian-process regression with
#'   these kernels, values and gradients, and evidence).
#' @examples
#' if (requireNamespace("kernlab", quietly = TRUE)) {
#'   net <- mlp(depth = 2, activation = "relu", sigma_b = 0.1)
#'   set.seed(1)
#'   x <- matrix(rnorm(120), ncol = 2)
#'   y <- factor(ifelse(x[, 1] * x[, 2] > 0, "same", "opposite"))
#'   fit <- kernlab::ksvm(as_kernel_matrix(ntk(net, x)), y, kernel = "matrix", C = 10)
#'   x_new <- matrix(rnorm(40), ncol = 2)
#'   K_new <- as_kernel_matrix(ntk(net, x_new, x[kernlab::SVindex(fit), , drop = FALSE]))
#'   table(predicted = kernlab::predict(fit, K_new),
#'         truth = ifelse(x_new[, 1] * x_new[, 2] > 0, "same", "opposite"))
#'   # a kernel function, e.g. for Gaussian-process classification or regression
#'   k <- kernlab_kernel(net, "nngp")
#'   k(x[1, ], x[2, ])
#' }
#' @export
as_kernel_matrix <- function(K, center = FALSE) {
  need_suggested("kernlab", "as_kernel_matrix()")
  center <- check_flag(center, "center")
  if (methods::is(K, "jntk_structured")) K <- as.matrix(K)
  K <- check_kernel_matrix(K, "K")
  if (center && nrow(K) != ncol(K)) {
    jntk_abort(sprintf("`center = TRUE` needs a square (training) kernel matrix, not %d x %d.", nrow(K), ncol(K)),
               class = "jntk_error_input")
  }
  K <- unname(K)
  storage.mode(K) <- "double"
  attributes(K) <- list(dim = dim(K))
  kernlab::as.kernelMatrix(K, center = center)
}

#' @rdname as_kernel_matrix
#' @param net An architecture from [mlp()].
#' @param kernel `"ntk"` or `"nngp"`.
#' @export
kernlab_kernel <- function(net, kernel = c("ntk", "nngp")) {
  need_suggested("kernlab", "kernlab_kernel()")
  check_mlp(net)
  kernel <- check_choice(kernel, c("ntk", "nngp"), "kernel")
  f <- function(x, y) {
    K <- if (kernel == "ntk") ntk(net, x, y, threads = 1L) else nngp(net, x, y, threads = 1L)
    K[1L, 1L, drop = TRUE]
  }
  class(f) <- "kernel"
  f
}

# A package in Suggests, or a classed error saying how to get it.
need_suggested <- function(pkg, what) {
  if (!requireNamespace(pkg, quietly = TRUE)) {
    jntk_abort(sprintf("%s needs the %s package: install.packages(\"%s\").", what, pkg, pkg),
               class = "jntk_error_dependency")
  }
  invisible(TRUE)
}
