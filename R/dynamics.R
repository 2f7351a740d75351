# Infinite-width training dynamics: gradient flow on the squared loss with
# an optional Jacobian penalty, in closed form through one eigendecomposition
# of the training kernel (math.md section 5). The numerics (eigendecomposition,
# spectral filters, mean/covariance assembly) are in src/dynamics.c.

#' Infinite-width gradient-flow dynamics of an MLP
#'
#' Sets up the closed-form training dynamics of an infinitely wide network
#' [mlp()] trained by gradient flow on
#' \deqn{L(\theta) = \frac{1}{2N}\sum_{i=1}^N \left[(f(x_i) - y_i)^2 +
#'   \lambda \|\nabla_x f(x_i)\|^2\right]}{L = 1/(2N) sum_i [(f(x_i) - y_i)^2 + lambda |grad_x f(x_i)|^2]}
#' (Jacot et al. 2018 for \eqn{\lambda = 0}; Kim and Yang 2024 for
#' \eqn{\lambda > 0}). It computes the training kernel once and caches one
#' symmetric eigendecomposition, from which [predict.gradient_flow()] gives the
#' Gaussian law of \eqn{f_t} (and of its input Jacobian \eqn{J_t}) at any
#' times without recomputing anything per time.
#'
#' @section Dynamics:
#' Stack the training outputs and Jacobians \eqn{U = (f(X), J(X))} (length
#' \eqn{N(d+1)}, block-major order as in [jntk()]), the targets
#' \eqn{\tilde Y = (y, 0, \dots, 0)} and
#' \eqn{\Lambda = \mathrm{diag}(1_N, \lambda 1_{Nd})}. With \eqn{\Theta} the
#' \eqn{\kappa^2}-scaled limiting JNTK on the training inputs,
#' \deqn{dU/dt = -\frac{1}{N}(\Theta + rI)\Lambda(U - \tilde Y),\qquad
#'   f_t(x) = f_0(x) + \Theta(x, X)\,(\Theta + rI)^{-1}\left(I - e^{-(\Theta+rI)\Lambda t/N}\right)(\tilde Y - U_0),}{dU/dt = -(1/N) (Theta + r I) Lambda (U - Y~),
#'   f_t(x) = f_0(x) + Theta(x, X) (Theta + r I)^{-1} (I - exp(-(Theta + r I) Lambda t / N)) (Y~ - U_0),}
#' where \eqn{r} is `ridge`. With \eqn{\lambda = 0} only the output block is
#' used: \eqn{\Theta} is the plain NTK ([ntk()]) and \eqn{U = f(X)}.
#' The matrix function is evaluated as
#' \eqn{\Lambda^{1/2} V \mathrm{diag}(h_k) V^\top \Lambda^{1/2}} with
#' \eqn{\Lambda^{1/2}(\Theta + rI)\Lambda^{1/2} = V D V^\top} and
#' \eqn{h_k = -\mathrm{expm1}(-D_k t/N)/D_k}, which tends to \eqn{t/N} as
#' \eqn{D_k \to 0}: near-zero eigenvalues never produce `NaN` at finite \eqn{t}.
#' Eigenvalues below zero (rounding noise of a positive semi-definite matrix)
#' are treated as zero, as in neural-tangents.
#'
#' **Time.** \eqn{t} is gradient-flow time on the loss above: \eqn{t =}
#' learning rate \eqn{\times} number of full-batch steps of `train_mlp()`.
#' neural-tangents' `gradient_descent_mse()` divides by the number of target
#' entries (\eqn{Nk} for \eqn{k} outputs) where we divide by \eqn{N}: its time
#' is \eqn{k} times ours.
#'
#' **Ridge.** `ridge` is an *absolute* diagonal term \eqn{r} added to the
#' training kernel (only to the training-training block). neural-tangents'
#' `diag_reg` is *relative* by default: it adds
#' \eqn{\mathrm{diag\_reg}\times\mathrm{tr}(\Theta)/n}, so
#' `ridge = diag_reg * mean(diag(Theta))`; with `diag_reg_absolute_scale =
#' TRUE` the two coincide. At \eqn{t = \infty} the mean is kernel ridge
#' regression with penalty \eqn{r}; predictions at the training inputs use
#' \eqn{\Theta(X, X)} without the ridge (the ridge regression's fitted
#' values), as in neural-tangents.
#'
#' **Several outputs.** A matrix `y` (\eqn{N \times k}) gives \eqn{k}
#' independent outputs sharing the kernel (neural-tangents' \eqn{K \otimes I}).
#' A factor is one-hot encoded (0/1 columns, one per level).
#'
#' @param net An architecture from [mlp()].
#' @param x Training inputs, an \eqn{N \times d} matrix (rows are points).
#' @param y Targets: a numeric vector of length \eqn{N}, an \eqn{N \times k}
#'   numeric matrix, or a factor (one-hot encoded).
#' @param lambda Jacobian penalty \eqn{\lambda \ge 0}. `0` gives plain NTK
#'   dynamics; `> 0` uses the JNTK (needs a twice-differentiable activation,
#'   e.g. `"erf"` or `"gelu"`).
#' @param ridge Absolute diagonal term \eqn{r \ge 0} added to the training
#'   kernel (see Details); needed for \eqn{t = \infty} when the kernel is
#'   singular.
#' @param solver `"dense"` (one eigendecomposition of the
#'   \eqn{n \times n} training kernel, \eqn{n = N(d+1)} for \eqn{\lambda > 0},
#'   else \eqn{N}), `"iterative"` (matrix-free: the kernel stays structured,
#'   8 scalars per pair, and predictions are Krylov solves; see Iterative
#'   solver) or `"auto"` (default): dense when \eqn{6n^2} doubles fit the
#'   memory budget (option `jntk.max_memory_gb`, default 80% of the RAM) and
#'   the eigendecomposition's estimated time (reference LAPACK, about
#'   \eqn{5 \cdot 10^{-9} n^3} seconds) is within option
#'   `jntk.max_dense_eigen_minutes` (default 30, i.e. \eqn{n \lesssim 7000}),
#'   else iterative. `"dense"` above that time is refused with the estimate.
#' @param kernel `NULL` (compute the training kernel from `net`), or the
#'   training kernel itself: the \eqn{N \times N} NTK for `lambda = 0`, the
#'   dense JNTK for `lambda > 0`, as a numeric matrix or a file-backed
#'   `bigmemory::big.matrix` (from e.g. `ntk(net, x, block_size = , file = )`;
#'   then the iterative solver streams it in column blocks).
#' @param tol Relative accuracy of the iterative solver (CG residual, Lanczos
#'   error estimate).
#' @param threads Number of threads for the kernels and the per-time assembly
#'   (which calls BLAS from several threads: with a multithreaded BLAS keep 1).
#' @section Iterative solver:
#' With \eqn{A = \Lambda^{1/2}(\Theta + rI)\Lambda^{1/2}} applied through the
#' structured JNTK (\eqn{O(N^2 d)} per product, [solve-structured]), the mean
#' at a finite \eqn{t} is \eqn{\Theta(x, X)\Lambda^{1/2} h_t(A)\Lambda^{1/2}\tilde Y},
#' \eqn{h_t(A)v} by Lanczos with full reorthogonalisation (one run serves every
#' finite time; it stops when successive approximations agree to `tol`, an
#' a-posteriori estimate), and at \eqn{t = \infty} \eqn{A^{-1}v} by
#' conjugate gradients preconditioned with
#' \eqn{\mathrm{blockdiag}(F + rI, \lambda(F_p + rI)\otimes I_d)}. The
#' product with \eqn{\Theta(x, X)} uses the structured cross kernel. Solves
#' are cached on the flow, so repeated predictions at the same times (as in
#' [robustness()]) cost only the cross-kernel products. Eigenvalues are
#' Lanczos estimates (`lambda_max`, an upper bound; `values`, Ritz values of
#' a 20-step run). `cov = TRUE` costs one Krylov solve per row of the
#' prediction (\eqn{m}, or \eqn{m(d+1)} with `jacobian = TRUE`), each
#' \eqn{O(N^2 d)} per iteration, and the dense cross-kernel rows
#' (\eqn{m \times n}): use it for tens of test points, not thousands.
#' [eigenfeatures()] needs the dense eigendecomposition.
#' @return An object of class `"gradient_flow"`: a list with the data (`x`,
#'   `y` as an \eqn{N \times k} matrix, `levels` for factor targets), the
#'   settings (`net`, `lambda`, `ridge`), the `kernel` used (`"ntk"` or
#'   `"jntk"`), the eigenvalues `values` (ascending, negative rounding noise
#'   set to 0; `values_raw` as returned by LAPACK) and `vectors` of
#'   \eqn{\Lambda^{1/2}(\Theta + rI)\Lambda^{1/2}}, and cached products used
#'   by [predict.gradient_flow()]; `solver`. An iterative flow holds instead the
#'   operator, the preconditioner, `lambda_max` and a cache of solves.
#' @references Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel, NeurIPS,
#'   section 5. Kim and Yang (2024), An Infinite-Width Analysis on the
#'   Jacobian-Regularised Training of a Neural Network, ICML, Theorem 4.5.
#' @seealso [predict.gradient_flow()], [eigenfeatures()], [robustness()],
#'   [min_eigenvalue()].
#' @examples
#' net <- mlp(depth = 2, activation = "erf", sigma_b = 0.1)
#' x <- rbind(c(-0.2, -1), c(0.2, 0.1), c(0.4, -0.1), c(0.9, -0.5))
#' y <- c(-1.4, 1.2, 0.5, -2.1)
#' fl <- gradient_flow(net, x, y)
#' fl
#' p <- predict(fl, rbind(c(-1, -2), c(0.5, 0)), t = c(0, 10, Inf), cov = TRUE)
#' p$mean
#' fl_j <- gradient_flow(net, x, y, lambda = 0.1, ridge = 1e-8)
#' predict(fl_j, x, t = Inf, jacobian = TRUE)$jacobian   # ~ 0 at training inputs
#' @export
gradient_flow <- function(net, x, y, lambda = 0, ridge = 0,
                          solver = c("auto", "dense", "iterative"), kernel = NULL,
                          tol = 1e-10, threads = default_threads()) {
  check_mlp(net)
  x <- as_input_matrix(x, "x", net_input_dim(net), n = NROW(y))
  N <- nrow(x)
  d <- ncol(x)
  tg <- check_targets(y, N)
  lambda <- check_number(lambda, "lambda", lower = 0,
                         hint = "it weights the Jacobian penalty (0 for plain training)")
  ridge <- check_number(ridge, "ridge", lower = 0)
  solver <- check_choice(solver, c("auto", "dense", "iterative"), "solver")
  tol <- check_number(tol, "tol", lower = 0, lower_open = TRUE, upper = 1e-2)
  threads <- check_threads(threads)
  kernel_given <- kernel
  kernel <- if (lambda > 0) "jntk" else "ntk"
  n <- if (lambda > 0) N * (d + 1) else N
  if (!is.null(kernel_given)) kernel_given <- flow_kernel_argument(kernel_given, n, kernel)
  if (solver == "auto") {
    fits <- 6 * as.double(n)^2 * 8 / 1e9 <= max_memory_gb()
    quick <- 5.2e-9 * as.double(n)^3 / 60 <= getOption("jntk.max_dense_eigen_minutes", 30)
    solver <- if (fits && quick && !inherits(kernel_given, "big.matrix")) "dense" else "iterative"
  }
  if (solver == "iterative") {
    it <- flow_iterative(net, x, tg, lambda, ridge, kernel_given, threads, tol)
    return(structure(c(list(
      net = net, x = x, y = tg$y, levels = tg$levels, target = tg$type,
      lambda = lambda, ridge = ridge, kernel = kernel, N = N, d = d, k = tg$k, n = n,
      threads = threads), it), class = "gradient_flow"))
  }
  check_dense_eigen(n, sprintf("%s training kernel", toupper(kernel)), vectors = TRUE,
                    "Use `solver = \"iterative\"` (matrix-free Krylov solves on the structured kernel)")
  check_alloc(6 * as.double(n)^2,
              sprintf("The %s dynamics on %d training inputs (a %d x %d kernel)",
                      toupper(kernel), N, n, n),
              "Use fewer training inputs, or lambda = 0 (plain NTK, N x N).")
  if (!is.null(kernel_given)) {
    theta <- dense_kernel(kernel_given[, , drop = FALSE])
    sigma <- dense_kernel(if (kernel == "jntk") jacobian_nngp(net, x, threads = threads) else
      nngp(net, x, threads = threads))
    sl <- if (kernel == "jntk") sqrt(c(rep(1, N), rep(lambda, N * d))) else rep(1, N)
    ytil <- if (kernel == "jntk") rbind(tg$y, matrix(0, N * d, tg$k)) else tg$y
  } else if (kernel == "jntk") {
    theta <- dense_kernel(jntk(net, x, threads = threads))
    sigma <- dense_kernel(jacobian_nngp(net, x, threads = threads))
    sl <- sqrt(c(rep(1, N), rep(lambda, N * d)))
    ytil <- rbind(tg$y, matrix(0, N * d, tg$k))
  } else {
    both <- kernels(net, x, threads = threads)  # one pass gives both
    theta <- dense_kernel(both$ntk)
    sigma <- dense_kernel(both$nngp)
    sl <- rep(1, N)
    ytil <- tg$y
  }
  if (ridge > 0) diag(theta) <- diag(theta) + ridge
  S <- sl * theta * rep(sl, each = n)
  S <- (S + t(S)) / 2
  eg <- .Call(C_dynamics_eigen, S, 1L)
  Vs <- sl * eg$vectors                       # Lambda^{1/2} V
  P <- crossprod(Vs, ytil)                    # V' Lambda^{1/2} Y~
  M <- crossprod(Vs, sigma %*% Vs)            # V' Lambda^{1/2} Sigma Lambda^{1/2} V
  M <- (M + t(M)) / 2
  structure(list(
    net = net, x = x, y = tg$y, levels = tg$levels, target = tg$type,
    lambda = lambda, ridge = ridge, kernel = kernel, N = N, d = d, k = tg$k, n = n,
    values = pmax(eg$values, 0), values_raw = eg$values, vectors = eg$vectors,
    sqrt_lambda = sl, P = P, M = M, threads = threads, solver = "dense"
  ), class = "gradient_flow")
}

