# Independent references for the dynamics tests: plain-R kernels written
# straight from math.md section 2 (erf, relu, identity), their Jacobian versions
# by central finite differences, and a plain RK4 integrator of the training ODE
# (math.md section 5). Nothing here calls the package's C code.

# Plain kernel (NNGP and NTK) of an mlp() between the rows of x1 and x2.
dyn_ref_kernels <- function(net, x1, x2 = x1) {
  x1 <- as.matrix(x1); x2 <- as.matrix(x2)
  d <- ncol(x1)
  sw2 <- net$sigma_w^2; sb2 <- net$sigma_b^2
  c12 <- sw2 * tcrossprod(x1, x2) / d + sb2
  a <- sw2 * rowSums(x1^2) / d + sb2
  b <- sw2 * rowSums(x2^2) / d + sb2
  A <- matrix(a, nrow(x1), nrow(x2)); B <- matrix(b, nrow(x1), nrow(x2), byrow = TRUE)
  th <- c12
  for (l in seq_len(net$depth)) {
    if (net$activation == "erf") {
      den <- sqrt((1 + 2 * A) * (1 + 2 * B))
      g <- (2 / pi) * asin(pmin(pmax(2 * c12 / den, -1), 1))
      gd <- (4 / pi) / sqrt(pmax(den^2 - 4 * c12^2, 0))
      ga <- (2 / pi) * asin(2 * a / (1 + 2 * a)); gb <- (2 / pi) * asin(2 * b / (1 + 2 * b))
    } else if (net$activation == "relu") {
      s <- sqrt(pmax(A * B - c12^2, 0))
      theta <- atan2(s, c12)
      g <- (s + (pi - theta) * c12) / (2 * pi)
      gd <- (pi - theta) / (2 * pi)
      ga <- a / 2; gb <- b / 2
    } else if (net$activation == "identity") {
      g <- c12; gd <- 1 + 0 * c12; ga <- a; gb <- b
    } else {
      stop("reference kernels only for erf, relu, identity")
    }
    th <- sw2 * g + sb2 + sw2 * gd * th
    c12 <- sw2 * g + sb2
    a <- sw2 * ga + sb2; b <- sw2 * gb + sb2
    A <- matrix(a, nrow(x1), nrow(x2)); B <- matrix(b, nrow(x1), nrow(x2), byrow = TRUE)
  }
  list(nngp = net$kappa^2 * c12, ntk = net$kappa^2 * th)
}

# Jacobian version (block-major order, math.md section 3) of a plain kernel
# k(x1, x2) by central differences; step h balances truncation (h^2) against
# rounding (eps/h^2): about 1e-7 relative accuracy for smooth kernels.
dyn_ref_jacobian_kernel <- function(kfun, x1, x2 = x1, h = 2e-4) {
  x1 <- as.matrix(x1); x2 <- as.matrix(x2)
  n1 <- nrow(x1); n2 <- nrow(x2); d <- ncol(x1)
  K <- matrix(0, n1 * (d + 1), n2 * (d + 1))
  K[1:n1, 1:n2] <- kfun(x1, x2)
  jr <- function(a, i) n1 + (a - 1) * d + i
  jc <- function(b, j) n2 + (b - 1) * d + j
  sh <- function(x, i, s) { x[, i] <- x[, i] + s; x }
  for (i in seq_len(d)) {
    Di <- (kfun(sh(x1, i, h), x2) - kfun(sh(x1, i, -h), x2)) / (2 * h)
    K[jr(seq_len(n1), i), 1:n2] <- Di
    Dj <- (kfun(x1, sh(x2, i, h)) - kfun(x1, sh(x2, i, -h))) / (2 * h)
    K[1:n1, jc(seq_len(n2), i)] <- Dj
  }
  for (i in seq_len(d)) for (j in seq_len(d)) {
    pp <- kfun(sh(x1, i, h), sh(x2, j, h)); pm <- kfun(sh(x1, i, h), sh(x2, j, -h))
    mp <- kfun(sh(x1, i, -h), sh(x2, j, h)); mm <- kfun(sh(x1, i, -h), sh(x2, j, -h))
    K[jr(seq_len(n1), i), jc(seq_len(n2), j)] <- (pp - pm - mp + mm) / (4 * h^2)
  }
  K
}

