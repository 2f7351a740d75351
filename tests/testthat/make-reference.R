# Regenerates tests/testthat/reference_accuracy.rds, the cached values of the
# independent reference in helper-reference.R (composite Gauss-Legendre
# quadrature in x-space, an R jet recursion by Price's theorem; no jntk code
# is called). About half an hour on one core:
#   cd tests/testthat && Rscript make-reference.R
# test-accuracy.R recomputes a few entries live to show the file is right.
test_path <- function(...) file.path(".", ...)
source("helper-reference.R")

acts <- c("tanh", "softplus", "sigmoid", "silu")
variances <- c(1e-6, 1e-2, 1, 10, 100)
rhos <- c(-1, -0.9, 0, 0.5, 0.99, 1 - 1e-12, 1)

# 1. The ten jet moments (and their Cauchy-Schwarz scales) on the grid, at
#    equal variances and at a few unequal pairs.
pairs <- rbind(cbind(variances, variances), c(1e-6, 100), c(0.01, 1), c(1, 10))
moments <- list()
for (act in acts) for (k in seq_len(nrow(pairs))) for (rho in rhos) {
  a <- pairs[k, 1]; b <- pairs[k, 2]
  moments[[length(moments) + 1L]] <- list(
    act = act, a = a, b = b, rho = rho, value = ref_moments(act, a, b, rho),
    scale = ref_scales(act, a, b))
}

# 2. Full kernels, all four kinds, dense. Diagonal moments are memoised.
ref_kernel_set <- function(act, depth, sigma_w, sigma_b, kappa, x) {
  memo <- new.env()
  mom <- function(a, b, rho) {
    key <- paste(format(c(a, b, rho), digits = 17), collapse = " ")
    if (is.null(memo[[key]])) memo[[key]] <- ref_moments(act, a, b, rho)
    memo[[key]]
  }
  jets <- lapply(c(FALSE, TRUE), function(tg) {
    out <- list()
    for (i in seq_len(nrow(x))) for (j in seq_len(nrow(x)))
      out[[paste(i, j)]] <- ref_pair_jets(depth, sigma_w, sigma_b, kappa, x[i, ], x[j, ], mom, tg)
    out
  })
  K <- lapply(jets, function(J) ref_assemble(x, x, function(i, j) J[[paste(i, j)]]))
  n <- nrow(x)
  list(act = act, depth = depth, sigma_w = sigma_w, sigma_b = sigma_b, kappa = kappa, x = x,
       nngp = K[[1]][1:n, 1:n], ntk = K[[2]][1:n, 1:n], jacobian_nngp = K[[1]], jntk = K[[2]])
}

X2 <- rbind(c(1, 0.5), c(-0.3, 1.2), c(0.9, 0.6))
issue_x <- rbind(c(3, 1, 0), c(0.3, -0.5, 0.8))
configs <- list(
  list(depth = 1, sigma_w = 1, sigma_b = 0.1, kappa = 1, x = X2),
  list(depth = 3, sigma_w = 2, sigma_b = 0.1, kappa = 0.5, x = X2),
  list(depth = 5, sigma_w = 3, sigma_b = 0.5, kappa = 1, x = X2),
  list(depth = 2, sigma_w = 1, sigma_b = 0, kappa = 1, x = 10 * X2)   # variance ~ 100
)
kernels <- list()
for (act in acts) for (cf in configs) {
  t0 <- proc.time()[[3]]
  kernels[[length(kernels) + 1L]] <- ref_kernel_set(act, cf$depth, cf$sigma_w, cf$sigma_b,
                                                     cf$kappa, cf$x)
  message(sprintf("%s depth %d sigma_w %g: %.0f s", act, cf$depth, cf$sigma_w,
                  proc.time()[[3]] - t0))
}
# the case of issue 10
issue <- ref_kernel_set("tanh", 3, 2, 0.1, 1, issue_x)

saveRDS(list(moments = moments, kernels = kernels, issue = issue,
             created = format(Sys.time(), "%Y-%m-%d"), R = R.version.string),
        "reference_accuracy.rds", version = 2)
