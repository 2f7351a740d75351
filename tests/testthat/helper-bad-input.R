# The user-level bad-input matrix (issue 17; issue 14 "Where a user goes
# wrong"). A table lists, for every exported function and the S3/S4 methods
# users call, one valid call and the kind of each argument; every argument is
# then given, one at a time, each bad value of the families of its kind.
# Each bad call must end in a classed `jntk_error_<family>` whose message
# names the argument -- never a base R error, a warning, a crash, a silent
# NaN/Inf or an allocation attempt. Used by test-bad-input.R.

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

# ------------------------------------------------------------- the table

# One row: `group` (for snapshots), `call` (a valid call with named
# arguments, evaluated in the fixtures; `pos` maps argument names to positions
# for primitives such as `[`), `args` (argument -> kind), `skip` (argument ->
# families that are valid for it), `left_out` (argument -> families that fail
# in a file another engineer is rewriting; not run, and test-bad-input.R
# fails while any row has one, so that none is merged),
# `extra` (further cases: list(arg, family, value expression, class)), `fun`
# (the function whose formals say which arguments default to NULL, so that
# NULL is not bad for them).
bad_row <- function(group, call, args = character(0), skip = list(), extra = list(),
                    fun = NULL, pos = NULL, left_out = list()) {
  fun <- fun %||% as.character(call[[1]])
  list(group = group, call = call, args = args, skip = skip, extra = extra, fun = fun, pos = pos,
       left_out = left_out)
}

bad_extra <- function(arg, family, value = NULL, class = NULL, ..., call = NULL) {
  list(arg = arg, family = family, value = value, class = class, also = list(...), call = call)
}

`%||%` <- function(a, b) if (is.null(a)) b else a