#' Predict the infinite-width training dynamics
#'
#' Mean and covariance of the network output \eqn{f_t} (and optionally of its
#' input Jacobian \eqn{J_t}) at new inputs and any times, over random
#' initialisation of an infinitely wide network (Gaussian, with the Jacobian
#' NNGP as the law at \eqn{t = 0}); or, with `init`, the linearised trajectory
#' of one given finite network. Every time uses the eigendecomposition cached
#' by [gradient_flow()]; per time only a diagonal filter changes.
#'
#' Over random initialisation \eqn{f_t} is Gaussian with mean
#' \eqn{B_t(x)\tilde Y} and covariance
#' \eqn{\Sigma(x,x') - B_t(x)\Sigma(X,x') - \Sigma(x,X)B_t(x')^\top +
#' B_t(x)\Sigma(X,X)B_t(x')^\top} with
#' \eqn{B_t(x) = \Theta(x,X)\Theta^{-1}(I - e^{-\Theta\Lambda t/N})} and
#' \eqn{\Sigma} the Jacobian NNGP (Jacot et al. 2018, Section 5, the
#' least-squares flow \eqn{f_t = f^* + e^{-t\Pi}(f_0 - f^*)} under a constant
#' kernel; Kim and Yang 2024, Theorem 4.5, for the Jacobian-regularised flow
#' with \eqn{\Lambda}; Lee et al. 2019, Wide Neural Networks of Any Depth
#' Evolve as Linear Models Under Gradient Descent, NeurIPS, for the Gaussian
#' law over initialisation). With `init = nw` the
#' prediction is \eqn{f_0(x) + B_t(x)(\tilde Y - U_0)} with \eqn{f_0},
#' \eqn{U_0} computed from the network `nw`: the trajectory of a linearised
#' network with that initialisation and the limiting kernel, which a wide
#' network trained by `train_mlp()` follows closely.
#'
#' @param object A [gradient_flow()].
#' @param newdata Inputs, an \eqn{m \times d} matrix (a vector is one point).
#' @param t Times \eqn{\ge 0} (gradient-flow time, learning rate \eqn{\times}
#'   steps); `Inf` is the end of training and needs a positive definite kernel
#'   or a `ridge`.
#' @param cov Also return the covariance over initialisations.
#' @param jacobian Also return the input Jacobian \eqn{J_t}. With
#'   \eqn{\lambda = 0} and a kinked activation (relu, leaky relu, abs), whose
#'   limiting JNTK does not exist, \eqn{\partial_x\Theta(x, X)} is taken by
#'   central differences of [ntk()] (relative error about 1e-10, undefined for
#'   \eqn{x} parallel to a training input, where the NTK has a kink).
#' @param init `NULL`, or a finite network from [sample_mlp()] with the same
#'   architecture (the initialisation given to `train_mlp()`): returns its
#'   linearised trajectory instead of the mean over initialisations.
#' @param lr `NULL` (default) for gradient flow, or a learning rate
#'   \eqn{\eta}: the prediction of full-batch gradient descent with that
#'   rate after \eqn{s = t/\eta} steps (every finite `t` must be a multiple of
#'   `lr`), i.e. \eqn{(I - \eta\Theta\Lambda/N)^s} in place of
#'   \eqn{e^{-\Theta\Lambda t/N}}: the linearised counterpart of
#'   `train_mlp(lr = , steps = )`. Needs `lr` below the stability limit
#'   \eqn{2N/D_{\max}}; the \eqn{t = \infty} limit is the same as the flow's.
#' @param threads Number of threads.
#' @param ... Unused.
#' @return An object of class `"flow_prediction"`: a list with `t`; `mean`, an
#'   \eqn{m \times T} matrix (one column per time) for one output or an
#'   \eqn{m \times k \times T} array; `cov` (if asked), an
#'   \eqn{m \times m \times T} array shared by all outputs; `jacobian` (if
#'   asked), an \eqn{m \times d \times T} (or \eqn{m \times d \times k \times T})
#'   array of \eqn{E[J_t]}; `cov_joint` (if both), the covariance of
#'   \eqn{(f_t, J_t)} in block-major order, \eqn{m(d+1) \times m(d+1) \times T};
#'   `lr` when given; for an iterative flow, `krylov`: a data frame of the
#'   Krylov runs this call needed (`method` "cg" or "lanczos", `column`,
#'   `iterations`, `accuracy` = CG relative residual or Lanczos error
#'   estimate, `time`), `NULL` when every solve came from the cache.
#' @examples
#' net <- mlp(depth = 2, activation = "erf", sigma_b = 0.1)
#' x <- rbind(c(-0.2, -1), c(0.2, 0.1), c(0.4, -0.1), c(0.9, -0.5))
#' fl <- gradient_flow(net, x, c(-1.4, 1.2, 0.5, -2.1))
#' p <- predict(fl, x, t = c(0, 1, 10, Inf), cov = TRUE)
#' p$mean                       # interpolates y at t = Inf
#' p$cov[, , "t=Inf"]           # ~ 0 on the training inputs
#' @export
predict.gradient_flow <- function(object, newdata, t = Inf, cov = FALSE, jacobian = FALSE,
                                  init = NULL, lr = NULL, threads = object$threads, ...) {
  fl <- object
  if (missing(newdata)) newdata <- fl$x
  xn <- as_input_matrix(newdata, "newdata",
                        structure(fl$d, why = "the training input `x`"))
  t <- check_times(t)
  cov <- check_flag(cov, "cov")
  jacobian <- check_flag(jacobian, "jacobian")
  threads <- check_threads(threads)
  if (any(is.infinite(t))) check_definite(fl)
  lr <- check_lr(lr, t, fl)
  m <- nrow(xn)
  mr <- if (jacobian) m * (fl$d + 1) else m
  dense_rows <- !identical(fl$solver, "iterative") || cov
  check_alloc(if (dense_rows) as.double(mr) * fl$n * 4 + if (cov) as.double(mr)^2 * (length(t) + 1) else 0 else
                as.double(fl$n) * fl$k * (length(t) + 2),
              sprintf("Predicting at %s input(s) (`newdata`) and %d time(s) (`t`)%s",
                      format(m, big.mark = ","), length(t), if (cov) " with `cov = TRUE`" else ""),
              "Predict in smaller batches of inputs or times, or with cov = FALSE.")
  nw <- NULL
  if (!is.null(init)) {
    nw <- flow_init_network(init, fl)
    if (cov) {
      jntk_abort("With `init` the prediction is one deterministic trajectory, so it has no covariance; use cov = FALSE.",
                 class = "jntk_error_argument")
    }
  }
  if (any(is.infinite(t))) flow_warn_conditioning(fl)
  if (identical(fl$solver, "iterative")) {
    res <- predict_iterative(fl, xn, t, cov, jacobian, nw, lr, threads)
    mean_rows <- res$mean
    if (!is.null(nw)) mean_rows <- mean_rows + as.vector(flow_network_state(nw, xn, jacobian = jacobian))
    out <- flow_prediction(fl, xn, t, mean_rows, res$cov, jacobian)
    out$lr <- if (lr > 0) lr else NULL
    out$krylov <- res$krylov
    return(out)
  }
  # mean only with the JNTK: the structured cross kernel's product, (d + 1)
  # times cheaper than its dense rows (no m(d+1) x N(d+1) matrix)
  structured_cross <- !cov && fl$kernel == "jntk"
  cr <- if (structured_cross) NULL else flow_cross(fl, xn, jacobian = jacobian, cov = cov, threads = threads)
  Vs <- fl$sqrt_lambda * fl$vectors
  P <- fl$P
  if (!is.null(nw)) {
    U0 <- flow_network_state(nw, fl$x, jacobian = fl$kernel == "jntk")
    P <- P - crossprod(Vs, U0)
  }
  H <- .Call(C_dynamics_filters, fl$values, as.double(t), as.double(fl$N), lr, threads)
  n <- fl$n; k <- fl$k; nT <- length(t)
  if (cov) {
    G <- cr$theta %*% Vs
    C <- cr$sigma %*% Vs
    res <- .Call(C_dynamics_assemble, G, P, H, C, fl$M, cr$sigma_xx, threads)
  } else if (structured_cross) {
    a <- .Call(C_dynamics_assemble, Vs, P, H, NULL, NULL, NULL, threads)$mean
    res <- list(mean = array(flow_cross_times(fl, xn, matrix(a, n, k * nT), jacobian, threads),
                             c(mr, k, nT)))
  } else if (as.double(nT) * k * (n + mr) < as.double(mr) * n) {
    # Few times, many rows (e.g. one time with Jacobian rows, as in attacks):
    # the coefficients a_t = Lambda^{1/2} V diag(h_t) P (n x k per time) first,
    # then one product with the kernel rows, instead of the m x n x n product G.
    a <- .Call(C_dynamics_assemble, Vs, P, H, NULL, NULL, NULL, threads)$mean
    res <- list(mean = array(cr$theta %*% matrix(a, n, k * nT), c(mr, k, nT)))
  } else {
    G <- cr$theta %*% Vs
    res <- .Call(C_dynamics_assemble, G, P, H, NULL, NULL, NULL, threads)
  }
  if (any(!is.finite(res$mean)) || (cov && any(!is.finite(res$cov)))) {
    # Only reachable with astronomically large t on a singular kernel: the
    # (numerically) null directions have h = t/N, and rounding times t overflows.
    jntk_abort(sprintf(paste0(
      "The prediction overflowed at t = %s: along the near-null directions of the training kernel ",
      "(smallest eigenvalue %.3g) the filter grows like t/N. Use smaller times or a `ridge`."),
      paste(format(t, trim = TRUE), collapse = ", "), min(fl$values_raw)),
      class = "jntk_error_singular")
  }
  mean_rows <- res$mean                               # mr x k x T
  if (!is.null(nw)) {
    off <- flow_network_state(nw, xn, jacobian = jacobian)  # mr x 1
    mean_rows <- mean_rows + as.vector(off)
  }
  out <- flow_prediction(fl, xn, t, mean_rows, res$cov, jacobian)
  out$lr <- if (lr > 0) lr else NULL
  out
}

