#' jntk: infinite-width kernels of neural networks and their input Jacobians
#'
#' Analytic NNGP and NTK kernels of deep multilayer perceptrons (Jacot et al.,
#' 2018), their Jacobian versions, the Jacobian NNGP and the JNTK (Kim and Yang,
#' 2024), finite-width networks and their empirical kernels, training with a
#' Jacobian-norm regulariser, and the closed-form infinite-width training
#' dynamics. All conventions are listed in [mlp()].
#'
#' Options: `jntk.threads` (default number of OpenMP threads, 1),
#' `jntk.max_memory_gb` (largest result the package allocates; default 80% of
#' physical memory).
#'
#' @keywords internal
#' @docType package
#' @name jntk-package
#' @aliases jntk-package
#' @useDynLib jntk, .registration = TRUE, .fixes = "C_"
#' @importFrom methods setClass setMethod new show
#' @importFrom stats predict
#' @importFrom graphics plot
NULL
