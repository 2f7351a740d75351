#' jntk: infinite-width kernels of neural networks and their input Jacobians
#'
#' Analytic NNGP and NTK kernels of deep multilayer perceptrons (Jacot et al.,
#' 2018), their Jacobian versions, the Jacobian NNGP and the JNTK (Kim and Yang,
#' 2024), finite-width networks and their empirical kernels, training with a
#' Jacobian-norm regulariser, and the closed-form infinite-width training
#' dynamics. All conventions (parametrisation, depth, block-major order) are
#' listed in [mlp()].
#'
#' @section Functions by task:
#' * **Architecture:** [mlp()], [activations()]; [summary.mlp()], [plot.mlp()].
#' * **Analytic kernels:** [nngp()], [ntk()], [kernels()] (both at once);
#'   [jacobian_nngp()], [jntk()] (dense or structured, see
#'   [jntk_structured-class] and [block()]).
#' * **Finite networks:** [sample_mlp()], [mlp_network()],
#'   [predict.mlp_network()], [input_jacobian()]; empirical kernels
#'   [empirical_nngp()], [empirical_ntk()], [empirical_jntk()].
#' * **Finite width against the limit:** [monte_carlo()],
#'   [kernel_convergence()] with [plot.jntk_convergence()] and
#'   [summary.jntk_convergence()]; [plot_kernel_circle()].
#' * **Training:** [train_mlp()], [training_gradient()], [kernel_drift()],
#'   [predict.mlp_fit()], [plot.mlp_fit()].
#' * **Infinite-width dynamics:** [gradient_flow()],
#'   [predict.gradient_flow()], [plot.gradient_flow()]; spectra
#'   [min_eigenvalue()], [plot_spectrum()], [plot_min_eigenvalue()].
#' * **Robustness:** [robustness()], [summary.jntk_robustness()],
#'   [eigenfeatures()].
#' * **Data:** [unit_circle()], [sphere_points()], [read_idx()],
#'   [fashion_mnist_1k].
#'
#' @section Vignettes:
#' `vignette("jntk")` (a tour), `vignette("ntk-jacot2018")` (the figures of
#' Jacot et al. 2018), `vignette("jacobian-kim-yang2024")` (the experiments of
#' Kim and Yang 2024).
#'
#' @section Options:
#' Set when the package loads, unless you set them before:
#' * `jntk.threads`: the default number of threads of every computation (1;
#'   see [default_threads()]); results do not depend on it.
#' * `jntk.max_memory_gb`: the largest allocation the package attempts (80 %
#'   of physical memory); larger requests are refused before allocating, with
#'   the size and an alternative.
#'
#' @references Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel:
#'   Convergence and Generalization in Neural Networks, NeurIPS.
#'   Kim and Yang (2024), An Infinite-Width Analysis on the
#'   Jacobian-Regularised Training of a Neural Network, ICML.
#' @seealso [mlp()] for the conventions; the vignettes above.
#' @examples
#' net <- mlp(depth = 3, activation = "relu", sigma_b = 0.1)
#' x <- unit_circle(5)
#' ntk(net, x)
#' summary(net)
#' @docType package
#' @name jntk-package
#' @aliases jntk-package
#' @useDynLib jntk, .registration = TRUE, .fixes = "C_"
#' @importFrom methods setClass setMethod new show
#' @importFrom stats predict
#' @importFrom graphics plot
NULL