# Split the stacked rows (f rows, then Jacobian rows in block-major order)
# into user-facing arrays.
flow_prediction <- function(fl, xn, t, mean_rows, cov_rows, jacobian) {
  m <- nrow(xn); d <- fl$d; k <- fl$k; nT <- length(t)
  tl <- time_labels(t)
  outs <- flow_output_names(fl)
  fr <- seq_len(m)
  mean <- mean_rows[fr, , , drop = FALSE]
  mean <- if (k == 1L) matrix(mean, m, nT, dimnames = list(NULL, tl)) else
    array(mean, c(m, k, nT), dimnames = list(NULL, outs, tl))
  out <- list(t = t, mean = mean)
  if (!is.null(cov_rows)) {
    out$cov <- array(cov_rows[fr, fr, , drop = FALSE], c(m, m, nT), dimnames = list(NULL, NULL, tl))
  }
  if (jacobian) {
    jr <- m + seq_len(m * d)
    J <- array(mean_rows[jr, , , drop = FALSE], c(d, m, k, nT))
    J <- aperm(J, c(2, 1, 3, 4))
    cn <- colnames(fl$x)
    out$jacobian <- if (k == 1L) array(J, c(m, d, nT), dimnames = list(NULL, cn, tl)) else
      array(J, c(m, d, k, nT), dimnames = list(NULL, cn, outs, tl))
    if (!is.null(cov_rows)) {
      out$cov_joint <- cov_rows
      dimnames(out$cov_joint) <- list(NULL, NULL, tl)
    }
  }
  out$x <- xn
  out$k <- k
  out$levels <- fl$levels
  structure(out, class = "flow_prediction")
}

