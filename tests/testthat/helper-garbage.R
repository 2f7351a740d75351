# Garbage for the registered .Call routines (issue 17): every routine is
# discovered at run time (getDLLRegisteredRoutines), valid argument lists are
# captured by running the exported R functions with `.Call` intercepted, and
# each garbage or mutated call runs in a child R process so that a crash is
# counted instead of ending the test run. Nothing here knows a routine by name
# or arity except `garbage_drivers()`, which only calls exported functions
# (and one internal helper for the one routine no export reaches).
#
# Used by test-garbage.R, test-threads.R and scripts/gctorture.R.

# Registered .Call routines: a data frame of name and arity.
garbage_routines <- function() {
  loadNamespace("jntk")
  r <- getDLLRegisteredRoutines("jntk")$.Call
  data.frame(name = names(r), arity = vapply(r, function(x) as.integer(x$numParameters), 0L),
             stringsAsFactors = FALSE, row.names = NULL)
}

# Expressions that reach every routine through the exported functions at tiny
# sizes; each is evaluated in its own environment with `.Call` intercepted.
garbage_drivers <- function() {
  list(
    sitrep = quote(jntk_sitrep()),
    plain = quote({
      set.seed(1)
      x <- matrix(rnorm(8), 4, 2); x2 <- matrix(rnorm(6), 3, 2)
      nngp(mlp(2, "relu"), x); ntk(mlp(2, "erf", sigma_b = 0.1), x, x2)
      kernels(mlp(1, "tanh"), x, x2)
    }),
    jacobian = quote({
      set.seed(2)
      x <- matrix(rnorm(6), 3, 2); x2 <- matrix(rnorm(4), 2, 2)
      jacobian_nngp(mlp(2, "erf"), x); jntk(mlp(1, "gelu"), x, x2)
      S <- jntk(mlp(2, "erf"), x, x2, as = "structured")
      as.matrix(S); S %*% rnorm(dim(S)[2]); diag(jacobian_nngp(mlp(1, "tanh"), x, as = "structured"))
      # S4 methods keep the function they were registered with: call by name
      as.matrix.jntk_structured(S)
    }),
    krylov = quote({
      set.seed(8)
      x <- matrix(rnorm(6), 3, 2); y <- rnorm(3)
      net <- mlp(2, "erf", sigma_b = 0.1)
      S <- jntk(net, x, as = "structured")
      structured_solve(S, rnorm(dim(S)[1]), ridge = 1e-6, verbose = FALSE)
      # the preconditioner's test hook, reached by no export
      op <- krylov_operator(S, lambda = 1, ridge = 1e-6)
      .Call(C_krylov_precondition, op, krylov_preconditioner(S, op, "two_level"),
            matrix(rnorm(dim(S)[1])), environment())
      fl <- gradient_flow(net, x, y, lambda = 0.1, ridge = 1e-6, solver = "iterative")
      predict(fl, x, t = c(1, Inf))
    }),
    network = quote({
      set.seed(3)
      x <- matrix(rnorm(6), 3, 2)
      nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), width = 5, input_dim = 2)
      predict(nw, x); input_jacobian(nw, x)
      empirical_ntk(nw, x); empirical_jntk(nw, x, x[1:2, , drop = FALSE])
      empirical_nngp(nw, x, jacobian = TRUE)
      # the benchmark's BLAS-floor replay (inst/bench/bench_empirical.R)
      a <- network_arch(nw$net, nw$widths)
      .Call(C_empirical_blas_floor, list(nw$weights, nw$biases), a$par, a$ipar, x,
            x[1:2, , drop = FALSE], kind_code("jntk"), 1L)
    }),
    training = quote({
      set.seed(4)
      x <- matrix(rnorm(8), 4, 2); y <- rnorm(4)
      nw <- sample_mlp(mlp(1, "tanh"), width = 4, input_dim = 2)
      fit <- train_mlp(nw, x, y, lambda = 0.1, lr = 0.1, steps = 3, x_test = x[1:2, ],
                       record_every = 1, record_kernel = "jntk", progress = FALSE)
      predict(fit, x, jacobian = TRUE)
      training_gradient(nw, x, y, lambda = 0.1)
      # the benchmark's BLAS-floor replay (inst/bench/bench_training.R)
      a <- network_arch(nw$net, nw$widths)
      .Call(C_training_blas_floor, network_theta(nw), a$par, a$ipar, x, y, 0.1, 2L)
    }),
    dynamics = quote({
      set.seed(5)
      x <- matrix(rnorm(8), 4, 2); y <- rnorm(4); xt <- matrix(rnorm(4), 2, 2)
      net <- mlp(2, "erf", sigma_b = 0.1)
      fl <- gradient_flow(net, x, y, lambda = 0.1, ridge = 1e-6)
      predict(fl, xt, t = c(0, 1, Inf), cov = TRUE, jacobian = TRUE)
      predict(gradient_flow(net, x, y), xt, t = c(0.5, 1), lr = 0.5)
      min_eigenvalue(net, x, kernel = c("ntk", "jntk"))
    }),
    montecarlo = quote({
      set.seed(6)
      monte_carlo(mlp(1, "erf"), matrix(rnorm(4), 2, 2), width = 4, n_samples = 3,
                  kernel = "jacobian_nngp")
    }),
    robustness = quote({
      set.seed(7)
      x <- matrix(rnorm(12), 6, 2); y <- ifelse(x[, 1] > 0, 1, -1)
      fl <- gradient_flow(mlp(1, "erf", sigma_b = 0.1), x, y, lambda = 0.05, ridge = 1e-6)
      robustness(fl, x, y, eps = c(0, 0.1), attack = "fgsm", features = FALSE)
      eigenfeatures(fl, x, y, n_features = 3)
    }),
    # the scalar duals: registered for the tests, reached by no export
    duals = quote({
      kp <- kernel_par(mlp(1, "erf"))
      .Call(C_kernels_dual, kp$par, kp$ipar, kp$rule, rbind(c(1, 1, 0.3), c(0.5, 2, -0.7)))
      ks <- kernel_par(mlp(1, "tanh"))
      .Call(C_kernels_moments, ks$par, ks$ipar, ks$rule, rbind(c(1, 2, 0.3), c(0.5, 2, -0.7)), 0L)
      kernel_error_bound(mlp(2, "tanh"), matrix(c(1, 0.5, -0.3, 2), 2), kind = "jntk")
    })
  )
}

