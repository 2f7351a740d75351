# Matrix-free solves (R/solve.R, src/krylov.c) against dense linear algebra.

solve_data <- function(N = 12, d = 4, seed = 1) {
  set.seed(seed)
  list(x = matrix(stats::rnorm(N * d), N, d) / 2, net = mlp(2, "erf", sigma_w = 1.5, sigma_b = 0.1,
                                                              kappa = 0.1))
}

test_that("solve() on a structured JNTK and Jacobian NNGP matches the dense solve", {
  dt <- solve_data()
  for (kind in c("jntk", "jacobian_nngp")) {
    S <- if (kind == "jntk") jntk(dt$net, dt$x, as = "structured") else
      jacobian_nngp(dt$net, dt$x, as = "structured")
    K <- unname(as.matrix(S))
    set.seed(2)
    b <- stats::rnorm(nrow(K))
    for (pc in c("two_level", "block", "diagonal", "none")) {
      z <- solve(S, b, ridge = 1e-5, preconditioner = pc, verbose = FALSE)
      zd <- solve(K + diag(1e-5, nrow(K)), b)
      # residual <= 1e-10 and condition <= ~1e4 (ridge 1e-5 on entries ~0.1):
      # the solution is accurate to ~1e-6 relative at worst; measured ~1e-10
      expect_lt(max(abs(z - zd)) / max(abs(zd)), 1e-6)
      expect_lte(attr(z, "residual"), 1e-10)
      expect_equal(sqrt(sum((K %*% z + 1e-5 * z - b)^2)) / sqrt(sum(b^2)), attr(z, "residual"),
                   tolerance = 1e-3)
      expect_true(attr(z, "iterations") >= 1L && attr(z, "time") >= 0)
      expect_identical(attr(z, "preconditioner"), pc)
    }
  }
  # several right-hand sides, one column at a time; b = 0 gives 0
  B <- cbind(b, 0, 2 * b)
  Z <- solve(S, B, ridge = 1e-5, verbose = FALSE)
  expect_equal(Z[, 3], 2 * Z[, 1], tolerance = 1e-8)
  expect_identical(Z[, 2], rep(0, nrow(B)))
  expect_length(attr(Z, "iterations"), 3L)
})

test_that("the preconditioners are what they claim: block and coarse parts", {
  dt <- solve_data(N = 6, d = 3)
  S <- jntk(dt$net, dt$x, as = "structured")
  N <- 6; d <- 3; lambda <- 0.3; r <- 1e-4
  op <- jntk:::krylov_operator(S, lambda, r)
  pre <- jntk:::krylov_preconditioner(S, op, "block")
  M <- matrix(0, N * (d + 1), N * (d + 1))
  M[1:N, 1:N] <- S@F[, , 1] + diag(r, N)
  M[-(1:N), -(1:N)] <- lambda * kronecker(S@F[, , 2] + diag(r, N), diag(d))
  set.seed(3)
  v <- stats::rnorm(N * (d + 1))
  z <- .Call(jntk:::C_krylov_precondition, op, pre, matrix(v), environment())
  expect_equal(as.vector(z), as.vector(solve(M, v)), tolerance = 1e-10)
  # the operator is Lambda^{1/2} (Theta + r I) Lambda^{1/2}
  K <- unname(as.matrix(S))
  sl <- sqrt(c(rep(1, N), rep(lambda, N * d)))
  A <- sl * (K + diag(r, nrow(K))) * rep(sl, each = nrow(K))
  expect_equal(as.vector(jntk:::krylov_apply(op, v)), as.vector(A %*% v), tolerance = 1e-12)
  # the coarse Galerkin matrix Z'AZ from the scalars equals the product of the
  # dense operator with the coarse directions
  Zm <- matrix(0, N * (d + 1), 2 * N)
  for (a in seq_len(N)) {
    Zm[a, a] <- 1
    Zm[N + (a - 1) * d + seq_len(d), N + a] <- dt$x[a, ]
  }
  expect_equal(jntk:::coarse_matrix(S, lambda, r), crossprod(Zm, A %*% Zm), tolerance = 1e-12,
               ignore_attr = TRUE)
})

test_that("solve() of a dense or file-backed kernel streams the product", {
  skip_if_not_installed("bigmemory")
  dt <- solve_data(N = 15, d = 3)
  K <- ntk(dt$net, dt$x)
  f <- tempfile()
  Kb <- ntk(dt$net, dt$x, block_size = 4, file = f)
  set.seed(4)
  b <- stats::rnorm(15)
  z <- solve(Kb, b, ridge = 1e-4, verbose = FALSE)
  expect_lt(max(abs(z - solve(K + diag(1e-4, 15), b))), 1e-8 * max(abs(z)))
})

test_that("solve() errors are classed and say what to do", {
  dt <- solve_data(N = 8, d = 3)
  S <- jntk(dt$net, dt$x, as = "structured")
  set.seed(5)
  b <- stats::rnorm(nrow(S))
  # a non-converging solve: 3 iterations cannot reach 1e-12
  expect_snapshot(error = TRUE, solve(S, b, maxit = 3, tol = 1e-12, preconditioner = "none",
                                      verbose = FALSE), transform = function(x) gsub("residual [0-9.e-]+", "residual <r>", x))
  err <- tryCatch(solve(S, b, maxit = 3, tol = 1e-12, verbose = FALSE), error = identity)
  expect_s3_class(err, "jntk_error_convergence")
  expect_true(err$residual > 1e-12)
  expect_snapshot(error = TRUE, solve(S, b[-1]))
  expect_snapshot(error = TRUE, solve(S, b, ridge = -1))
  expect_snapshot(error = TRUE, solve(S, b, preconditioner = "ilu"))
  S2 <- jntk(dt$net, dt$x, dt$x[1:3, ], as = "structured")
  expect_snapshot(error = TRUE, solve(S2, b))
})
