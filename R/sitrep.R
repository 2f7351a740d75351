#' What makes jntk fast or slow on this machine
#'
#' A situation report: the BLAS and LAPACK R uses, the cores and threads
#' available, whether the package was built with OpenMP, and the instruction
#' set of the vectorised kernels. With R's reference BLAS it adds one line on
#' how much faster the BLAS-bound functions get with an optimised BLAS and how
#' to install one (Debian/Ubuntu, Fedora, macOS, Windows). Nothing is printed
#' when the package loads; call this when you want to know.
#'
#' The BLAS-bound functions are the finite networks ([mlp_network()],
#' [train_mlp()], [empirical_ntk()]), the dense Jacobian kernels, `S %*% v` of
#' structured ones, [gp_fit()] and the spectra. The analytic kernels
#' ([nngp()], [ntk()], [kernels()]) compute everything themselves and gain
#' from threads instead (`threads =`, or `options(jntk.threads = )`).
#'
#' @return Invisibly, a list of class `"jntk_sitrep"`: `blas` and `lapack`
#'   (library paths), `blas_kind` (`"reference"`, `"OpenBLAS"`, `"MKL"`,
#'   `"Accelerate"`, `"BLIS"`, `"ATLAS"`, `"FlexiBLAS"` or `"unknown"`),
#'   `openmp` (logical), `cores` (as OpenMP sees them), `detected_cores`
#'   ([parallel::detectCores()]), `threads` (the `jntk.threads` option),
#'   `simd` (instruction set of the vectorised plain kernels) and `advice`
#'   (the lines on an optimised BLAS, or `character(0)`). Printing it shows a
#'   short report.
#' @seealso [default_threads()] for the thread option; `inst/bench/README.md`
#'   for the measured speed-ups.
#' @examples
#' jntk_sitrep()
#' s <- jntk_sitrep()
#' s$blas_kind
#' @export
jntk_sitrep <- function() {
  info <- .Call(C_kernels_build_info, 1L)
  blas <- unname(extSoftVersion()[["BLAS"]])
  if (!nzchar(blas)) blas <- unname(utils::sessionInfo()$BLAS %||% "")
  lapack <- tryCatch(La_library(), error = function(e) "")
  kind <- blas_kind(blas)
  out <- list(blas = blas, lapack = lapack, blas_kind = kind, openmp = info[[1]],
              cores = info[[2]], detected_cores = parallel::detectCores(),
              threads = getOption("jntk.threads", 1L), simd = info[[4]],
              advice = blas_advice(kind))
  class(out) <- "jntk_sitrep"
  print(out)
  invisible(out)
}

#' @export
print.jntk_sitrep <- function(x, ...) {
  cat(sprintf("jntk %s on R %s.%s (%s)\n", as.character(utils::packageVersion("jntk")),
              R.version$major, R.version$minor, R.version$platform))
  cat(sprintf("  BLAS    %s (%s)\n  LAPACK  %s\n", if (nzchar(x$blas)) x$blas else "unknown",
              x$blas_kind, if (nzchar(x$lapack)) x$lapack else "unknown"))
  cat(sprintf("  OpenMP  %s; %d cores (%s detected); jntk.threads = %s%s\n",
              if (isTRUE(x$openmp)) "on" else "off (every computation on one core)", x$cores,
              format(x$detected_cores), format(x$threads),
              if (isTRUE(x$openmp) && identical(as.integer(x$threads), 1L) && x$cores > 1L)
                sprintf(" (options(jntk.threads = %d) to use them)", x$cores) else ""))
  cat(sprintf("  Kernels vectorised for %s\n", x$simd))
  if (length(x$advice)) cat(paste0("  ", x$advice, "\n"), sep = "")
  invisible(x)
}

# The kind of BLAS from its library path (or sessionInfo()'s description).
blas_kind <- function(path) {
  p <- tolower(path)
  if (!nzchar(p)) return("unknown")
  if (grepl("openblas", p)) return("OpenBLAS")
  if (grepl("mkl", p)) return("MKL")
  if (grepl("veclib|accelerate", p)) return("Accelerate")
  if (grepl("blis", p)) return("BLIS")
  if (grepl("atlas", p)) return("ATLAS")
  if (grepl("flexiblas", p)) return("FlexiBLAS")
  # R's own libRblas, Debian/Ubuntu's netlib libblas (blas/libblas.so.3), Rblas.dll
  if (grepl("librblas|rblas\\.dll|/blas/libblas|libblas\\.so|refblas|netlib", p)) return("reference")
  "unknown"
}

# What to do with the reference BLAS: the measured gain and how to install an
# optimised one on each platform (nothing for an optimised BLAS).
blas_advice <- function(kind) {
  if (!identical(kind, "reference")) return(character(0))
  c("With an optimised BLAS the BLAS-bound functions (finite networks, training, empirical",
    "kernels, S %*% v, GP fits) run 5-13x faster (measured, 1 thread; inst/bench/README.md):",
    "  Debian/Ubuntu: sudo apt-get install libopenblas0-pthread   (R switches to it, see update-alternatives)",
    "  Fedora:        sudo dnf install flexiblas-openblas-openmp   (R uses FlexiBLAS; flexiblas default OPENBLAS-OPENMP)",
    "  macOS:         Accelerate ships with CRAN's R: cd /Library/Frameworks/R.framework/Resources/lib &&",
    "                 ln -sf libRblas.vecLib.dylib libRblas.dylib   (see the R for macOS FAQ)",
    "  Windows:       replace R's Rblas.dll with an OpenBLAS build (see the R for Windows FAQ), or use WSL with Ubuntu")
}