# ----------------------------------------------------------------- helpers

flow_output_names <- function(fl) {
  if (!is.null(fl$levels)) fl$levels else colnames(fl$y)
}

# Learning rate for gradient-descent predictions: NULL -> 0 (gradient flow).
check_lr <- function(lr, t, fl) {
  if (is.null(lr)) return(0)
  lr <- check_number(lr, "lr", lower = 0, lower_open = TRUE,
                     hint = "the learning rate of gradient descent (NULL for gradient flow)")
  steps <- t[is.finite(t)] / lr
  if (any(abs(steps - round(steps)) > 1e-8 * pmax(1, steps))) {
    jntk_abort(sprintf("With `lr = %g` every finite `t` must be a whole number of steps times lr (t = lr x steps).",
                       lr), class = "jntk_error_argument")
  }
  lim <- 2 * fl$N / flow_lambda_max(fl)
  if (lr >= lim) {
    jntk_abort(sprintf(paste0("`lr = %g` is at or above gradient descent's stability limit 2N/D_max = %.4g: ",
                              "the linearised network diverges along the top kernel eigendirection; use a smaller lr."),
                       lr, lim), class = "jntk_error_argument")
  }
  lr
}

time_labels <- function(t) paste0("t=", format(t, trim = TRUE))

# Numerical-rank tolerance of the eigenvalues (as numpy's matrix_rank).
flow_tolerance <- function(fl) length(fl$values_raw) * .Machine$double.eps * max(abs(fl$values_raw))

