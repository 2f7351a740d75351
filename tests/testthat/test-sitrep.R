# jntk_sitrep(): what it reports and when it gives advice.

test_that("jntk_sitrep() reports the BLAS, OpenMP, cores and threads", {
  out <- capture.output(s <- jntk_sitrep())
  expect_s3_class(s, "jntk_sitrep")
  expect_identical(s$blas, unname(extSoftVersion()[["BLAS"]]))
  expect_type(s$openmp, "logical")
  expect_true(is.numeric(s$cores) && s$cores >= 1)
  expect_true(nzchar(s$simd))
  expect_match(out, "BLAS", all = FALSE, fixed = TRUE)
  expect_match(out, "OpenMP", all = FALSE, fixed = TRUE)
  # advice exactly when the BLAS is the reference one
  expect_identical(length(s$advice) > 0, identical(s$blas_kind, "reference"))
})

test_that("the BLAS is classified from its path", {
  expect_identical(blas_kind("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"), "reference")
  expect_identical(blas_kind("/usr/lib/R/lib/libRblas.so"), "reference")
  expect_identical(blas_kind("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"), "OpenBLAS")
  expect_identical(blas_kind("/opt/intel/mkl/lib/libmkl_rt.so"), "MKL")
  expect_identical(blas_kind("/System/Library/Frameworks/Accelerate.framework/vecLib"), "Accelerate")
  expect_identical(blas_kind("/usr/lib64/libflexiblas.so.3"), "FlexiBLAS")
  expect_identical(blas_kind(""), "unknown")
  expect_identical(blas_kind("/somewhere/libfoo.so"), "unknown")
})

test_that("the reference BLAS gets install advice for every platform, others none", {
  a <- blas_advice("reference")
  for (p in c("Debian/Ubuntu", "Fedora", "macOS", "Windows")) expect_match(a, p, all = FALSE, fixed = TRUE)
  expect_identical(blas_advice("OpenBLAS"), character(0))
  s <- structure(list(blas = "/usr/lib/libRblas.so", lapack = "", blas_kind = "reference",
                      openmp = FALSE, cores = 1L, detected_cores = 1L, threads = 1L,
                      simd = "SSE2", advice = a), class = "jntk_sitrep")
  out <- capture.output(print(s))
  expect_match(out, "off (every computation on one core)", all = FALSE, fixed = TRUE)
  expect_match(out, "5-13x faster", all = FALSE, fixed = TRUE)
})

test_that("loading the package prints nothing", {
  skip_if_not_installed("callr")
  out <- callr::r(function() utils::capture.output(suppressWarnings(library(jntk)), type = "message"),
                  libpath = .libPaths())
  expect_identical(out, character(0))
})
