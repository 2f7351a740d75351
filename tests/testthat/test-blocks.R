# Kernels in blocks on future plans and in file-backed matrices (R/blocks.R).

blk_data <- function(N = 11, d = 3, seed = 1) {
  set.seed(seed)
  list(x = matrix(stats::rnorm(N * d), N, d, dimnames = list(paste0("p", seq_len(N)), NULL)),
       x2 = matrix(stats::rnorm(5 * d), 5, d), net = mlp(2, "erf", sigma_b = 0.1))
}

# Blocks equal the one-block path up to the rounding of the Gram product:
# off-diagonal blocks use dgemm where one block uses dsyrk (a few ulps of the
# O(1) entries, amplified at most ~10x through the layer recursion).
expect_blocks_equal <- function(a, b) {
  expect_identical(dim(a), dim(b))
  expect_identical(dimnames(a), dimnames(b))
  expect_lt(max(abs(a - b)), 1e-13 * max(1, max(abs(b))))
}

test_that("every kernel function in blocks equals one block (sequential)", {
  dt <- blk_data()
  net <- dt$net; x <- dt$x; x2 <- dt$x2
  for (bs in c(1L, 4L, 11L)) {
    expect_blocks_equal(ntk(net, x, block_size = bs), ntk(net, x))
    expect_blocks_equal(nngp(net, x, x2, block_size = bs), nngp(net, x, x2))
    expect_blocks_equal(jntk(net, x, block_size = bs), jntk(net, x))
    expect_blocks_equal(jacobian_nngp(net, x, x2, block_size = bs), jacobian_nngp(net, x, x2))
  }
  kb <- kernels(net, x, block_size = 5); k1 <- kernels(net, x)
  expect_blocks_equal(kb$nngp, k1$nngp)
  expect_blocks_equal(kb$ntk, k1$ntk)
  set.seed(2)
  nw <- sample_mlp(net, 32, input_dim = 3)
  expect_blocks_equal(empirical_ntk(nw, x, block_size = 3), empirical_ntk(nw, x))
  expect_blocks_equal(empirical_jntk(nw, x, x2, block_size = 3), empirical_jntk(nw, x, x2))
  expect_blocks_equal(empirical_nngp(nw, x, jacobian = TRUE, block_size = 6),
                      empirical_nngp(nw, x, jacobian = TRUE))
  # symmetric results stay symmetric (mirrored blocks: as symmetric as the
  # one-block assembly, whose two triangles round differently by an ulp)
  J <- jntk(net, x, block_size = 4)
  expect_equal(J, t(J), tolerance = 1e-14)
})

test_that("blocks on a 2-worker multisession plan and a PSOCK cluster give the same numbers", {
  skip_if_not_installed("future")
  skip_on_cran()
  dt <- blk_data(N = 13)
  one <- list(ntk = ntk(dt$net, dt$x), jntk = jntk(dt$net, dt$x, dt$x2))
  seqb <- list(ntk = ntk(dt$net, dt$x, block_size = 4), jntk = jntk(dt$net, dt$x, dt$x2, block_size = 4))
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  expect_identical(ntk(dt$net, dt$x, block_size = 4), seqb$ntk)
  expect_identical(jntk(dt$net, dt$x, dt$x2, block_size = 4, threads = 1), seqb$jntk)
  cl <- parallel::makePSOCKcluster(2)
  on.exit(parallel::stopCluster(cl), add = TRUE)
  future::plan(future::cluster, workers = cl)
  expect_identical(ntk(dt$net, dt$x, block_size = 4), seqb$ntk)
  expect_blocks_equal(seqb$jntk, one$jntk)
})

test_that("file = writes a file-backed big.matrix block by block", {
  skip_if_not_installed("bigmemory")
  dt <- blk_data()
  f <- tempfile(fileext = ".bin")
  on.exit(unlink(c(f, paste0(f, ".desc"))), add = TRUE)
  K <- jntk(dt$net, dt$x, block_size = 4, file = f)
  expect_s4_class(K, "big.matrix")
  expect_true(file.exists(f) && file.exists(paste0(f, ".desc")))
  expect_blocks_equal(K[, ], unname(jntk(dt$net, dt$x)))
  K2 <- bigmemory::attach.big.matrix(paste0(f, ".desc"))
  expect_identical(K2[, ], K[, ])
  # gradient_flow() takes it as the training kernel (lambda > 0: the JNTK)
  y <- sin(dt$x[, 1])
  fl <- gradient_flow(dt$net, dt$x, y, lambda = 0.1, ridge = 1e-4, kernel = K)
  fd <- gradient_flow(dt$net, dt$x, y, lambda = 0.1, ridge = 1e-4, solver = "dense")
  expect_identical(fl$solver, "iterative")
  expect_equal(predict(fl, dt$x2, t = c(3, Inf))$mean, predict(fd, dt$x2, t = c(3, Inf))$mean,
               tolerance = 1e-8)
})