# In a child process: patch every closure of the namespace (and its S3 table)
# that calls .Call so that .Call records its routine and arguments, then run
# the drivers. Keeps up to `per_routine` calls per routine with distinct
# argument shapes. Returns list(calls, status (per driver: "ok" or the error),
# routines).
garbage_capture <- function(drivers = garbage_drivers(), per_routine = 3L) {
  callr::r(function(drivers, per_routine) {
    ns <- asNamespace("jntk")
    routines <- names(getDLLRegisteredRoutines("jntk")$.Call)
    rec <- new.env()
    rec$calls <- list(); rec$seen <- character(); rec$driver <- ""
    shape <- function(a) {
      paste(vapply(a, function(v) paste(typeof(v), paste(if (is.null(dim(v))) length(v) else dim(v),
                                                              collapse = "x")), ""), collapse = ",")
    }
    recorder <- function(.NAME, ...) {
      name <- if (inherits(.NAME, "NativeSymbolInfo")) .NAME$name else as.character(.NAME)[1]
      if (name %in% routines) {
        args <- list(...)
        key <- paste(name, shape(args))
        if (!key %in% rec$seen && sum(startsWith(rec$seen, paste0(name, " "))) < per_routine) {
          labels <- vapply(as.list(sys.call())[-(1:2)],
                           function(e) paste(deparse(e, width.cutoff = 500L), collapse = " "), "")
          rec$seen <- c(rec$seen, key)
          rec$calls[[length(rec$calls) + 1L]] <- list(routine = name, args = args, labels = labels,
                                                      driver = rec$driver)
        }
      }
      .Primitive(".Call")(.NAME, ...)
    }
    E <- new.env(parent = ns)
    E$.Call <- recorder
    patch <- function(f) {
      if (!is.function(f) || is.primitive(f) || !".Call" %in% all.names(body(f))) return(NULL)
      g <- f
      body(g) <- body(f) # drops the byte code, whose inlined .Call would bypass E (the JIT
      # recompiles it with E's .Call, a closure, which it does not inline)
      environment(g) <- E
      g
    }
    for (tab in list(ns, ns[[".__S3MethodsTable__."]])) {
      for (nm in ls(tab, all.names = TRUE)) {
        g <- patch(get(nm, envir = tab))
        if (is.null(g)) next
        locked <- bindingIsLocked(nm, tab)
        if (locked) unlockBinding(nm, tab)
        assign(nm, g, envir = tab)
        if (locked) lockBinding(nm, tab)
      }
    }
    status <- vapply(names(drivers), function(nm) {
      rec$driver <- nm
      tryCatch({
        utils::capture.output(invisible(eval(drivers[[nm]], new.env(parent = E))))
        "ok"
      }, error = function(e) conditionMessage(e))
    }, "")
    list(calls = rec$calls, status = status, routines = routines)
  }, list(drivers, per_routine), libpath = .libPaths())
}