dyn_ref_nngp <- function(net, x1, x2 = x1) dyn_ref_kernels(net, x1, x2)$nngp
dyn_ref_ntk <- function(net, x1, x2 = x1) dyn_ref_kernels(net, x1, x2)$ntk
dyn_ref_jacobian_nngp <- function(net, x1, x2 = x1)
  dyn_ref_jacobian_kernel(function(a, b) dyn_ref_nngp(net, a, b), x1, x2)
dyn_ref_jntk <- function(net, x1, x2 = x1)
  dyn_ref_jacobian_kernel(function(a, b) dyn_ref_ntk(net, a, b), x1, x2)

# Integrate the training dynamics with a plain fixed-step RK4, for the law of
# (U_t, f_t(x_test)) over random initialisation: the state z = (U, f(x_test))
# obeys the linear ODE dz/dt = -(1/N) [Theta_XX; Theta_xX] Lambda (U - Y~),
# so z_t = Phi_t z_0 + b_t; we integrate Phi (matrix) and b (vector) and return
# mean = b_t[test rows], cov = Phi Sigma_joint Phi' [test rows].
# Kernels are the dense training-block ones (f-block only when lambda = 0).
dyn_ref_flow_rk4 <- function(theta_XX, theta_xX, sigma_joint, ytil, lambda_diag, N, t,
                         ridge = 0, steps_per_unit = NULL) {
  n <- nrow(theta_XX); m <- nrow(theta_xX)
  A <- rbind(theta_XX + ridge * diag(n), theta_xX) %*% diag(lambda_diag, n) / N
  # dz/dt = -A (U - Y~), U = z[1:n]
  Afull <- cbind(A, matrix(0, n + m, m))
  c0 <- A %*% ytil
  rhs_b <- function(b) -Afull %*% b + c0
  rhs_P <- function(P) -Afull %*% P
  rate <- max(abs(eigen((theta_XX + ridge * diag(n)) %*% diag(lambda_diag, n),
                             only.values = TRUE)$values)) / N
  b <- matrix(0, n + m, 1); P <- diag(n + m)
  out <- list()
  tcur <- 0
  for (tt in t) {
    nstep <- max(1L, ceiling((tt - tcur) * rate / 0.05))
    hh <- (tt - tcur) / nstep
    for (s in seq_len(nstep)) {
      k1 <- rhs_b(b); k2 <- rhs_b(b + hh / 2 * k1); k3 <- rhs_b(b + hh / 2 * k2); k4 <- rhs_b(b + hh * k3)
      b <- b + hh / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
      q1 <- rhs_P(P); q2 <- rhs_P(P + hh / 2 * q1); q3 <- rhs_P(P + hh / 2 * q2); q4 <- rhs_P(P + hh * q3)
      P <- P + hh / 6 * (q1 + 2 * q2 + 2 * q3 + q4)
    }
    tcur <- tt
    cv <- P %*% sigma_joint %*% t(P)
    te <- n + seq_len(m)
    out[[length(out) + 1L]] <- list(t = tt, mean = b[te, 1], cov = cv[te, te], U = b[seq_len(n), 1],
                                    covU = cv[seq_len(n), seq_len(n)])
  }
  out
}

# The reference flows of reference_values.json (tests/testthat copy).
dyn_ref_flows <- function() {
  jsonlite::fromJSON(test_path("reference_values.json"), simplifyVector = FALSE)$flows
}

dyn_heavy_tests <- function() {
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
}

# A small regression problem shared by the dynamics and spectrum tests.
flow_data <- function() {
  list(x = rbind(c(-0.234, -1.071), c(0.165, 0.116), c(0.383, -0.123), c(0.893, -0.489)),
       y = c(-1.447, 1.194, 0.546, -2.075),
       xt = rbind(c(-0.969, -2.135), c(-1.043, -1.707), c(0.5, 0.5)))
}
erf_net <- function(depth = 3) mlp(depth, "erf", sigma_w = 1, sigma_b = 0.1)
