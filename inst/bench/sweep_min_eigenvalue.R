# Kim and Yang (2024, Section 5) report the JNTK Gram matrix on 256 points of
# S^3 positive definite from depth 6 (erf) and 11 (gelu), the NTK from depth
# 1. Does any sigma_w, sigma_b reproduce those thresholds? For each setting
# and depth, min_eigenvalue()'s certified status (Weyl with the kernel's
# error bound and the solver's); kappa only scales every kernel and every
# bound by kappa^2, so the status does not depend on it (checked once below).
#
# Run:  R_LIBS=<lib> nice -n 10 Rscript inst/bench/sweep_min_eigenvalue.R [n_points] [out.csv]
# (256 points: about 360 dense 1280 x 1280 eigenvalue problems, ~10 CPU minutes.)
library(jntk)
args <- commandArgs(trailingOnly = TRUE)
n_points <- if (length(args) >= 1) as.integer(args[1]) else 256L
out_csv <- if (length(args) >= 2) args[2] else "sweep_min_eigenvalue.csv"
x <- sphere_points(n_points, 4)
depths <- c(1:6, 8, 11, 14)
grid <- expand.grid(sigma_w = c(0.5, 1, 1.5, 2, 3), sigma_b = c(0, 0.1, 0.5, 1),
                    activation = c("erf", "gelu"), stringsAsFactors = FALSE)
t0 <- proc.time()
rows <- lapply(seq_len(nrow(grid)), function(i) {
  g <- grid[i, ]
  net <- mlp(1, g$activation, sigma_w = g$sigma_w, sigma_b = g$sigma_b, kappa = 0.1)
  ev <- min_eigenvalue(net, x, kernel = c("ntk", "jntk"), depth = depths)
  cbind(sigma_w = g$sigma_w, sigma_b = g$sigma_b, ev)
})
ev <- do.call(rbind, rows)
utils::write.csv(ev, out_csv, row.names = FALSE)
# kappa invariance of the status, on one setting
a <- min_eigenvalue(mlp(1, "gelu", kappa = 0.1, sigma_b = 0.1), x, kernel = "jntk", depth = c(1, 6))
b <- min_eigenvalue(mlp(1, "gelu", kappa = 1, sigma_b = 0.1), x, kernel = "jntk", depth = c(1, 6))
stopifnot(identical(a$status, b$status))

# first depth from which every depth computed is certified positive (NA if
# the deepest computed is not); only depths actually computed are reported
first_positive <- function(depth, status) {
  o <- order(depth); depth <- depth[o]; ok <- status[o] == "positive"
  if (!ok[length(ok)]) return(NA_integer_)
  bad <- which(!ok)
  if (!length(bad)) depth[1] else depth[max(bad) + 1L]
}
tab <- do.call(rbind, lapply(split(ev, list(ev$activation, ev$sigma_w, ev$sigma_b), drop = TRUE), function(s) {
  j <- s[s$kernel == "jntk", ]; n <- s[s$kernel == "ntk", ]
  data.frame(activation = s$activation[1], sigma_w = s$sigma_w[1], sigma_b = s$sigma_b[1],
             jntk_first_positive = first_positive(j$depth, j$status),
             ntk_first_positive = first_positive(n$depth, n$status),
             jntk_status = paste(c(positive = "p", `not resolvable` = "n", negative = "x")[j$status[order(j$depth)]],
                                 collapse = ""),
             jntk_min_ratio = signif(min(j$min_eigenvalue / j$max_eigenvalue), 3))
}))
tab <- tab[order(tab$activation, tab$sigma_b, tab$sigma_w), ]
cat(sprintf("%d points on S^3, depths %s; status per depth p = positive, n = not resolvable, x = negative\n",
            n_points, paste(depths, collapse = ",")))
print(tab, row.names = FALSE)
print(proc.time() - t0)