# ------------------------------------------------------------- garbage values

# Values that are wrong for almost any argument.
garbage_values <- function() {
  list(null = NULL, na = NA, na_real = NA_real_, nan = NaN, inf = Inf, string = "a",
       int_one = 1L, int_huge = .Machine$integer.max, int_neg = -1L, threads_1e6 = 1000000L,
       real_empty = double(0), matrix_0x0 = matrix(0, 0, 0), matrix_0x3 = matrix(0, 0, 3),
       matrix_2x2 = matrix(1, 2, 2), list_empty = list(), list_of_matrix = list(matrix(1, 2, 2)),
       complex = 1i, closure = function() NULL)
}

# Generic garbage calls: every argument of a routine the same garbage value.
garbage_generic_calls <- function(routines = garbage_routines()) {
  vals <- garbage_values()
  out <- list()
  for (i in seq_len(nrow(routines))) {
    for (v in names(vals)) {
      out[[length(out) + 1L]] <- list(routine = routines$name[i],
                                      args = rep(list(vals[[v]]), routines$arity[i]),
                                      what = paste("every argument", v))
    }
  }
  out
}

# Mutations of one valid argument value: a named list of replacements.
garbage_mutations <- function(v) {
  big <- .Machine$integer.max
  set1 <- function(v, i, x) {
    v[i] <- x
    v
  }
  out <- list(null = NULL)
  if (is.character(v)) {
    out$nonsense <- rep("zz_not_a_thing", max(1L, length(v)))
    out$na <- NA_character_
    out$empty <- character(0)
    out$integer <- 1L
  } else if (is.list(v)) {
    out$character <- "a"
    out$empty <- list()
    if (length(v)) {
      n <- length(v)
      out$drop_last <- v[-n]
      out$repeat_last <- c(v, v[n])
      out$first_null <- set1(v, 1L, list(NULL))
      out$first_character <- set1(v, 1L, list("a"))
      out$first_empty <- set1(v, 1L, list(v[[1]][0]))
      if (is.matrix(v[[1]])) {
        out$first_transposed <- set1(v, 1L, list(t(v[[1]])))
        out$first_0_rows <- set1(v, 1L, list(v[[1]][0, , drop = FALSE]))
      }
      if (is.double(v[[1]]) && length(v[[1]])) out$first_nan <- set1(v, 1L, list(set1(v[[1]], 1L, NaN)))
    }
  } else if (is.numeric(v) || is.logical(v)) {
    d <- dim(v)
    out$character <- `storage.mode<-`(v, "character")
    out$other_numeric <- suppressWarnings(`storage.mode<-`(v, if (is.double(v)) "integer" else "double"))
    out$logical <- `storage.mode<-`(v, "logical")
    out$empty <- v[0]
    out$na <- v[NA_integer_][1]
    if (length(v)) out$first_na <- set1(v, 1L, NA)
    if (is.double(v) && length(v)) {
      out$first_nan <- set1(v, 1L, NaN)
      out$first_inf <- set1(v, 1L, Inf)
      out$first_huge <- set1(v, 1L, 1e308)
      out$first_negative <- set1(v, 1L, -abs(v[1]) - 1)
      out$first_zero <- set1(v, 1L, 0)
    }
    if (is.integer(v) && length(v)) {
      out$first_huge <- set1(v, 1L, big)
      out$first_negative <- set1(v, 1L, -1L)
      out$first_zero <- set1(v, 1L, 0L)
      out$first_1e6 <- set1(v, 1L, 1000000L)
      if (length(v) > 1L) out$last_huge <- set1(v, length(v), big)
    }
    if (is.null(d) && length(v) > 1L) {
      out$drop_last <- v[-length(v)]
      out$repeat_first <- c(v, v[1])
    }
    if (length(d) == 2L) {
      out$rows_0 <- v[0, , drop = FALSE]
      out$cols_0 <- v[, 0, drop = FALSE]
      out$no_dim <- as.vector(v)
      if (d[1] != d[2]) out$transposed <- t(v)
      if (d[1] > 0) {
        out$extra_row <- rbind(v, v[1, ])
        out$drop_row <- v[-1, , drop = FALSE]
      }
      if (d[2] > 0) {
        out$extra_col <- cbind(v, v[, 1])
        out$drop_col <- v[, -1, drop = FALSE]
      }
      out$array_3d <- array(v, c(d, 1L))
    }
    if (length(d) == 3L) {
      out$no_dim <- as.vector(v)
      out$first_dim_0 <- v[0, , , drop = FALSE]
      out$last_dim_0 <- v[, , 0, drop = FALSE]
      out$matrix <- matrix(v, d[1])
    }
  } else {
    out$character <- "a"
  }
  out
}

