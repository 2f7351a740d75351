# Kim and Yang (2024), Figure 4: eigenfeatures of the infinite-width kernel
# regressor, usefulness against robustness (after Tsilivis and Kempe 2022).
#
# Paper: the kernel regressor of an infinitely wide network is split into one
# feature per eigenvector of the training kernel; under Jacobian
# regularisation the usefulness and the robustness of the features are
# positively correlated, under plain training they are little correlated.
# Here: the regressors are gradient_flow(...) at t = Inf on the 200 women of
# MASS::Pima.tr (the paper's forest-fires data are not available; see
# kimyang2024-fig3.R), the features and their scores come from
# eigenfeatures() on the 332 women of MASS::Pima.te, FGSM radius 0.1 in
# standardised units; lambda = 0 (NTK) and 0.01 (JNTK), erf and gelu, depth 2.
# Every column eigenfeatures() returns is kept (its redesign, with
# Tsilivis and Kempe's usefulness E[y phi_k] and gradient-norm robustness, is
# picked up without changes here), and the correlations are computed for the
# pairs of columns present.
#
# Run: Rscript inst/experiments/kimyang2024-fig4.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("kimyang2024-fig4")
# Writes inst/extdata/kimyang2024-fig4.rds (paper size).

sys.source(file.path(if (exists("experiment_file")) dirname(experiment_file) else
  dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
  "kimyang2024-data.R"), envir = environment())

experiment <- list(
  name = "kimyang2024-fig4",
  title = "Eigenfeatures of the kernel regressor: usefulness against robustness, MASS::Pima (Kim & Yang 2024, Fig. 4)",
  paper = list(data = "Algerian forest fires", lambdas = c(0, 0.01),
               claim = "usefulness and robustness positively correlated with the Jacobian regulariser, little without"),

  settings = function(size) {
    s <- list(data = "MASS::Pima.tr (train), MASS::Pima.te (test)", n_train = 200L, n_test = 332L,
              depth = 2L, activations = c("erf", "gelu"), lambdas = c(0, 0.01), sigma_w = 1,
              sigma_b = 0.1, kappa = 0.1, ridge = 1e-8, n_features = 100L, eps = 0.1,
              seed = 20244L)
    if (size == "small") {
      s$n_train <- 60L; s$n_test <- 80L; s$n_features <- 20L; s$activations <- "erf"
    }
    s
  },

  cells = pima_flow_cells,
  cost = pima_flow_cost,
  shared = function(s) pima_data(s$n_train, s$n_test),

  run_cell = function(cell, s, shared) {
    fl <- pima_flow(cell, s, shared)
    ef <- jntk::eigenfeatures(fl, shared$x_test, shared$y_test,
                              n_features = min(s$n_features, fl$n), eps = s$eps)
    list(features = as.data.frame(ef$features), kernel = ef$kernel)
  },

  collate = function(cells, values, s, shared) {
    features <- do.call(rbind, lapply(seq_along(values), function(i) {
      cbind(activation = cells$activation[i], lambda = cells$lambda[i],
            values[[i]]$features, stringsAsFactors = FALSE)
    }))
    rownames(features) <- NULL
    list(features = features, correlations = feature_correlations(features),
         n_train = nrow(shared$x), n_test = nrow(shared$x_test))
  }
)

# Pearson and Spearman correlations between every usefulness column and every
# robustness column that eigenfeatures() returned, per activation and lambda.
feature_correlations <- function(features) {
  useful <- intersect(c("usefulness", "accuracy"), names(features))
  robust <- intersect(c("robustness", "robust_accuracy", "grad_norm"), names(features))
  out <- list()
  for (g in split(features, list(features$activation, features$lambda), drop = TRUE)) {
    for (u in useful) for (r in robust) {
      a <- g[[u]]; b <- g[[r]]
      ok <- is.finite(a) & is.finite(b)
      if (sum(ok) < 3L || stats::sd(a[ok]) == 0 || stats::sd(b[ok]) == 0) next
      ct <- stats::cor.test(a[ok], b[ok])
      out[[length(out) + 1L]] <- data.frame(
        activation = g$activation[1], lambda = g$lambda[1], usefulness = u, robustness = r,
        n = sum(ok), pearson = unname(ct$estimate),
        lower = ct$conf.int[1], upper = ct$conf.int[2],
        spearman = stats::cor(a[ok], b[ok], method = "spearman"), stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, out)
}

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