flow_definite <- function(fl) {
  # an iterative flow knows only Ritz estimates: CG says so when t = Inf fails
  if (identical(fl$solver, "iterative")) return(TRUE)
  min(fl$values_raw) > flow_tolerance(fl)
}

# Largest eigenvalue (an upper bound for an iterative flow's Lanczos estimate).
flow_lambda_max <- function(fl) {
  if (identical(fl$solver, "iterative")) fl$lambda_max else max(fl$values)
}


# A training kernel given to gradient_flow(): a dense matrix or a
# file-backed big.matrix of the right size.
flow_kernel_argument <- function(K, n, kernel) {
  if (is.matrix(K)) {
    return(check_kernel_matrix(K, "kernel", n, sprintf("the training %s", toupper(kernel))))
  }
  ok <- inherits(K, "big.matrix")
  if (!ok || nrow(K) != n || ncol(K) != n) {
    jntk_abort(sprintf(paste0("`kernel` must be the %d x %d training %s (a numeric matrix or a file-backed ",
                              "`big.matrix` from `%s(..., file = )`), not %s."),
                       n, n, toupper(kernel), kernel,
                       if (ok) sprintf("%d x %d", nrow(K), ncol(K)) else describe_type(K)),
               class = "jntk_error_input")
  }
  K
}

