# Kim and Yang (2024), Figure 5 (our reading): robustness of the
# infinite-width kernel regressor with and without Jacobian regularisation.
#
# Paper: the kernel-regression view explains Jacobian regularisation: the
# regularised regressor is smoother (smaller input gradients) and keeps its
# accuracy under input perturbations better than the plain one.
# Here: gradient_flow(...) regressors on MASS::Pima.tr (see
# kimyang2024-fig3.R for why not the paper's data), lambda in {0, 0.01, 0.1,
# 1}, read at the training time of Figure 3 (t = 1000) and at t = Inf, erf and
# gelu, depth 2; FGSM attacks of l-infinity radius 0 ... 0.3 (standardised
# units) on the 332 women of MASS::Pima.te with robustness(): accuracy and
# mean input-gradient norm. With a positive definite JNTK every lambda > 0
# has the same t = Inf regressor (it interpolates y with zero Jacobian at the
# training inputs): lambda acts through the finite time.
#
# Run: Rscript inst/experiments/kimyang2024-fig5.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("kimyang2024-fig5")
# Writes inst/extdata/kimyang2024-fig5.rds (paper size).

sys.source(file.path(if (exists("experiment_file")) dirname(experiment_file) else
  dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
  "kimyang2024-data.R"), envir = environment())

experiment <- list(
  name = "kimyang2024-fig5",
  title = "Robustness of the kernel regressor under FGSM, with and without Jacobian regularisation, MASS::Pima (Kim & Yang 2024, Fig. 5)",
  paper = list(data = "Algerian forest fires",
               claim = "the Jacobian-regularised regressor has smaller input gradients and loses less accuracy under attack"),

  settings = function(size) {
    s <- list(data = "MASS::Pima.tr (train), MASS::Pima.te (test)", n_train = 200L, n_test = 332L,
              depth = 2L, activations = c("erf", "gelu"), lambdas = c(0, 0.01, 0.1, 1),
              times = c(1000, Inf), eps = c(0, 0.05, 0.1, 0.2, 0.3), sigma_w = 1, sigma_b = 0.1,
              kappa = 0.1, ridge = 1e-8, seed = 20245L)
    if (size == "small") {
      s$n_train <- 60L; s$n_test <- 80L; s$activations <- "erf"; s$lambdas <- c(0, 0.1)
    }
    s
  },

  cells = pima_flow_cells,
  cost = pima_flow_cost,
  shared = function(s) pima_data(s$n_train, s$n_test),

  run_cell = function(cell, s, shared) {
    fl <- pima_flow(cell, s, shared)
    do.call(rbind, lapply(s$times, function(t) {
      rb <- jntk::robustness(fl, shared$x_test, shared$y_test, eps = s$eps, attack = "fgsm",
                             t = t, features = FALSE, threads = s$threads)
      cbind(t = t, as.data.frame(unclass(rb)))
    }))
  },

  collate = function(cells, values, s, shared) {
    curves <- do.call(rbind, lapply(seq_along(values), function(i) {
      cbind(activation = cells$activation[i], lambda = cells$lambda[i], values[[i]],
            stringsAsFactors = FALSE)
    }))
    rownames(curves) <- NULL
    # the contrast at the largest radius: accuracy lost and gradient norm,
    # regularised (each lambda > 0) against plain (lambda = 0)
    top <- curves[curves$eps == max(s$eps) | curves$eps == 0, ]
    contrast <- do.call(rbind, lapply(split(top, list(top$activation, top$lambda, top$t), drop = TRUE), function(d) {
      data.frame(activation = d$activation[1], lambda = d$lambda[1], t = d$t[1],
                 clean_accuracy = d$accuracy[d$eps == 0],
                 attacked_accuracy = d$accuracy[d$eps == max(s$eps)],
                 accuracy_lost = d$accuracy[d$eps == 0] - d$accuracy[d$eps == max(s$eps)],
                 grad_norm = d$grad_norm[d$eps == 0])
    }))
    rownames(contrast) <- NULL
    list(curves = curves, contrast = contrast[order(contrast$activation, contrast$t, contrast$lambda), ],
         n_train = nrow(shared$x), n_test = nrow(shared$x_test))
  }
)

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
