# Results are bit-identical for 1, 2 and 3 threads (issue 17), for every
# threaded routine, through the exported functions. The sizes put each
# parallel loop above its grain (src/omp.h) so that more than one thread
# really runs: e.g. the plain kernels need n1 n2 (depth + 1) >= 3 x 131072
# (pair, layer) steps, the Gram matrix n1 n2 d >= 3 x 4e6 multiply-adds.
# (jntk_threads() also caps at the machine's cores: on a 2-core machine
# "3 threads" runs 2.) A last test checks that these cases reach every routine
# that takes a thread count, found at run time as in test-garbage.R.

thread_cases <- function() {
  list(
    plain = quote({
      set.seed(1)
      x <- matrix(rnorm(400 * 80), 400, 80)
      list(nngp(mlp(2, "relu", sigma_b = 0.1), x, threads = th),
           kernels(mlp(2, "erf"), x, x[1:300, ], threads = th))
    }),
    series = quote({
      set.seed(2)
      x <- matrix(rnorm(300 * 3), 300, 3)
      ntk(mlp(2, "tanh"), x, threads = th)
    }),
    jacobian = quote({
      set.seed(3)
      x <- matrix(rnorm(250 * 3), 250, 3)
      S <- jntk(mlp(2, "erf", sigma_b = 0.1), x, as = "structured", threads = th)
      list(jacobian_nngp(mlp(2, "gelu"), x, x[1:200, ], threads = th), S@F,
           as.matrix.jntk_structured(S, threads = th))  # by name: S4 methods are not patched
    }),
    network = quote({
      set.seed(4)
      x <- matrix(rnorm(200 * 6), 200, 6)
      nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), width = 256, input_dim = 6)
      list(predict(nw, x, threads = th), input_jacobian(nw, x, threads = th),
           empirical_ntk(nw, x[1:40, ], threads = th), empirical_jntk(nw, x[1:20, ], threads = th),
           empirical_nngp(nw, x[1:30, ], jacobian = TRUE, threads = th))
    }),
    training = quote({
      set.seed(5)
      x <- matrix(rnorm(120 * 5), 120, 5); y <- sin(x[, 1])
      nw <- sample_mlp(mlp(2, "tanh"), width = 128, input_dim = 5)
      fit <- train_mlp(nw, x, y, lambda = 0.05, lr = 0.2, steps = 6, x_test = x[1:30, ],
                       record_every = 3, record_kernel = "ntk", threads = th, progress = FALSE)
      list(fit[c("history", "outputs", "kernels")], predict(fit, x, jacobian = TRUE),
           training_gradient(nw, x, y, lambda = 0.05, threads = th))
    }),
    dynamics = quote({
      set.seed(6)
      x <- matrix(rnorm(300 * 3), 300, 3); xt <- matrix(rnorm(40 * 3), 40, 3)
      fl <- gradient_flow(mlp(2, "erf", sigma_b = 0.1), x, x[, 1], threads = th)
      flj <- gradient_flow(mlp(1, "erf"), x[1:60, ], x[1:60, 1], lambda = 0.1, ridge = 1e-6,
                           threads = th)
      # filters: 300 eigenvalues x 1200 times >= 3 x 1e5; assembly: times >= 3
      list(fl$values, predict(fl, xt, t = seq(0, 100, length.out = 1200), threads = th),
           predict(fl, xt, t = c(0, 1, 10, 100), cov = TRUE, threads = th),
           predict(flj, xt[1:10, ], t = c(0, 1, 10, Inf), cov = TRUE, jacobian = TRUE, threads = th),
           min_eigenvalue(mlp(2, "erf"), x[1:100, ], kernel = c("ntk", "jntk"), threads = th))
    }),
    montecarlo = quote({
      set.seed(7)
      monte_carlo(mlp(1, "erf"), matrix(rnorm(12), 4, 3), width = 64, n_samples = 20,
                  kernel = "jntk", threads = th)$estimate
    })
  )
}

run_thread_case <- function(expr, th) {
  env <- new.env(parent = asNamespace("jntk"))
  env$th <- as.integer(th)
  # the cases are about bits, not about advice on conditioning or thread caps
  withCallingHandlers(eval(expr, env),
                      jntk_warning_conditioning = function(w) invokeRestart("muffleWarning"),
                      jntk_message_threads = function(m) invokeRestart("muffleMessage"))
}

test_that("every threaded computation is bit-identical for 1, 2 and 3 threads", {
  for (nm in names(thread_cases())) {
    expr <- thread_cases()[[nm]]
    r1 <- run_thread_case(expr, 1L)
    for (th in 2:3) expect_identical(run_thread_case(expr, th), r1, info = paste(nm, th, "threads"))
  }
})

test_that("the thread cases reach every routine that takes a thread count", {
  skip_on_cran()
  skip_if_not_installed("callr")
  all_calls <- garbage_capture()$calls
  threaded <- unique(unlist(lapply(all_calls, function(b) if (any(grepl("thread", b$labels))) b$routine)))
  expect_gt(length(threaded), 5L)
  cases <- lapply(thread_cases(), function(e) bquote(local({ th <- 2L; .(e) })))
  cap <- garbage_capture(cases, per_routine = 1L)
  expect_true(all(cap$status == "ok"), info = paste(cap$status, collapse = "; "))
  reached <- unique(vapply(cap$calls, `[[`, "", "routine"))
  expect_equal(setdiff(threaded, reached), character(0))
})
