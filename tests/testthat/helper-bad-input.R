# The user-level bad-input matrix (issue 17; issue 14 "Where a user goes
# wrong"). A table lists, for every exported function and the S3/S4 methods
# users call, one valid call and the kind of each argument; every argument is
# then given, one at a time, each bad value of the families of its kind.
# Each bad call must end in a classed `jntk_error_<family>` whose message
# names the argument -- never a base R error, a warning, a crash, a silent
# NaN/Inf or an allocation attempt. Used by test-bad-input.R; the table is
# in helper-bad-input-table.R.

# ------------------------------------------------------------- fixtures

# Small valid objects the calls of the table use (about a second to build).
bad_input_fixtures <- function() {
  env <- new.env(parent = asNamespace("jntk"))
  local(envir = env, {
    set.seed(17)
    net <- mlp(2, "erf", sigma_b = 0.1)
    relu <- mlp(2, "relu", sigma_b = 0.1)
    x <- matrix(c(0.3, -0.8, 1.1, 0.4, -0.5, 0.9, 0.2, -1.2), 4, 2)
    y <- c(0.5, -1, 1.2, -0.3)
    lab <- c(1, -1, 1, -1)
    xt <- matrix(c(0.1, 0.7, -0.6, 0.2, 0.5, -0.4), 3, 2)
    x1d <- matrix(c(-1, -0.3, 0.4, 1), ncol = 1)
    nw <- sample_mlp(net, 6, input_dim = 2)
    fit <- train_mlp(nw, x, y, steps = 3L, record_kernel = "ntk", progress = FALSE)
    fl <- gradient_flow(net, x, y, ridge = 1e-6)
    fl_lab <- gradient_flow(net, x, lab, lambda = 0.1, ridge = 1e-6)
    fp <- predict(fl, xt, t = c(1, Inf), cov = TRUE)
    S <- jntk(net, x, as = "structured")
    S_cross <- jntk(net, x, xt, as = "structured")
    v <- seq_len(dim(S)[2]) / 10
    K <- ntk(net, x)
    KJ <- jntk(net, x)
    gp <- gp_fit(net, x, y, noise = 1e-4)
    gp1 <- gp_fit(net, x1d, y, noise = 1e-4)
    gpp <- predict(gp, xt)
    mc <- monte_carlo(net, x, width = 8, n_samples = 4L)
    cv <- kernel_convergence(net, x, widths = c(4, 8), n_rep = 2L, kernel = "ntk", n_boot = 100L)
    rb <- robustness(fl_lab, x, lab, eps = c(0, 0.1), features = FALSE)
    ef <- eigenfeatures(fl_lab, xt, c(1, -1, 1), n_features = 3L)
    spec <- min_eigenvalue(net, x, depth = 1:2)
    ev <- c(3, 2, 1)
    idx <- tempfile(fileext = ".idx")
    writeBin(c(as.raw(c(0, 0, 8, 2)), packBits(intToBits(c(2L, 3L))[c(25:32, 17:24, 9:16, 1:8,
                                                                      57:64, 49:56, 41:48, 33:40)]),
               as.raw(1:6)), idx)
    garbage_file <- tempfile(fileext = ".idx")
    writeBin(as.raw(c(1, 2, 3, 4, 5, 6, 7, 8)), garbage_file)
    missing_file <- file.path(tempdir(), "no-such-file.idx")
    nets0 <- list(nw0 = sample_mlp(mlp(1, "relu"), 8, input_dim = 2))
    # a file-backed kernel for solve.big.matrix() (bigmemory is suggested)
    bm <- if (requireNamespace("bigmemory", quietly = TRUE)) bigmemory::as.big.matrix(K + diag(4)) else NULL
  })
  env
}

# ------------------------------------------------------------- families
# A family is a function(v, env) of the valid value of the argument (or NULL when
# the valid call leaves it at its default) giving the bad value, with a short
# description for the report and the snapshots. `class` is the error class
# the family must give (NULL: any jntk_error subclass); `expect = "capped"`
# means the value is accepted with a classed message instead.

bad_family <- function(desc, value, class = NULL, expect = "error") {
  list(desc = desc, value = value, class = class, expect = expect)
}

as_mat <- function(v) {
  if (is.null(v)) return(matrix(c(0.5, -0.5, 1, 2), 2, 2))
  if (is.data.frame(v)) v <- v[vapply(v, is.numeric, TRUE)]
  if (is.null(dim(v))) matrix(v, nrow = 1L) else as.matrix(v)
}