bad_input_table <- function() {
  size <- "jntk_error_size"
  # (a row that needs a suggested package is NULL without it)
  Filter(Negate(is.null), list(
    # ----------------------------------------------------------- kernels
    bad_row("kernels", quote(nngp(net = net, x1 = x)),
            c(net = "mlp", x1 = "points_free", x2 = "points", threads = "threads", block_size = "count"),
            extra = list(bad_extra("x1", "size", quote(matrix(0.5, 1e6, 2)), size),
                         bad_extra("block_size", "size", quote(1e9)),
                         bad_extra("file", "string", quote(1)),
                         bad_extra("file", "two", quote(c("a.bin", "b.bin"))),
                         bad_extra("file", "na_string", quote(NA_character_))),
            skip = list(x1 = "null")),
    bad_row("kernels", quote(ntk(net = net, x1 = x, x2 = xt)),
            c(net = "mlp", x1 = "points_free", x2 = "points", threads = "threads", block_size = "count"),
            extra = list(bad_extra("x2", "size", quote(matrix(0.5, 1e6, 2)), size,
                                   x1 = quote(matrix(0.5, 1e5, 2))),
                         bad_extra("file", "string", quote(1)),
                         bad_extra("file", "two", quote(c("a.bin", "b.bin")))),
            skip = list(x2 = "null")),
    bad_row("kernels", quote(kernels(net = net, x1 = x)),
            c(net = "mlp", x1 = "points_free", x2 = "points", jacobian = "flag", threads = "threads",
              block_size = "count"),
            extra = list(bad_extra("file", "string", quote(1)),
                         bad_extra("file", "short", quote("k.bin")))),
    bad_row("kernels", quote(kernels(net = net, x1 = x, jacobian = TRUE)), c(as = "choice")),
    bad_row("kernels", quote(jacobian_nngp(net = net, x1 = x)),
            c(net = "mlp", x1 = "points_free", x2 = "points", as = "choice", threads = "threads"),
            extra = list(bad_extra("x1", "size", quote(matrix(0.5, 1e5, 10)), size),
                         bad_extra("file", "string", quote(1)))),
    bad_row("kernels", quote(jntk(net = net, x1 = x)),
            c(net = "mlp", x1 = "points_free", x2 = "points", as = "choice", threads = "threads",
              block_size = "count"),
            extra = list(bad_extra("net", "unsupported", quote(relu), "jntk_error_unsupported"),
                         bad_extra("x1", "size", quote(matrix(0.5, 1e5, 10)), size),
                         bad_extra("file", "string", quote(1)))),
    bad_row("kernels", quote(jacobian_nngp(net = net, x1 = x, block_size = 2)),
            c(block_size = "count")),
    bad_row("kernels", quote(kernlab_kernel(net = net)), c(net = "mlp", kernel = "choice")),
    bad_row("kernels", quote(as_kernel_matrix(K = K)),
            c(K = "points_free", center = "flag"),
            extra = list(bad_extra("center", "mismatch", quote(TRUE), K = quote(K[, 1:2])))),
    # ------------------------------------------------------ architecture
    bad_row("architecture", quote(mlp(depth = 2)),
            c(depth = "count", activation = "choice", sigma_w = "positive", sigma_b = "nonneg",
              kappa = "positive", slope = "number", quadrature_degree = "count", input_dim = "count",
              quadrature_tol = "positive", parametrisation = "choice", widths = "count"),
            # (two widths are the widths of the two hidden layers)
            skip = list(widths = "two"),
            extra = list(bad_extra("depth", "size", quote(3e9), size),
                         bad_extra("depth", "two", quote(c(512, 512))),
                         bad_extra("quadrature_tol", "size", quote(1e-20), "jntk_error_argument"),
                         bad_extra("widths", "mismatch", quote(c(4, 4, 4))),
                         bad_extra("dphi", "number_object", quote(3), activation = quote(function(z) tanh(z))),
                         bad_extra("d2phi", "string", quote("d2"), activation = quote(function(z) tanh(z)),
                                   dphi = quote(function(z) 1 - tanh(z)^2)))),
    # an architecture has no data to predict from, and no finite weights
    bad_row("architecture", quote(predict(object = net, x)), fun = "predict.mlp",
            extra = list(bad_extra("object", "unsupported", class = "jntk_error_argument",
                                   call = quote(predict(net, x))),
                         bad_extra("object", "unsupported", class = "jntk_error_argument",
                                   call = quote(input_jacobian(net, x))))),
    bad_row("architecture", quote(summary(object = net)),
            c(width = "count", input_dim = "count"), fun = "summary.mlp"),
    bad_row("architecture", quote(plot(x = net)),
            c(kernel = "choice", n_points = "count", legend = "choice"), fun = "plot.mlp",
            skip = list(legend = "null"),
            extra = list(bad_extra("n_points", "size", quote(1e9), size),
                         # axis limits through `...` (every panel plot: plot_panel())
                         bad_extra("xlim", "string", quote("a")),
                         bad_extra("ylim", "mismatch", quote(c(1, 0))))),
    # ---------------------------------------------------------- networks
    bad_row("networks", quote(sample_mlp(net = net, width = 6, input_dim = 2)),
            c(net = "mlp", width = "count", input_dim = "count"),
            skip = list(width = "two"),
            extra = list(bad_extra("width", "size", quote(1e9), size),
                         bad_extra("width", "size", quote(c(1e5, 1e5)), size),
                         bad_extra("width", "two", quote(c(3, 4, 5))))),
    bad_row("networks", quote(mlp_network(net = net, weights = nw$weights, biases = nw$biases)),
            c(net = "mlp"),
            extra = list(bad_extra("weights", "list", quote(list(1, 2, 3))),
                         bad_extra("weights", "null", quote(NULL)),
                         bad_extra("weights", "na", quote(lapply(nw$weights, function(W) { W[1] <- NA; W }))),
                         bad_extra("weights", "mismatch", quote(rev(nw$weights))),
                         bad_extra("biases", "short", quote(nw$biases[-1])),
                         bad_extra("biases", "character", quote(lapply(nw$biases, as.character))))),
    bad_row("networks", quote(predict(object = nw, x = x)),
            c(x = "points", threads = "threads"), fun = "predict.mlp_network"),
    bad_row("networks", quote(input_jacobian(object = nw, x = x)),
            c(object = "network", x = "points", threads = "threads"), fun = "input_jacobian.mlp_network",
            skip = list(object = "null")),
    bad_row("networks", quote(empirical_ntk(object = nw, x1 = x)),
            c(object = "network", x1 = "points", x2 = "points", threads = "threads", block_size = "count"),
            extra = list(bad_extra("x1", "size", quote(matrix(0.5, 1e6, 2)), size),
                         bad_extra("file", "string", quote(1)))),
    bad_row("networks", quote(empirical_jntk(object = nw, x1 = x)),
            c(object = "network", x1 = "points", x2 = "points", threads = "threads", block_size = "count"),
            extra = list(bad_extra("file", "string", quote(1)))),
    bad_row("networks", quote(empirical_nngp(object = nw, x1 = x)),
            c(object = "network", x1 = "points", x2 = "points", jacobian = "flag", threads = "threads",
              block_size = "count"),
            extra = list(bad_extra("file", "string", quote(1)))),
    # ---------------------------------------------------------- training
    bad_row("training", quote(train_mlp(network = nw, x = x, y = y, steps = 2L, progress = FALSE)),
            c(network = "network", x = "points", y = "targets", lambda = "nonneg", lr = "positive",
              steps = "count", x_test = "points", record_every = "count", record_kernel = "choice",
              threads = "threads", progress = "flag"),
            extra = list(bad_extra("steps", "size", quote(1e9), size),
                         bad_extra("y", "character_target", quote(c("a", "b", "a", "b"))),
                         bad_extra("y", "factor_target", quote(factor(c("a", "b", "a", "b")))))),
    bad_row("training", quote(training_gradient(network = nw, x = x, y = y)),
            c(network = "network", x = "points", y = "targets", lambda = "nonneg", threads = "threads")),
    bad_row("training", quote(kernel_drift(fit = fit)), c(fit = "fit", block = "choice"),
            extra = list(bad_extra("block", "unsupported", quote("jj"), "jntk_error_argument"))),
    bad_row("training", quote(predict(object = fit, newdata = xt)),
            c(newdata = "points", jacobian = "flag", threads = "threads"), fun = "predict.mlp_fit"),
    bad_row("training", quote(as.data.frame(x = fit)), c(what = "choice"), fun = "as.data.frame.mlp_fit"),
    bad_row("training", quote(plot(x = fit)),
            c(which = "choice", xaxis = "choice"), fun = "plot.mlp_fit",
            extra = list(bad_extra("which", "unsupported", quote("outputs"), "jntk_error_argument"))),
    # ---------------------------------------------------------- dynamics
    bad_row("dynamics", quote(gradient_flow(net = net, x = x, y = y)),
            c(net = "mlp", x = "points_free", y = "targets", lambda = "nonneg", ridge = "nonneg",
              solver = "choice", kernel = "points_free", tol = "positive", threads = "threads"),
            extra = list(bad_extra("x", "size", quote(matrix(0.5, 1e6, 2)), size, y = quote(rep(0.5, 1e6))),
                         bad_extra("kernel", "mismatch", quote(diag(3))),
                         bad_extra("y", "character_target", quote(c("a", "b", NA, "a"))),
                         bad_extra("tol", "size", quote(0.5), "jntk_error_argument"),
                         # a vector of 4 numbers is one point, but there are 4 targets
                         bad_extra("x", "mismatch", quote(c(0.3, -0.8, 1.1, 0.4)), "jntk_error_input")),
            skip = list(kernel = c("zero_row", "zero_col", "list"))),
    bad_row("dynamics", quote(predict(object = fl, newdata = xt, t = 1)),
            c(object = "flow", newdata = "points", t = "times", cov = "flag", jacobian = "flag",
              init = "network", lr = "positive", threads = "threads"),
            fun = "predict.gradient_flow",
            # predict() dispatches on `object`: only an mlp() has no method of its own
            skip = list(object = c("null", "network_object", "gp_object", "list_object", "number_object"),
                        init = "network_object"),
            extra = list(bad_extra("newdata", "size", quote(matrix(0.5, 1e6, 2)), size, cov = TRUE),
                         bad_extra("lr", "size", quote(1e6), "jntk_error_argument"),
                         bad_extra("lr", "fraction", quote(0.3)),
                         bad_extra("init", "unsupported", quote(sample_mlp(relu, 5, 2)), "jntk_error_argument"))),
    bad_row("dynamics", quote(plot(x = fl, t = c(0, 1))),
            c(newdata = "points", t = "times", over = "choice", output = "count",
              max_inputs = "count", compare = "flow", legend = "choice"), fun = "plot.gradient_flow",
            skip = list(compare = c("flow_object", "null"), legend = "null"),
            extra = list(bad_extra("output", "size", quote(2), "jntk_error_argument"),
                         # the flow's inputs are in R^2: no x axis to draw against
                         bad_extra("over", "unsupported", quote("x"), "jntk_error_argument"),
                         # a log time axis needs a positive finite time
                         bad_extra("t", "unsupported", quote(c(0, Inf)), "jntk_error_argument", over = "t"),
                         bad_extra("ylim", "na_number", quote(c(NA, 1))),
                         # the time axis is logarithmic
                         bad_extra("xlim", "negative", quote(c(-1, 10)), over = "t"))),
    bad_row("dynamics", quote(eigenfeatures(object = fl_lab, x_test = xt, y_test = c(1, -1, 1))),
            c(object = "flow", x_test = "points", y_test = "labels", n_features = "count", eps = "nonneg",
              t = "times", threads = "threads"),
            extra = list(bad_extra("n_features", "size", quote(1e6), "jntk_error_argument"))),
    bad_row("dynamics", quote(robustness(model = fl_lab, x = x, y = lab, eps = c(0, 0.1), features = FALSE)),
            c(model = "model", x = "points", y = "labels", eps = "eps", attack = "choice", t = "times",
              steps = "count", step_size = "positive", features = "flag", threads = "threads"),
            skip = list(features = "null"),
            extra = list(bad_extra("y", "factor_target", quote(factor(c("a", "b", "c", "a")))),
                         bad_extra("t", "two", quote(c(1, 2))),
                         bad_extra("gradient", "number_object", quote(3)),
                         bad_extra("gradient", "string", quote("grad"), model = quote(function(x) x[, 1])))),
    bad_row("dynamics", quote(plot(x = rb)), fun = "plot.jntk_robustness",
            extra = list(bad_extra("xlim", "string", quote("a")),
                         bad_extra("xlim", "na_number", quote(c(NA, 1))),
                         bad_extra("ylim", "mismatch", quote(c(1, 0))))),
    bad_row("dynamics", quote(print(x = ef)), c(n = "count"), fun = "print.jntk_eigenfeatures"),
    bad_row("dynamics", quote(plot(x = ef)), c(which = "choice"), fun = "plot.jntk_eigenfeatures",
            extra = list(bad_extra("ylim", "negative", quote(c(0, 1))))),
    # ---------------------------------------------------------------- gp
    bad_row("gp", quote(gp_fit(net = net, x = x, y = y, noise = 1e-4)),
            c(net = "mlp", x = "points_free", y = "targets", dy = "points", noise = "nonneg",
              dy_noise = "nonneg", kernel = "choice", solver = "choice", threads = "threads"),
            skip = list(dy = c("factor", "array")),   # an N x d x 1 array is one output's gradients
            extra = list(bad_extra("x", "size", quote(matrix(0.5, 1e6, 2)), size, y = quote(rep(0.5, 1e6))),
                         bad_extra("dy", "unsupported", quote(x), "jntk_error_unsupported", net = quote(relu),
                                   kernel = "ntk"))),
    bad_row("gp", quote(predict(object = gp, newdata = xt)),
            c(newdata = "points", cov = "flag", jacobian = "flag", threads = "threads"),
            fun = "predict.gp_fit", skip = list(newdata = "null"),
            extra = list(bad_extra("newdata", "size", quote(matrix(0.5, 1e6, 2)), size, cov = TRUE))),
    bad_row("gp", quote(plot(x = gp1)), c(output = "count", n = "count"), fun = "plot.gp_fit",
            extra = list(bad_extra("xlim", "string", quote("a")),
                         bad_extra("xlim", "na_number", quote(c(NA, 1))),
                         bad_extra("n", "size", quote(1e9), size))),
    bad_row("gp", quote(gp_optimise(gp = gp, par = "kappa", starts = 1L)),
            c(gp = "gp", par = "choice", depth = "count", starts = "count", tol = "positive",
              threads = "threads"),
            skip = list(depth = "two"),
            extra = list(bad_extra("lower", "string", quote(c(kappa = "a"))),
                         bad_extra("upper", "negative", quote(c(kappa = -1))),
                         bad_extra("control", "string", quote("fast")))),
    bad_row("gp", quote(anova(object = gp, gp)), c(object = "gp"), fun = "anova.gp_fit",
            skip = list(object = c("null", "number_object", "list_object", "mlp_object",
                                   "network_object", "flow_object"))),
    # -------------------------------------------------------- montecarlo
    bad_row("montecarlo", quote(monte_carlo(net = net, x = x, width = 8, n_samples = 4L)),
            c(net = "mlp", x = "points_free", width = "count", n_samples = "count", kernel = "choice",
              running = "flag", threads = "threads"),
            skip = list(running = "number_flag", width = "two"),
            extra = list(bad_extra("width", "size", quote(1e9), size),
                         bad_extra("x", "size", quote(matrix(0.5, 1e5, 2)), size))),
    bad_row("montecarlo", quote(kernel_convergence(net = net, x = x, widths = c(4, 8), n_rep = 2L, kernel = "ntk")),
            c(net = "mlp", x = "points_free", widths = "count", n_rep = "count", kernel = "choice",
              nngp_method = "choice", n_samples = "count", n_boot = "count", threads = "threads"),
            skip = list(widths = "two"),
            extra = list(bad_extra("widths", "size", quote(c(4, 1e9)), size))),
    bad_row("montecarlo", quote(summary(object = mc, limit = nngp(net, x))), c(limit = "points"),
            fun = "summary.jntk_monte_carlo", skip = list(limit = "null")),
    bad_row("montecarlo", quote(as.data.frame(x = cv)), c(what = "choice"), fun = "as.data.frame.jntk_convergence"),
    bad_row("montecarlo", quote(plot(x = cv)),
            c(add = "flag", reference = "flag", repetitions = "flag", legend = "choice"),
            fun = "plot.jntk_convergence",
            skip = list(legend = c("null")),
            extra = list(bad_extra("col", "two", quote(c("red", "blue"))),
                         bad_extra("label", "two", quote(c("a", "b"))),
                         bad_extra("xlim", "negative", quote(c(0, 100))))),
    # ---------------------------------------------------------- spectrum
    bad_row("spectrum", quote(min_eigenvalue(net = net, x = x)),
            c(net = "mlp", x = "points_free", kernel = "choice", depth = "count", method = "choice",
              tol = "positive", threads = "threads"),
            skip = list(depth = "two"),
            extra = list(bad_extra("method", "size", quote("dense"), size, x = quote(matrix(0.5, 3e4, 2))),
                         bad_extra("x", "size", quote(matrix(0.5, 1e6, 2)), size),
                         bad_extra("net", "unsupported", quote(relu), "jntk_error_unsupported",
                                   kernel = "jntk"))),
    # (`n_max = Inf`, the default, draws every eigenvalue; a list is several
    # spectra)
    bad_row("spectrum", quote(plot_spectrum(x = ev)),
            c(x = "points_free", normalise = "flag", n_max = "count", log = "choice", legend = "choice"),
            skip = list(x = c("list", "zero_col", "factor"), n_max = "inf_number", legend = "null"),
            extra = list(bad_extra("x", "unsupported", quote(c(-1, -2)), "jntk_error_argument"),
                         bad_extra("x", "unsupported", quote(list(a = c(-1, 0), b = -2)), "jntk_error_argument"),
                         bad_extra("x", "mismatch", quote(matrix(1:6, 2))),
                         bad_extra("x", "array", quote(list(a = ev, b = array(ev, c(1, 3, 1))))),
                         bad_extra("ylim", "negative", quote(c(-1, 3))))),
    # (a data frame with a further character column is valid: other columns
    # are ignored)
    bad_row("spectrum", quote(plot_min_eigenvalue(data = spec)),
            c(data = "points_free", floor = "positive", legend = "choice"),
            skip = list(data = "data_frame", legend = "null"),
            extra = list(bad_extra("data", "na", quote(transform(spec, min_eigenvalue = NA))),
                         bad_extra("data", "inf", quote(transform(spec, upper = Inf))),
                         bad_extra("data", "character", quote(transform(spec, depth = as.character(depth)))),
                         bad_extra("data", "unknown", quote(transform(spec, status = "fine"))),
                         bad_extra("data", "na", quote(transform(spec[c("depth", "min_eigenvalue")], tolerance = NA))),
                         bad_extra("data", "zero_row", quote(spec[0, ])),
                         bad_extra("data", "mismatch", quote(spec[c("depth", "lower")])),
                         bad_extra("ylim", "negative", quote(c(0, 1))),
                         bad_extra("xlim", "string", quote(c("1", "2"))))),
    # -------------------------------------------------------- structured
    bad_row("structured", quote(`%*%`(x = S, y = v)),
            c(y = "points_free"), fun = "%*%",
            extra = list(bad_extra("y", "mismatch", quote(v[-1])),
                         bad_extra("y", "unsupported", class = "jntk_error_unsupported", call = quote(S %*% S)),
                         bad_extra("S", "unsupported", class = "jntk_error_unsupported", call = quote(S + S)),
                         bad_extra("S", "unsupported", class = "jntk_error_unsupported", call = quote(2 * S)),
                         bad_extra("S", "unsupported", class = "jntk_error_unsupported", call = quote(exp(S))),
                         bad_extra("S", "unsupported", class = "jntk_error_unsupported", call = quote(sum(S))))),
    bad_row("structured", quote(S[1:2, 1:3]), c(i = "times", j = "times"), fun = "[",
            pos = c(i = 3L, j = 4L),
            skip = list(i = c("null", "empty", "negative_time"), j = c("null", "empty", "negative_time")),
            extra = list(bad_extra("i", "mismatch", quote(1:1000)),
                         bad_extra("j", "unknown", quote("f(99)")))),
    bad_row("structured", quote(block(x = S, which = "jj")),
            c(x = "points_free", which = "choice"), skip = list(x = "null"),
            extra = list(bad_extra("x", "data_frame", quote(as.data.frame(KJ))))),
    bad_row("structured", quote(block(x = unname(KJ), which = "jj", n1 = 4, n2 = 4)),
            c(n1 = "count", n2 = "count"),
            extra = list(bad_extra("n1", "mismatch", quote(3)))),
    bad_row("structured", quote(solve(a = S, b = v, ridge = 1e-6, verbose = FALSE)),
            c(b = "points_free", ridge = "nonneg", tol = "positive", maxit = "count",
              preconditioner = "choice", verbose = "flag"), fun = "structured_solve",
            extra = list(bad_extra("b", "mismatch", quote(v[-1])),
                         bad_extra("a", "unsupported", quote(S_cross), "jntk_error_unsupported"))),
    bad_row("structured", quote(as.matrix(x = S)), c(threads = "threads"), fun = "as.matrix.jntk_structured"),
    if (requireNamespace("bigmemory", quietly = TRUE)) {
      bad_row("structured", quote(solve(a = bm, b = y, verbose = FALSE)),
              c(b = "points_free", ridge = "nonneg", tol = "positive", maxit = "count",
                preconditioner = "choice", verbose = "flag"), fun = "solve.big.matrix",
              extra = list(bad_extra("b", "mismatch", quote(y[-1]))))
    },
    # -------------------------------------------------------------- data
    bad_row("data", quote(unit_circle(n = 8)),
            c(n = "count", range = "points_free", include_end = "flag"),
            skip = list(range = c("list", "data_frame", "character", "array", "zero_col", "null")),
            extra = list(bad_extra("n", "size", quote(1e10), size),
                         bad_extra("range", "string", quote(c("0", "pi"))),
                         bad_extra("range", "mismatch", quote(c(1, 2, 3))))),
    bad_row("data", quote(sphere_points(n = 6, d = 3)),
            c(n = "count", d = "count", iterations = "count"),
            extra = list(bad_extra("n", "size", quote(1e6), size),
                         bad_extra("n", "unsupported", quote(5), "jntk_error_argument", d = 1))),
    bad_row("data", quote(read_idx(file = idx)), c(file = "choice", flatten = "flag"),
            skip = list(file = "unknown"),
            extra = list(bad_extra("file", "unknown", quote(missing_file), "jntk_error_idx"),
                         bad_extra("file", "unsupported", quote(garbage_file), "jntk_error_idx"))),
    # ------------------------------------------------------------- plots
    bad_row("plots", quote(plot_kernel_circle(net = net, widths = 4, n_init = 1L, n_points = 5L)),
            c(net = "mlp", widths = "count", n_init = "count", kernel = "choice", n_points = "count",
              networks = "network", legend = "choice"),
            skip = list(networks = "null", widths = "two", legend = "null"),
            extra = list(bad_extra("widths", "size", quote(1e9), size),
                         bad_extra("widths", "size", quote(c(4, 1e6)), size),
                         bad_extra("n_points", "size", quote(1e9), size),
                         bad_extra("networks", "list_object", quote(list(a = list(list(1))))),
                         bad_extra("networks", "number_object", quote(list(a = list(nets0$nw0, 3)))),
                         bad_extra("networks", "empty", quote(list(a = list()))),
                         bad_extra("networks", "mismatch",
                                   quote(list(a = list(sample_mlp(mlp(1, "relu"), 4, input_dim = 3))))),
                         bad_extra("ylim", "inf_number", quote(c(0, Inf)))))
  ))
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
