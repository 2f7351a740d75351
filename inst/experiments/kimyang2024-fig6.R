# Kim and Yang (2024), Figure 6: the smallest eigenvalue of the JNTK and NTK
# Gram matrices against depth (their Assumption 4.4 needs it positive).
#
# Paper: 256 points of S^3, erf and gelu; the JNTK counts as positive definite
# from depth 6 (erf) and 11 (gelu), the NTK from depth 1.
# Here: the same points, depths 1-16, sigma_w = 1, sigma_b = 0.1, kappa = 0.1,
# in float64, with whatever min_eigenvalue() reports: today the eigenvalues
# and the numerical-rank tolerance n eps lambda_max; the columns it gains
# later (certified bounds, a verdict) are carried into the result as they are.
#
# Run: Rscript inst/experiments/kimyang2024-fig6.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("kimyang2024-fig6")
# Writes inst/extdata/kimyang2024-fig6.rds (paper size).

experiment <- list(
  name = "kimyang2024-fig6",
  title = "Smallest eigenvalue of the JNTK and NTK Gram matrices against depth, 256 points of S^3 (Kim & Yang 2024, Fig. 6)",
  paper = list(n_points = 256, d = 4, activations = c("erf", "gelu"),
               jntk_positive_from = c(erf = 6, gelu = 11), ntk_positive_from = c(erf = 1, gelu = 1)),

  settings = function(size) {
    s <- list(n_points = 256L, d = 4L, depths = 1:16, activations = c("erf", "gelu"),
              kernels = c("ntk", "jntk"), sigma_w = 1, sigma_b = 0.1, kappa = 0.1, seed = 20246L)
    if (size == "small") {
      s$n_points <- 24L; s$depths <- c(1:4, 6, 11)
    }
    s
  },

  cells = function(s) {
    g <- expand.grid(depth = s$depths, activation = s$activations, stringsAsFactors = FALSE)
    g[, c("activation", "depth")]
  },

  cost = function(cells, s) cells$depth,

  run_cell = function(cell, s, shared) {
    x <- jntk::sphere_points(s$n_points, s$d)
    net <- jntk::mlp(cell$depth, cell$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b,
                     kappa = s$kappa)
    ev <- jntk::min_eigenvalue(net, x, kernel = s$kernels, depth = cell$depth, threads = s$threads)
    as.data.frame(ev, stringsAsFactors = FALSE)
  },

  collate = function(cells, values, s, shared) {
    # every column min_eigenvalue() returned, by name (new ones included)
    cols <- Reduce(union, lapply(values, names))
    ev <- do.call(rbind, lapply(values, function(v) {
      v[setdiff(cols, names(v))] <- NA
      v[cols]
    }))
    rownames(ev) <- NULL
    list(eigenvalues = ev, positive_from = positive_from(ev))
  }
)

# Per activation and kernel: the depths computed, those whose smallest
# eigenvalue is resolved as positive, and the first depth from which every
# computed depth is. "Resolved" uses a certificate column when
# min_eigenvalue() provides one (a logical `certified_positive`, or a
# `status` equal to "positive"), else the numerical-rank tolerance.
positive_from <- function(ev) {
  groups <- unique(ev[, c("activation", "kernel")])
  out <- lapply(seq_len(nrow(groups)), function(g) {
    e <- ev[ev$activation == groups$activation[g] & ev$kernel == groups$kernel[g], ]
    e <- e[order(e$depth), ]
    pos <- if ("certified_positive" %in% names(e) && !all(is.na(e$certified_positive))) {
      e$certified_positive %in% TRUE
    } else if ("status" %in% names(e) && !all(is.na(e$status))) {
      e$status %in% "positive"
    } else {
      e$min_eigenvalue > e$tolerance
    }
    tail_ok <- rev(cumprod(rev(pos)) == 1)
    data.frame(activation = groups$activation[g], kernel = groups$kernel[g],
               depths = paste(e$depth, collapse = ","),
               positive_depths = paste(e$depth[pos], collapse = ","),
               first_positive_depth = if (any(tail_ok)) e$depth[which(tail_ok)[1]] else NA_integer_,
               criterion = if ("certified_positive" %in% names(e)) "certificate" else
                 if ("status" %in% names(e)) "status" else "n eps lambda_max",
               stringsAsFactors = FALSE)
  })
  do.call(rbind, out)
}

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