bad_families <- list(
  # inputs: rows are points
  na = bad_family("NA inside", function(v, env) { v <- as_mat(v); v[1] <- NA; v }),
  nan = bad_family("NaN inside", function(v, env) { v <- as_mat(v); v[length(v)] <- NaN; v }),
  inf = bad_family("Inf inside", function(v, env) { v <- as_mat(v); v[1] <- Inf; v }),
  character = bad_family("a character matrix", function(v, env) { v <- as_mat(v); array(format(v), dim(v)) }),
  factor = bad_family("a factor", function(v, env) factor(rep(c("a", "b"), length.out = NROW(v)))),
  list = bad_family("a list", function(v, env) as.list(as.data.frame(as_mat(v)))),
  data_frame = bad_family("a data frame with a character column", function(v, env) {
    v <- as_mat(v); data.frame(v, label = rep("a", nrow(v)), stringsAsFactors = FALSE)
  }),
  complex = bad_family("a complex matrix", function(v, env) as_mat(v) + 0i),
  zero_row = bad_family("0 rows", function(v, env) as_mat(v)[0, , drop = FALSE]),
  zero_col = bad_family("0 columns", function(v, env) as_mat(v)[, 0, drop = FALSE]),
  array = bad_family("a 3-d array", function(v, env) array(as_mat(v), c(dim(as_mat(v)), 1L))),
  mismatch = bad_family("one column too many", function(v, env) cbind(as_mat(v), 0.5)),
  null = bad_family("NULL", function(v, env) NULL),
  # targets
  short = bad_family("one value too few", function(v, env) if (is.null(dim(v))) v[-1] else v[-1, , drop = FALSE]),
  empty = bad_family("length 0", function(v, env) numeric(0)),
  na_target = bad_family("NA inside", function(v, env) { v[1] <- NA; v }),
  inf_target = bad_family("Inf inside", function(v, env) { v[1] <- Inf; v }),
  character_target = bad_family("a character vector", function(v, env) as.character(v)),
  complex_target = bad_family("a complex vector", function(v, env) v + 0i),
  list_target = bad_family("a list", function(v, env) as.list(v)),
  factor_target = bad_family("a factor", function(v, env) factor(v)),
  # one number
  na_number = bad_family("NA", function(v, env) NA_real_),
  nan_number = bad_family("NaN", function(v, env) NaN),
  inf_number = bad_family("Inf", function(v, env) Inf),
  string = bad_family("a string", function(v, env) "1"),
  factor_number = bad_family("a factor", function(v, env) factor("1")),
  logical = bad_family("TRUE", function(v, env) TRUE),
  list_number = bad_family("a list", function(v, env) list(1)),
  complex_number = bad_family("a complex number", function(v, env) 1 + 0i),
  two = bad_family("two numbers", function(v, env) c(1, 2)),
  negative = bad_family("-1", function(v, env) -1),
  zero = bad_family("0", function(v, env) 0),
  fraction = bad_family("1.5", function(v, env) 1.5),
  huge_int = bad_family("3e9 (beyond R's integers)", function(v, env) 3e9),
  # threads
  threads_zero = bad_family("0", function(v, env) 0),
  threads_na = bad_family("NA", function(v, env) NA),
  threads_fraction = bad_family("1.5", function(v, env) 1.5),
  threads_string = bad_family("\"2\"", function(v, env) "2"),
  threads_many = bad_family("1e6 (capped)", function(v, env) 1e6, expect = "capped"),
  threads_huge = bad_family("1e10 (capped)", function(v, env) 1e10, expect = "capped"),
  # TRUE/FALSE
  na_flag = bad_family("NA", function(v, env) NA),
  string_flag = bad_family("\"yes\"", function(v, env) "yes"),
  number_flag = bad_family("1", function(v, env) 1),
  two_flags = bad_family("c(TRUE, FALSE)", function(v, env) c(TRUE, FALSE)),
  # one of a set of strings
  unknown = bad_family("\"foo\"", function(v, env) "foo"),
  na_string = bad_family("NA_character_", function(v, env) NA_character_),
  number_choice = bad_family("1", function(v, env) 1),
  # times t >= 0
  negative_time = bad_family("-1", function(v, env) -1),
  na_time = bad_family("NA", function(v, env) c(1, NA)),
  string_time = bad_family("\"1\"", function(v, env) "1"),
  complex_time = bad_family("1+0i", function(v, env) 1 + 0i),
  # objects of the wrong class
  mlp_object = bad_family("an mlp()", function(v, env) jntk::mlp(1)),
  network_object = bad_family("an mlp_network", function(v, env) env$nw),
  fit_object = bad_family("an mlp_fit", function(v, env) env$fit),
  flow_object = bad_family("a gradient_flow", function(v, env) env$fl),
  gp_object = bad_family("a gp_fit", function(v, env) env$gp),
  list_object = bad_family("a plain list", function(v, env) list(depth = 2)),
  number_object = bad_family("a number", function(v, env) 3)
)