test_that("bad block_size, file and plans are clear classed errors", {
  dt <- blk_data()
  expect_snapshot(error = TRUE, ntk(dt$net, dt$x, block_size = 0))
  expect_snapshot(error = TRUE, ntk(dt$net, dt$x, block_size = 12))
  expect_snapshot(error = TRUE, ntk(dt$net, dt$x, block_size = 2.5))
  expect_snapshot(error = TRUE, jntk(dt$net, dt$x, as = "structured", block_size = 2))
  expect_snapshot(error = TRUE, ntk(dt$net, dt$x, file = file.path(tempdir(), "no-such-folder", "K.bin")),
                  transform = function(x) gsub(tempdir(), "<tmp>", x, fixed = TRUE))
  expect_snapshot(error = TRUE, kernels(dt$net, dt$x, file = "K.bin"))
  f <- tempfile()
  file.create(f)
  on.exit(unlink(f), add = TRUE)
  expect_error(ntk(dt$net, dt$x, file = f), class = "jntk_error_file")
})

test_that("a plan whose workers lack jntk is a classed error", {
  skip_if_not_installed("future")
  skip_if_not_installed("parallelly")
  skip_on_cran()
  dt <- blk_data()
  empty <- file.path(tempdir(), "empty-lib")
  dir.create(empty, showWarnings = FALSE)
  cl <- parallelly::makeClusterPSOCK(1L, rscript = c("env", paste0("R_LIBS=", empty),
                                                     paste0("R_LIBS_USER=", empty), "Rscript"),
                                     verbose = FALSE)
  on.exit(parallel::stopCluster(cl), add = TRUE)
  has <- parallel::clusterEvalQ(cl, requireNamespace("jntk", quietly = TRUE))[[1]]
  skip_if(has, "jntk is installed in a system library the workers see")
  old <- future::plan(future::cluster, workers = cl)
  on.exit(future::plan(old), add = TRUE)
  err <- tryCatch(ntk(dt$net, dt$x, block_size = 4), error = identity)
  expect_s3_class(err, "jntk_error_plan")
  expect_match(conditionMessage(err), "cannot load jntk")
})

test_that("blocks and networks through future.batchtools on a single-node Slurm (heavy)", {
  # scripts/slurm-localhost.sh installs Debian's slurm-wlm and munge, writes a
  # one-node slurm.conf for localhost and starts munged, slurmctld, slurmd;
  # every block (and every Monte Carlo chunk) is then an sbatch job
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  skip_if_not_installed("future.batchtools")
  script <- normalizePath(test_path("..", "..", "scripts", "slurm-localhost.sh"), mustWork = FALSE)
  skip_if_not(file.exists(script), "scripts/slurm-localhost.sh is only in the source tree")
  skip_if_not(identical(unname(Sys.info()[["effective_user"]]), "root"), "starting Slurm needs root")
  expect_identical(system2("bash", script, stdout = FALSE), 0L)
  dt <- blk_data(N = 9)
  K0 <- ntk(dt$net, dt$x, block_size = 4)
  J0 <- jntk(dt$net, dt$x, dt$x2, block_size = 5)
  net <- mlp(1, "erf")
  set.seed(70)
  m0 <- monte_carlo(net, dt$x[1:3, ], 16, 20, "ntk")
  wd <- tempfile("batchtools-")
  dir.create(wd)
  old_wd <- setwd(wd)  # future.batchtools keeps its registries in ./.future
  on.exit(setwd(old_wd), add = TRUE)
  old <- future::plan(future.batchtools::batchtools_slurm)
  on.exit(future::plan(old), add = TRUE)
  expect_identical(ntk(dt$net, dt$x, block_size = 4), K0)
  expect_identical(jntk(dt$net, dt$x, dt$x2, block_size = 5), J0)
  set.seed(70)
  expect_identical(monte_carlo(net, dt$x[1:3, ], 16, 20, "ntk"), m0)
})
