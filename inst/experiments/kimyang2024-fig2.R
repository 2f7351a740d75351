# Kim and Yang (2024), Figure 2: the finite-width JNTK at initialisation
# against its infinite-width limit (Theorem 4.3).
#
# Paper: as Figure 1 (256 points of S^3, erf and gelu, depths 1-3, widths
# 2^6 ... 2^13, 10 networks per width, max-norm error / kappa^2, bootstrap
# 95 % intervals), for the JNTK: the Gram matrix of the parameter gradients of
# the output and of every input-Jacobian entry (empirical_jntk()), against
# jntk(). Here: the same; the analysis is kimyang2024-fig1.R's with the
# kernel changed, so this script sources it.
#
# Run: Rscript inst/experiments/kimyang2024-fig2.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("kimyang2024-fig2")
# Writes inst/extdata/kimyang2024-fig2.rds (paper size).

sys.source(file.path(if (exists("experiment_file")) dirname(experiment_file) else
  dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
  "kimyang2024-fig1.R"), envir = environment())
experiment$name <- "kimyang2024-fig2"
experiment$title <- "Finite-width JNTK at initialisation vs its limit on 256 points of S^3 (Kim & Yang 2024, Fig. 2)"
experiment$paper$claim <- "the JNTK becomes deterministic: error falls like width^(-1/2) at every depth"
experiment$kernel <- "jntk"
experiment$settings <- local({
  base <- experiment$settings
  function(size) {
    s <- base(size)
    s$seed <- 20242L
    s
  }
})

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