# t = Inf needs every eigenvalue of Lambda^{1/2} (Theta + r I) Lambda^{1/2} > 0
# (Kim and Yang's Assumption 4.4 for the JNTK).
check_definite <- function(fl) {
  if (flow_definite(fl)) return(invisible(TRUE))
  ev <- fl$values_raw
  what <- if (fl$kernel == "jntk") "JNTK (scaled by Lambda)" else "NTK"
  jntk_abort(sprintf(paste0(
    "t = Inf needs a positive definite training kernel, but the smallest eigenvalue of the %s ",
    "Gram matrix on the %d training inputs is %.3g (largest %.3g, numerical-rank tolerance %.3g). ",
    "Add a ridge (e.g. `gradient_flow(..., ridge = %.2g)`), predict at a finite t, ",
    "remove duplicated inputs, or use a deeper network (Kim and Yang's Assumption 4.4: ",
    "the JNTK of shallow erf/gelu networks is close to singular)."),
    what, fl$N, min(ev), max(ev), flow_tolerance(fl), 1e-6 * max(ev)),
    class = "jntk_error_singular",
    data = list(min_eigenvalue = min(ev)))
}

# Dense matrix from a kernel result (drops classes/attributes).
dense_kernel <- function(K) {
  if (!is.matrix(K)) K <- as.matrix(K)
  K <- unclass(K)
  attributes(K) <- list(dim = dim(K))
  storage.mode(K) <- "double"
  K
}

