# Kim and Yang (2024, Section 5) report the JNTK Gram matrix on 256 points of
# S^3 positive definite from depth 6 (erf) and 11 (gelu), the NTK from depth
# 1. Does any sigma_w, sigma_b reproduce those thresholds? For each setting
# and depth, min_eigenvalue()'s certified status (Weyl with the kernel's
# error bound and the solver's). kappa only scales every kernel and every
# bound by kappa^2, so the status does not depend on it (checked below).
#
# Run:  R_LIBS=<lib> nice -n 10 Rscript inst/bench/sweep_min_eigenvalue.R [n_points] [out.csv] [full]
# Rows are appended to out.csv as they are computed; `summary` as the third
# argument only tabulates an existing (possibly partial) out.csv. 256 points,
# the default grid: 24 settings x 7 depths, about 5 CPU minutes; `full` adds
# sigma_w 1.5, sigma_b 0.5 and depths 3, 5.
library(jntk)
args <- commandArgs(trailingOnly = TRUE)
n_points <- if (length(args) >= 1) as.integer(args[1]) else 256L
out_csv <- if (length(args) >= 2) args[2] else "sweep_min_eigenvalue.csv"
mode <- if (length(args) >= 3) args[3] else "default"
full <- identical(mode, "full")
x <- sphere_points(n_points, 4)
depths <- if (full) c(1:6, 8, 11, 14) else c(1, 2, 4, 6, 8, 11, 14)
grid <- expand.grid(activation = c("erf", "gelu"),
                    sigma_w = if (full) c(0.5, 1, 1.5, 2, 3) else c(0.5, 1, 2, 3),
                    sigma_b = if (full) c(0, 0.1, 0.5, 1) else c(0, 0.1, 1), stringsAsFactors = FALSE)
t0 <- proc.time()
if (!identical(mode, "summary")) {
  if (file.exists(out_csv)) file.remove(out_csv)
  for (i in seq_len(nrow(grid))) {
    g <- grid[i, ]
    net <- mlp(1, g$activation, sigma_w = g$sigma_w, sigma_b = g$sigma_b, kappa = 0.1)
    ev <- cbind(sigma_w = g$sigma_w, sigma_b = g$sigma_b,
                min_eigenvalue(net, x, kernel = c("ntk", "jntk"), depth = depths))
    utils::write.table(ev, out_csv, sep = ",", row.names = FALSE, append = i > 1L,
                       col.names = i == 1L)
  }
  # kappa invariance of the status, on one setting
  a <- min_eigenvalue(mlp(1, "gelu", kappa = 0.1, sigma_b = 0.1), x, kernel = "jntk", depth = c(1, 6))
  b <- min_eigenvalue(mlp(1, "gelu", kappa = 1, sigma_b = 0.1), x, kernel = "jntk", depth = c(1, 6))
  stopifnot(identical(a$status, b$status))
}
ev <- utils::read.csv(out_csv, stringsAsFactors = FALSE)

# first depth from which every depth computed is certified positive (NA if
# the deepest computed is not); only depths actually computed are reported
first_positive <- function(depth, status) {
  o <- order(depth); depth <- depth[o]; ok <- status[o] == "positive"
  if (!ok[length(ok)]) return(NA_integer_)
  bad <- which(!ok)
  if (!length(bad)) depth[1] else depth[max(bad) + 1L]
}
code <- c(positive = "p", `not resolvable` = "n", negative = "x")
tab <- do.call(rbind, lapply(split(ev, list(ev$activation, ev$sigma_w, ev$sigma_b), drop = TRUE), function(s) {
  j <- s[s$kernel == "jntk", ]; n <- s[s$kernel == "ntk", ]
  data.frame(activation = s$activation[1], sigma_w = s$sigma_w[1], sigma_b = s$sigma_b[1],
             jntk_first_positive = first_positive(j$depth, j$status),
             ntk_first_positive = first_positive(n$depth, n$status),
             jntk_status = paste(code[j$status[order(j$depth)]], collapse = ""),
             ntk_status = paste(code[n$status[order(n$depth)]], collapse = ""),
             jntk_min_ratio = signif(min(j$min_eigenvalue / j$max_eigenvalue), 3))
}))
tab <- tab[order(tab$activation, tab$sigma_b, tab$sigma_w), ]
cat(sprintf("%d points on S^3, depths %s; status per depth: p = positive, n = not resolvable, x = negative\n",
            n_points, paste(sort(unique(ev$depth)), collapse = ",")))
print(tab, row.names = FALSE)
print(proc.time() - t0)