# The families each kind of argument gets.
bad_kinds <- list(
  points = c("na", "nan", "inf", "character", "factor", "list", "data_frame", "complex", "zero_row",
             "zero_col", "array", "mismatch", "null"),
  points_free = c("na", "nan", "inf", "character", "factor", "list", "data_frame", "complex", "zero_row",
                  "zero_col", "array", "null"),
  targets = c("na_target", "inf_target", "complex_target", "list_target", "data_frame", "short",
              "empty", "null"),
  labels = c("na_target", "inf_target", "complex_target", "list_target", "short", "empty"),
  number = c("na_number", "nan_number", "inf_number", "string", "factor_number", "logical",
             "list_number", "complex_number", "two", "null"),
  nonneg = c("na_number", "nan_number", "inf_number", "string", "factor_number", "logical",
             "list_number", "complex_number", "two", "negative", "null"),
  positive = c("na_number", "nan_number", "inf_number", "string", "factor_number", "logical",
               "list_number", "complex_number", "two", "negative", "zero", "null"),
  count = c("na_number", "nan_number", "inf_number", "string", "factor_number", "logical",
            "list_number", "complex_number", "two", "negative", "fraction", "huge_int", "null"),
  threads = c("threads_zero", "threads_na", "threads_fraction", "threads_string", "negative",
              "two", "threads_many", "threads_huge"),
  flag = c("na_flag", "string_flag", "number_flag", "two_flags", "null"),
  choice = c("unknown", "na_string", "number_choice"),
  times = c("negative_time", "na_time", "string_time", "complex_time", "empty", "null"),
  eps = c("negative", "na_time", "string_time", "complex_time", "inf_number", "empty"),
  mlp = c("network_object", "fit_object", "flow_object", "list_object", "number_object", "null"),
  network = c("mlp_object", "fit_object", "flow_object", "list_object", "number_object", "null"),
  fit = c("mlp_object", "network_object", "flow_object", "list_object", "number_object", "null"),
  flow = c("mlp_object", "network_object", "gp_object", "list_object", "number_object", "null"),
  gp = c("mlp_object", "network_object", "flow_object", "list_object", "number_object", "null"),
  model = c("mlp_object", "gp_object", "list_object", "number_object", "null")
)

# Report groups: what a snapshot shows one representative of.
bad_family_group <- function(family) {
  switch(family,
    na = , nan = , inf = , na_target = , inf_target = "NA/NaN/Inf in data",
    character = , factor = , character_target = , factor_target = "character or factor data",
    list = , list_target = , list_object = , list_number = "list",
    data_frame = "data frame with non-numeric columns",
    complex = , complex_target = , complex_number = , complex_time = "complex",
    zero_row = , zero_col = , empty = "0 rows or columns",
    array = , mismatch = , short = "mismatched dimensions",
    null = "NULL",
    na_number = , nan_number = , inf_number = , string = , factor_number = , logical = , two = "not one number",
    negative = , zero = , negative_time = , na_time = , string_time = "out of range",
    fraction = , huge_int = , size = "impossible sizes",
    threads_zero = , threads_na = , threads_fraction = , threads_string = , threads_many = ,
    threads_huge = "threads",
    na_flag = , string_flag = , number_flag = , two_flags = "not TRUE/FALSE",
    unknown = , na_string = , number_choice = "not one of the choices",
    mlp_object = , network_object = , fit_object = , flow_object = , gp_object = ,
    number_object = "wrong object",
    unsupported = "unsupported combination",
    family)
}

# ------------------------------------------------------------- running