# Every call with one argument mutated: list(routine, args, what).
garbage_mutated_calls <- function(base) {
  out <- list()
  for (b in base) {
    for (i in seq_along(b$args)) {
      muts <- garbage_mutations(b$args[[i]])
      for (m in names(muts)) {
        args <- b$args
        args[i] <- list(muts[[m]])
        out[[length(out) + 1L]] <- list(
          routine = b$routine, args = args,
          what = sprintf("arg %d (%s) %s [from %s]", i, b$labels[i], m, b$driver))
      }
    }
  }
  out
}

# Coupled mutations, which one-at-a-time mutation never reaches: for each
# size s shared by the arguments (a dimension of an array, or the length of a
# vector), every dimension or length equal to s cut to 0, and to 1, at once.
# This keeps the arguments consistent with each other and so reaches past the
# size checks (an empty training set, a single point, ...).
garbage_coupled_calls <- function(base) {
  cut <- function(v, s, to) {
    if (!is.numeric(v) && !is.logical(v) && !is.character(v)) return(v)
    d <- dim(v)
    if (is.null(d)) {
      return(if (length(v) == s && s > 1L) v[seq_len(to)] else v)
    }
    idx <- lapply(d, function(k) if (k == s) seq_len(to) else seq_len(k))
    do.call(`[`, c(list(v), idx, list(drop = FALSE)))
  }
  cut_all <- function(v, s, to) {
    if (is.list(v) && !is.data.frame(v)) return(lapply(v, cut_all, s = s, to = to))
    cut(v, s, to)
  }
  sizes_of <- function(v) {
    if (is.list(v)) return(unlist(lapply(v, sizes_of)))
    if (!is.null(dim(v))) return(dim(v))
    if (length(v) > 1L) length(v) else integer()
  }
  out <- list()
  for (b in base) {
    sizes <- sort(unique(unlist(lapply(b$args, sizes_of))))
    for (s in sizes[sizes > 1L]) {
      for (to in 0:1) {
        args <- lapply(b$args, cut_all, s = s, to = to)
        if (identical(args, b$args)) next
        out[[length(out) + 1L]] <- list(
          routine = b$routine, args = args,
          what = sprintf("every size %d cut to %d [from %s]", s, to, b$driver))
      }
    }
  }
  out
}

# The same calls with every integer scalar argument whose expression names
# threads set to `threads` (the mutation sweep then runs with threads too).
garbage_with_threads <- function(base, threads = 2L) {
  lapply(base, function(b) {
    for (i in grep("thread", b$labels)) {
      if (is.integer(b$args[[i]]) && length(b$args[[i]]) == 1L) b$args[[i]] <- as.integer(threads)
    }
    b$driver <- sprintf("%s, threads = %d", b$driver, threads)
    b
  })
}

# ------------------------------------------------------------------- runner

# An R executable for the children: R with its address space capped at
# `mem_mb` (so a mutated size that makes C reserve 32 GB fails in that child
# instead of swapping the machine), except under AddressSanitizer, whose
# shadow memory needs terabytes of address space (sanitize.sh sets
# ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=... instead).
garbage_r_binary <- function(mem_mb = 4000) {
  path <- file.path(tempdir(), sprintf("jntk-garbage-R-%d", mem_mb))
  if (!file.exists(path)) {
    asan <- grepl("asan", Sys.getenv("LD_PRELOAD"))
    writeLines(c("#!/bin/sh",
                 if (!asan) sprintf("ulimit -v %d 2>/dev/null", as.integer(mem_mb * 1024)),
                 sprintf("exec '%s' \"$@\"", file.path(R.home("bin"), "R"))), path)
    Sys.chmod(path, "0755")
  }
  path
}

