# Data shared by the Kim and Yang (2024) scripts for Figures 3-5, which
# source this file. Their data set (Algerian forest fires, 224 points x 11
# features) is not available on this machine; MASS's Pima Indians diabetes
# data are a real tabular binary problem of similar size.

# MASS::Pima.tr standardised (its own means and standard deviations), targets
# +-1; the first n rows. Pima.te standardised with the same centre and scale.
pima_data <- function(n = 200L, n_test = NULL) {
  if (!requireNamespace("MASS", quietly = TRUE)) {
    stop("This experiment needs the MASS package for the Pima data: install.packages(\"MASS\").",
         call. = FALSE)
  }
  tr <- MASS::Pima.tr
  te <- MASS::Pima.te
  mu <- colMeans(tr[, 1:7])
  sdv <- apply(tr[, 1:7], 2, stats::sd)
  x <- scale(as.matrix(tr[, 1:7]), mu, sdv)
  y <- ifelse(tr$type == "Yes", 1, -1)
  xt <- scale(as.matrix(te[, 1:7]), mu, sdv)
  yt <- ifelse(te$type == "Yes", 1, -1)
  n <- min(n, nrow(x))
  m <- if (is.null(n_test)) nrow(xt) else min(n_test, nrow(xt))
  attributes(x)[c("scaled:center", "scaled:scale")] <- NULL
  attributes(xt)[c("scaled:center", "scaled:scale")] <- NULL
  list(x = x[seq_len(n), , drop = FALSE], y = y[seq_len(n)],
       x_test = xt[seq_len(m), , drop = FALSE], y_test = yt[seq_len(m)])
}


# Figures 4 and 5: one cell per activation and lambda, each an
# infinite-width gradient flow on the Pima data (the JNTK ones cost more).
pima_flow_cells <- function(s) {
  g <- expand.grid(lambda = s$lambdas, activation = s$activations, stringsAsFactors = FALSE)
  g[, c("activation", "lambda")]
}
pima_flow_cost <- function(cells, s) ifelse(cells$lambda > 0, 8, 1)
pima_flow <- function(cell, s, shared) {
  net <- jntk::mlp(s$depth, cell$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b,
                   kappa = s$kappa)
  jntk::gradient_flow(net, shared$x, shared$y, lambda = cell$lambda, ridge = s$ridge,
                      threads = s$threads)
}