# Expand the table into cases: list(row, arg, family, desc, value or expr,
# class, expect).
bad_input_cases <- function(table = bad_input_table(), env) {
  cases <- list()
  for (row in table) {
    fun <- tryCatch(get(row$fun, envir = asNamespace("jntk")), error = function(e) NULL)
    fm <- if (is.function(fun)) formals(fun) else NULL
    for (arg in names(row$args)) {
      kind <- row$args[[arg]]
      fams <- setdiff(bad_kinds[[kind]], c(row$skip[[arg]], row$left_out[[arg]]))
      default_null <- !is.null(fm) && arg %in% names(fm) && is.null(fm[[arg]])
      if (default_null || !arg %in% c(names(row$call), names(row$pos))) fams <- setdiff(fams, "null")
      valid <- bad_valid_value(row, arg, env)
      for (f in fams) {
        fam <- bad_families[[f]]
        cases[[length(cases) + 1L]] <- list(row = row, arg = arg, family = f, desc = fam$desc,
                                            value = fam$value(valid, env), class = fam$class,
                                            expect = fam$expect)
      }
    }
    for (ex in row$extra) {
      cases[[length(cases) + 1L]] <- list(row = row, arg = ex$arg, family = ex$family,
                                          desc = NULL, expr = ex$value, is_expr = TRUE, class = ex$class,
                                          expect = "error", also = ex$also, call = ex$call)
    }
  }
  cases
}

bad_valid_value <- function(row, arg, env) {
  cl <- row$call
  e <- if (arg %in% names(cl)) cl[[arg]] else if (!is.null(row$pos) && arg %in% names(row$pos)) cl[[row$pos[[arg]]]] else NULL
  if (is.null(e)) {
    # not in the valid call: mutate the fixture of the same role
    return(switch(arg, x2 = , x_test = , newdata = , dy = , limit = env$x, y_test = c(1, -1, 1),
                  kernel = env$K, NULL))
  }
  eval(e, env)
}

# The call of a case, with the bad value (or expression) in place of the
# argument, and its display (the value replaced by a <description>).
bad_case_call <- function(case, show = FALSE) {
  if (!is.null(case$call)) return(case$call)
  cl <- case$row$call
  slot <- if (!is.null(case$row$pos) && case$arg %in% names(case$row$pos)) case$row$pos[[case$arg]] else case$arg
  put <- if (isTRUE(case$is_expr)) case$expr else if (show) as.name(sprintf("<%s>", case$desc)) else case$value
  if (is.null(put)) {
    if (is.character(slot)) cl[slot] <- list(NULL) else cl[[slot]] <- NULL
  } else {
    cl[[slot]] <- put
  }
  for (nm in names(case$also)) cl[[nm]] <- case$also[[nm]]
  cl
}

bad_case_label <- function(case) {
  paste(gsub("`", "", deparse(bad_case_call(case, show = TRUE), width.cutoff = 500L)), collapse = " ")
}

# Run one case: list(ok, why, label, condition). A case passes when the call
# ends in a jntk_error subclass (the family's class when it names one) whose
# message names the argument, with no warning on the way; a "capped" case
# when it succeeds with a jntk_message_threads.
bad_input_run <- function(case, env) {
  cl <- bad_case_call(case)
  warned <- list(); said <- list()
  # a case that runs instead of refusing is stopped (and reported) after 20 s
  setTimeLimit(elapsed = 20, transient = TRUE)
  on.exit(setTimeLimit(elapsed = Inf), add = TRUE)
  sized <- identical(case$family, "size")
  if (sized) gc(reset = TRUE)
  started <- proc.time()[["elapsed"]]
  printed <- utils::capture.output(res <- tryCatch(withCallingHandlers(
    { eval(cl, env); NULL },
    warning = function(w) { warned[[length(warned) + 1L]] <<- w; invokeRestart("muffleWarning") },
    message = function(m) { said[[length(said) + 1L]] <<- m; invokeRestart("muffleMessage") }),
    error = function(e) e))
  seconds <- proc.time()[["elapsed"]] - started
  # the largest R heap since the reset (Mb)
  heap_mb <- if (sized) sum(gc()[, 6]) else NA_real_
  label <- bad_case_label(case)
  out <- function(ok, why) list(ok = ok, why = why, label = label, condition = res, case = case,
                                heap_mb = heap_mb, seconds = seconds)
  if (identical(case$expect, "capped")) {
    if (inherits(res, "error")) return(out(FALSE, paste("error:", conditionMessage(res))))
    # (the cap is said once per session and value: a repeat is silent)
    return(out(TRUE, "capped"))
  }
  if (is.null(res)) return(out(FALSE, "no error"))
  if (length(warned)) {
    return(out(FALSE, sprintf("warning before the error: %s", conditionMessage(warned[[1]]))))
  }
  if (!inherits(res, "jntk_error")) return(out(FALSE, sprintf("base R error: %s", conditionMessage(res))))
  sub <- grep("^jntk_error_", class(res), value = TRUE)
  if (!length(sub)) return(out(FALSE, "jntk_error without a family subclass"))
  if (!is.null(case$class) && !inherits(res, case$class)) {
    return(out(FALSE, sprintf("%s instead of %s: %s", sub[1], case$class, conditionMessage(res))))
  }
  if (case$family == "size" && heap_mb > bad_input_heap_limit_mb) {
    return(out(FALSE, sprintf("refused only after allocating (R heap reached %.0f Mb)", heap_mb)))
  }
  arg <- bad_arg_name(case)
  if (!is.null(arg) && !bad_names_arg(conditionMessage(res), arg)) {
    return(out(FALSE, sprintf("message does not name `%s`: %s", arg, conditionMessage(res))))
  }
  out(TRUE, "ok")
}

