# Helpers shared by bench_training.R and bench_empirical.R (sourced): what is
# loaded, CPU against wall time, and running a benchmark again with OpenBLAS.

# The directory of the running script (Rscript --file=...).
bench_dir <- function() {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f[1])) else system.file("bench", package = "jntk")
}

bench_load <- function() {
  l <- tryCatch(readLines("/proc/loadavg", warn = FALSE), error = function(e) "")
  sprintf("load average %s (%d cores)", sub("^(\\S+ \\S+ \\S+).*", "\\1", l), parallel::detectCores())
}

bench_header <- function(what) {
  cat(sprintf("== jntk %s %s\n", as.character(utils::packageVersion("jntk")), what))
  ct <- Sys.getenv("OPENBLAS_CORETYPE")
  cat(sprintf("   BLAS %s\n   LAPACK %s%s\n   %s\n", extSoftVersion()[["BLAS"]], La_library(),
              if (nzchar(ct)) sprintf("\n   OPENBLAS_CORETYPE=%s", ct) else "", bench_load()))
}

# c(wall, cpu) seconds of f()
cpu_wall <- function(f) {
  t <- system.time(f())
  c(wall = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]])
}

# OpenBLAS picks its kernels from the CPU model, which some virtual machines
# hide (it then falls back to the 2004 "Prescott" kernels, 4x slower): unless
# OPENBLAS_CORETYPE is set, name the kernels the CPU's flags allow.
openblas_coretype <- function() {
  if (nzchar(Sys.getenv("OPENBLAS_CORETYPE"))) return(character(0))
  fl <- tryCatch(readLines("/proc/cpuinfo", n = 40L, warn = FALSE), error = function(e) "")
  fl <- paste(grep("^flags", fl, value = TRUE)[1], "")
  if (grepl(" avx512f ", fl)) "OPENBLAS_CORETYPE=SkylakeX" else
    if (grepl(" avx2 ", fl)) "OPENBLAS_CORETYPE=Haswell" else character(0)
}

# Run the benchmark script `name` again with OpenBLAS (one thread) from
# openblas.sh, unless this is that run or R already uses OpenBLAS.
bench_rerun_openblas <- function(name, args) {
  if (nzchar(Sys.getenv("JNTK_BENCH_CHILD")) ||
      grepl("openblas", extSoftVersion()[["BLAS"]], ignore.case = TRUE)) return(invisible())
  sh <- file.path(bench_dir(), "openblas.sh")
  dir <- if (file.exists(sh)) suppressWarnings(system2("bash", shQuote(sh), stdout = TRUE, stderr = FALSE)) else character(0)
  me <- file.path(bench_dir(), name)
  if (length(dir) != 1L || !nzchar(dir) || !file.exists(me)) {
    cat("\n(OpenBLAS not available: inst/bench/openblas.sh could not fetch it; ran with R's BLAS only)\n")
    return(invisible())
  }
  cat("\n\n")
  system2(file.path(R.home("bin"), "Rscript"), c(shQuote(me), args),
          env = c(sprintf("R_LD_LIBRARY_PATH=%s", dir), sprintf("LD_LIBRARY_PATH=%s", dir),
                  "OPENBLAS_NUM_THREADS=1", "JNTK_BENCH_CHILD=1", openblas_coretype()))
  invisible()
}

# A python3 that imports torch, or NULL.
find_torch_python <- function() {
  cand <- c(Sys.getenv("JNTK_PYTHON"), "/usr/bin/python3", Sys.which("python3"))
  cand <- cand[nzchar(cand) & file.exists(cand)]
  for (py in unique(cand)) {
    ok <- suppressWarnings(system2(py, c("-c", shQuote("import torch")), stdout = FALSE, stderr = FALSE))
    if (identical(ok, 0L)) return(py)
  }
  NULL
}