# Kernel rows between new inputs and the training set:
# theta (mr x n), sigma (mr x n) and sigma_xx (mr x mr) where mr = m (f rows)
# or m (d + 1) (f rows then Jacobian rows, block-major).
flow_cross <- function(fl, xn, jacobian, cov, threads) {
  net <- fl$net; x <- fl$x; N <- fl$N; m <- nrow(xn)
  out <- list()
  if (fl$kernel == "ntk" && jacobian && !net$smooth) {
    # Kinked activation (lambda = 0): the limiting JNTK does not exist, but
    # d/dx Theta(x, X) does away from x parallel to a training input; take it
    # by central differences of the NTK (error ~1e-10 relative).
    th <- rbind(dense_kernel(ntk(net, xn, x, threads = threads)),
                fd_kernel_rows(function(z) dense_kernel(ntk(net, z, x, threads = threads)), xn))
  } else if (fl$kernel == "jntk" || jacobian) {
    th <- dense_kernel(jntk(net, xn, x, threads = threads))
    if (fl$kernel == "ntk") th <- th[, seq_len(N), drop = FALSE]
    if (!jacobian) th <- th[seq_len(m), , drop = FALSE]
  } else {
    th <- dense_kernel(ntk(net, xn, x, threads = threads))
  }
  out$theta <- th
  if (cov) {
    if (fl$kernel == "jntk" || jacobian) {
      sg <- dense_kernel(jacobian_nngp(net, xn, x, threads = threads))
      if (fl$kernel == "ntk") sg <- sg[, seq_len(N), drop = FALSE]
      if (!jacobian) sg <- sg[seq_len(m), , drop = FALSE]
    } else {
      sg <- dense_kernel(nngp(net, xn, x, threads = threads))
    }
    out$sigma <- sg
    sxx <- if (jacobian) dense_kernel(jacobian_nngp(net, xn, threads = threads)) else
      dense_kernel(nngp(net, xn, threads = threads))
    out$sigma_xx <- (sxx + t(sxx)) / 2
  }
  out
}