# Whether a message names argument `arg` as code: `arg`, `arg = ...`,
# `arg[...]` or `arg$...` (so that `x1` does not count for `x`).
bad_names_arg <- function(msg, arg) {
  pat <- paste0("`", gsub("([][{}()+*^$|\\\\.?])", "\\\\\\1", arg), "([`$ ]|\\[)")
  grepl(pat, msg)
}

# A refusal "before allocating" keeps R's heap below this (the fixtures and
# the 1e6 x 2 inputs of the size cases are about 16 Mb each).
bad_input_heap_limit_mb <- 400

# Operators and methods called positionally (`S %*% y`, `solve(S, b)`):
# their messages speak of the operand, not of an argument name.
bad_operators <- c("%*%", "structured_solve")

# The name the message must contain: the argument (the object for
# operators on structured kernels, where it has no name).
bad_arg_name <- function(case) {
  if (!is.null(case$call) || case$row$fun %in% bad_operators) return(NULL)
  case$arg
}

# ------------------------------------------------------------- results

# Every case run once per test process (about 30 s) and shared by the tests
# of test-bad-input.R. Plots go to a null device; the memory budget is fixed
# so that the size messages read the same on every machine.
bad_input_results <- local({
  cache <- NULL
  function() {
    if (!is.null(cache)) return(cache)
    old <- options(jntk.max_memory_gb = 8)
    grDevices::pdf(NULL)
    on.exit({ grDevices::dev.off(); options(old) }, add = TRUE)
    env <- bad_input_fixtures()
    cases <- bad_input_cases(env = env)
    cache <<- lapply(cases, bad_input_run, env = env)
    cache
  }
})

# Exported functions without a row, and why.
bad_input_exempt <- c(
  activations = "no arguments",
  jntk_sitrep = "no arguments",
  run_experiment = "runs a whole experiment script; its bad names and settings are snapshot in test-experiments.R",
  default_threads = "no arguments (its option is checked in test-checks.R)",
  input_jacobian = "generic: its mlp_network method has a row",
  as.matrix = "S4 generic: the jntk_structured method has a row",
  solve = "S4 generic: the jntk_structured method (structured_solve) has a row",
  Ops = "S4 group generic: `S + S` and `2 * S` are cases of the %*% row",
  Math = "S4 group generic: `exp(S)` is a case of the %*% row",
  Summary = "S4 group generic: `sum(S)` is a case of the %*% row",
  diag = "S4 generic without arguments beyond the kernel",
  t = "S4 generic without arguments beyond the kernel",
  show = "S4 generic without arguments beyond the kernel")

# One representative case per family group (an error the table expects)
# for the rows of one function group: the call, the class and the message.
bad_input_show <- function(results, group) {
  res <- Filter(function(r) identical(r$case$row$group, group) && isTRUE(r$ok) &&
                  inherits(r$condition, "jntk_error"), results)
  fam <- vapply(res, function(r) bad_family_group(r$case$family), "")
  for (g in unique(fam)) {
    r <- res[[which(fam == g)[1]]]
    cat(sprintf("# %s\n%s\n  <%s> %s\n\n", g, r$label,
                grep("^jntk_error_", class(r$condition), value = TRUE)[1],
                conditionMessage(r$condition)))
  }
  invisible(NULL)
}