# Runs the calls in a child R session, in order, restarting it after a crash
# or a hang. The child logs "start i" before and "done i status message" after
# each call to a file, so the parent knows which call killed it. Outcome per
# call: "ok" (returned), "error" (an R error: the right answer to garbage),
# "blas" (an error raised by BLAS/LAPACK's own argument check: the entry point
# did not check), "crash" (the child died), "slow" (no answer within
# `timeout` seconds, but SIGINT stopped it: a long valid computation), "hang"
# (not even SIGINT brought it back within 2 s). Returns a data frame with routine, what, outcome and
# message (the error, or the tail of the child's stderr after a crash).
garbage_run <- function(calls, timeout = 30, mem_mb = 4000) {
  child <- function(calls, first, logfile) {
    routines <- getDLLRegisteredRoutines("jntk")$.Call
    log <- function(...) cat(..., "\n", sep = "", file = logfile, append = TRUE)
    for (i in seq.int(first, length(calls))) {
      log("start\t", i, "\t", format(unclass(Sys.time()), digits = 15))
      r <- tryCatch({
        do.call(.Call, c(list(routines[[calls[[i]]$routine]]), calls[[i]]$args))
        c("ok", "")
      }, error = function(e) c("error", conditionMessage(e)),
      warning = function(w) c("error", paste("warning:", conditionMessage(w))))
      log("done\t", i, "\t", r[1], "\t", gsub("[\t\n]+", " ", r[2]))
    }
    invisible(NULL)
  }
  n <- length(calls)
  outcome <- rep("not run", n)
  message <- character(n)
  logfile <- tempfile("jntk-garbage-log-")
  errfile <- tempfile("jntk-garbage-stderr-")
  on.exit(unlink(c(logfile, errfile)), add = TRUE)
  read_log <- function() {
    if (!file.exists(logfile)) return(list(done = 0L, running = NA_integer_, since = NA_real_))
    lines <- strsplit(readLines(logfile, warn = FALSE), "\t", fixed = TRUE)
    done <- 0L
    running <- NA_integer_
    since <- NA_real_
    for (l in lines) {
      if (length(l) < 2L) next
      i <- as.integer(l[2])
      if (l[1] == "start") {
        running <- i
        since <- as.numeric(l[3])
      } else if (l[1] == "done" && length(l) >= 3L) {
        outcome[i] <<- l[3]
        message[i] <<- if (length(l) >= 4L) l[4] else ""
        done <- i
        running <- NA_integer_
      }
    }
    list(done = done, running = running, since = since)
  }
  first <- 1L
  while (first <= n) {
    unlink(c(logfile, errfile))
    session <- callr::r_session$new(callr::r_session_options(
      arch = garbage_r_binary(mem_mb), libpath = .libPaths(), stderr = errfile))
    session$run(function() invisible(loadNamespace("jntk")))
    session$call(child, list(calls, first, logfile))
    repeat {
      state <- session$poll_process(1000)
      if (state == "ready") {
        r <- session$read()
        if (!is.null(r) && is.null(r$error)) {
          read_log()
          first <- n + 1L
        } else {
          Sys.sleep(0.05) # the child's last words
          lg <- read_log()
          i <- if (is.na(lg$running)) lg$done + 1L else lg$running
          err <- if (file.exists(errfile)) readLines(errfile, warn = FALSE) else character()
          outcome[i] <- "crash"
          message[i] <- paste(c(if (!is.null(r$error)) conditionMessage(r$error),
                                utils::tail(err, 40)), collapse = "\n")
          first <- i + 1L
        }
        break
      }
      lg <- read_log()
      if (!is.na(lg$running) && unclass(Sys.time()) - lg$since > timeout) {
        # still running: a long but valid computation if Ctrl-C stops it
        session$interrupt()
        answered <- session$poll_process(2000) == "ready"
        outcome[lg$running] <- if (answered) "slow" else "hang"
        message[lg$running] <- sprintf("no answer after %g s; %s", timeout,
                                       if (answered) "returned on SIGINT within 2 s" else
                                         "did not return on SIGINT either")
        first <- lg$running + 1L
        break
      }
    }
    try(session$kill(), silent = TRUE)
  }
  blas <- outcome == "error" &
    grepl("BLAS/LAPACK routine|error code -?[0-9]+ from Lapack|illegal value", message)
  outcome[blas] <- "blas"
  data.frame(routine = vapply(calls, `[[`, "", "routine"),
             what = vapply(calls, `[[`, "", "what"), outcome = outcome, message = message,
             stringsAsFactors = FALSE)
}

# The failures of a garbage_run() result, one line each, for test messages.
garbage_failures <- function(res, outcomes = c("crash", "hang", "blas")) {
  bad <- res[res$outcome %in% outcomes, , drop = FALSE]
  if (!nrow(bad)) return("none")
  paste(sprintf("%s %s: %s\n    %s", bad$outcome, bad$routine, bad$what,
                gsub("\n", "\n    ", substr(bad$message, 1, 2000))), collapse = "\n")
}

# One valid call per routine: the first one captured.
garbage_first_calls <- function(calls) {
  calls[!duplicated(vapply(calls, `[[`, "", "routine"))]
}