# Rows d/dx_i K(x_a, X) in block-major order (row (a - 1) d + i) by central
# differences with a step relative to the input's size.
fd_kernel_rows <- function(kfun, xn) {
  m <- nrow(xn); d <- ncol(xn)
  h <- 1e-6 * pmax(1, sqrt(rowSums(xn^2)))
  out <- NULL
  for (i in seq_len(d)) {
    e <- matrix(0, m, d); e[, i] <- h
    Di <- (kfun(xn + e) - kfun(xn - e)) / (2 * h)
    if (is.null(out)) out <- array(0, c(d, m, ncol(Di)))
    out[i, , ] <- Di
  }
  matrix(out, m * d)
}

# The finite network given as `init`, checked against the flow's architecture.
flow_init_network <- function(init, fl) {
  if (inherits(init, "mlp_fit")) {
    jntk_abort("`init` must be the initial network (the one given to `train_mlp()`), not a trained `mlp_fit`.",
               class = "jntk_error_argument")
  }
  nw <- init
  if (!inherits(nw, "mlp_network")) {
    jntk_abort(sprintf("`init` must be a finite network from `sample_mlp()`, not %s.",
                       describe_type(init)), class = "jntk_error_argument")
  }
  a <- nw$net; b <- fl$net
  same <- a$depth == b$depth && a$activation == b$activation && isTRUE(all.equal(a$sigma_w, b$sigma_w)) &&
    isTRUE(all.equal(a$sigma_b, b$sigma_b)) && isTRUE(all.equal(a$kappa, b$kappa))
  if (!same) {
    jntk_abort(sprintf(paste0("`init` has architecture (depth %d, %s, sigma_w %g, sigma_b %g, kappa %g) ",
                              "but the flow was built for (depth %d, %s, sigma_w %g, sigma_b %g, kappa %g); ",
                              "sample the network from the same `mlp()`."),
                       a$depth, a$activation, a$sigma_w, a$sigma_b, a$kappa,
                       b$depth, b$activation, b$sigma_w, b$sigma_b, b$kappa),
               class = "jntk_error_argument")
  }
  if (nw$widths[1] != fl$d) {
    jntk_abort(sprintf("`init` takes %d inputs but the training inputs have %d columns.", nw$widths[1], fl$d),
               class = "jntk_error_argument")
  }
  if (fl$k != 1L) {
    jntk_abort(sprintf("`init` is a scalar-output network but the flow has %d outputs; fit one output at a time.",
                       fl$k), class = "jntk_error_argument")
  }
  nw
}

# Stacked state c(f(x), t(J(x))) of a finite network (Jacobian rows only when asked).
flow_network_state <- function(nw, x, jacobian) {
  f <- as.vector(stats::predict(nw, x))
  if (!jacobian) return(matrix(f, ncol = 1L))
  J <- input_jacobian(nw, x)
  matrix(c(f, as.vector(t(J))), ncol = 1L)
}
