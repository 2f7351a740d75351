# Argument checks shared by every exported function (after vctrs' and
# rlang's `arg` convention): each takes the value and the name the user
# typed, returns the value in canonical form, or stops with a classed
# `jntk_error` that names the argument and says what to do. C entry points
# check types again (src/util.c), so a direct .Call with garbage errors too.

# One of a set of strings. `x` may be the whole default vector (the formal's
# default, as with match.arg), then the first choice is returned.
check_choice <- function(x, choices, arg, what = NULL) {
  if (identical(x, choices)) return(choices[1])
  if (!is.character(x) || length(x) != 1L || is.na(x) || !(x %in% choices)) {
    got <- if (is.character(x) && length(x) == 1L && !is.na(x)) sprintf(", not \"%s\"", x) else
      sprintf(", not %s", describe_scalar(x))
    jntk_abort(sprintf("`%s` must be %s%s%s.", arg, choice_list(choices),
                       if (is.null(what)) "" else paste0(" (", what, ")"), got),
               class = "jntk_error_argument")
  }
  x
}

# What a user gave where one value was expected, for "..., not <this>":
# one number or flag as it prints ("1", "TRUE", "NA"), several values by
# their count, anything else by describe_type().
describe_scalar <- function(x) {
  if (is.atomic(x) && !is.object(x) && length(x) == 1L && (is.na(x) || is.numeric(x) || is.logical(x))) {
    return(if (is.character(x)) "NA_character_" else format(x))
  }
  if (is.atomic(x) && !is.object(x) && is.null(dim(x)) && length(x) != 1L) {
    return(sprintf("%d %s", length(x), if (is.character(x)) "strings" else "values"))
  }
  describe_type(x)
}

# "\"a\", \"b\" or \"c\""
choice_list <- function(choices) {
  q <- paste0("\"", choices, "\"")
  if (length(q) == 1L) return(q)
  if (length(q) == 2L) return(paste(q[1], "or", q[2]))
  paste("one of", paste(q[-length(q)], collapse = ", "), "or", q[length(q)])
}

check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    jntk_abort(sprintf("`%s` must be TRUE or FALSE.", arg), class = "jntk_error_argument")
  }
  x
}

check_number <- function(x, arg, lower = -Inf, lower_open = FALSE, upper = Inf,
                         integer = FALSE, hint = NULL) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || !is.finite(x)) {
    # the hint after a semicolon, as in the range message below: hints
    # carry parentheses of their own
    jntk_abort(sprintf("`%s` must be one finite number%s.", arg,
                       if (is.null(hint)) "" else paste0("; ", hint)),
               class = "jntk_error_argument")
  }
  if (integer && x != round(x)) {
    jntk_abort(sprintf("`%s` must be a whole number, not %s.", arg, format(x)),
               class = "jntk_error_argument")
  }
  if ((lower_open && x <= lower) || (!lower_open && x < lower) || x > upper) {
    rng <- if (is.finite(upper)) {
      sprintf("between %s and %s", format(lower), format(upper))
    } else if (lower_open) {
      sprintf("> %s", format(lower))
    } else {
      sprintf(">= %s", format(lower))
    }
    jntk_abort(sprintf("`%s` must be %s, not %s%s.", arg, rng, format(x),
                       if (is.null(hint)) "" else paste0("; ", hint)),
               class = "jntk_error_argument")
  }
  if (integer && x > .Machine$integer.max) {
    jntk_abort(sprintf("`%s` = %s is larger than the largest integer R can hold (%d).", arg,
                       format(x), .Machine$integer.max), class = "jntk_error_size")
  }
  if (integer) as.integer(x) else as.double(x)
}

# Times t >= 0 of a gradient flow (Inf: the end of training); one or many.
check_times <- function(t, arg = "t", one = FALSE) {
  if (!is.numeric(t) || !length(t) || anyNA(t) || any(t < 0) || (one && length(t) != 1L)) {
    jntk_abort(sprintf("`%s` must be %s >= 0 (learning rate x steps; Inf for the end of training)%s.",
                       arg, if (one) "one time" else "a vector of times",
                       if (one) "" else ", without NA"),
               class = "jntk_error_argument")
  }
  as.double(t)
}

# Thread count; default from option jntk.threads. Requests above the cores
# the machine has are capped (said once per session and value): more threads
# than cores only slow a run down, and tens of thousands cannot be created.
check_threads <- function(threads) {
  if (!is.numeric(threads) || length(threads) != 1L || is.na(threads) ||
      threads < 1 || threads != round(threads)) {
    jntk_abort("`threads` must be one positive whole number (default `getOption(\"jntk.threads\", 1L)`).",
               class = "jntk_error_argument")
  }
  cores <- available_cores()
  if (threads > cores) {
    key <- paste0("threads_capped_", format(threads))
    if (is.null(.jntk_cache[[key]])) {
      .jntk_cache[[key]] <- TRUE
      message(structure(class = c("jntk_message_threads", "message", "condition"),
                        list(message = sprintf("jntk: `threads = %s` capped at the %d core(s) available.\n",
                                               format(threads), cores), call = NULL)))
    }
    threads <- cores
  }
  as.integer(threads)
}

available_cores <- function() {
  n <- .jntk_cache[["cores"]]
  if (is.null(n)) {
    n <- tryCatch(parallel::detectCores(logical = TRUE), error = function(e) NA_integer_)
    if (length(n) != 1L || is.na(n) || n < 1) n <- 1L
    .jntk_cache[["cores"]] <- n <- as.integer(n)
  }
  n
}

#' Default number of threads
#'
#' The default of every `threads` argument in jntk: the option `jntk.threads`,
#' which is set to 1 when the package loads unless you set it before. Set it
#' once per session, e.g. `options(jntk.threads = 2)`, instead of passing
#' `threads =` to every call; requests above the number of cores are capped.
#' Results do not depend on the number of threads.
#'
#' @return One positive whole number.
#' @seealso [nngp()], [jntk()], [sample_mlp()], [gradient_flow()] (functions
#'   that take `threads`); [jntk-package] for the package options.
#' @examples
#' default_threads()
#' old <- options(jntk.threads = 2)
#' default_threads()
#' options(old)
#' @export
default_threads <- function() {
  n <- getOption("jntk.threads", 1L)
  if (!is.numeric(n) || length(n) != 1L || is.na(n) || n < 1 || n != round(n)) {
    jntk_abort(sprintf("The option `jntk.threads` must be one positive whole number, not %s; e.g. `options(jntk.threads = 2)`.",
                       if (is.numeric(n) && length(n) == 1L) format(n) else describe_type(n)),
               class = "jntk_error_argument")
  }
  as.integer(n)
}

# Coerce user inputs to a double matrix whose rows are points.
# A numeric vector is one point; a data frame of numeric columns is accepted.
# A plain vector is the commonest slip (`x <- seq(-2, 2, len = 20)` meant as
# 20 points in R^1), so the messages say so where it shows:
# * `d` given and the vector's length is not d: the error says how to make
#   points of it;
# * `square = TRUE` (the result is the kernel of `x` with itself, so a long
#   vector gives a 1 x 1 result): a classed warning `jntk_warning_vector_point`;
# * `n` given (the number of targets) and the vector has n > 1 entries: an
#   error, since one point cannot have n targets.
as_input_matrix <- function(x, arg = "x", d = NULL, square = FALSE, n = NULL) {
  if (is.data.frame(x)) {
    ok <- vapply(x, function(col) is.numeric(col) || is.logical(col), logical(1))
    if (!all(ok)) {
      jntk_abort(sprintf(
        "`%s` is a data frame with non-numeric column(s) %s; keep only numeric columns.",
        arg, paste0("'", names(x)[!ok], "'", collapse = ", ")),
        class = "jntk_error_input")
    }
    rn <- attr(x, "row.names")
    x <- as.matrix(x)
    if (is.integer(rn)) rownames(x) <- NULL
  }
  if (is.null(dim(x))) {
    if (!is.numeric(x) && !is.logical(x)) {
      jntk_abort(sprintf("`%s` must be a numeric matrix (rows are points), not %s.",
                         arg, describe_type(x)), class = "jntk_error_input")
    }
    check_vector_point(x, arg, d = d, square = square, n = n)
    nm <- names(x)
    x <- matrix(as.double(x), nrow = 1L, dimnames = list(NULL, nm))
  }
  if (length(dim(x)) != 2L) {
    jntk_abort(sprintf("`%s` must be a matrix (rows are points), not an array with %d dimensions.",
                       arg, length(dim(x))), class = "jntk_error_input")
  }
  if (!is.numeric(x) && !is.logical(x)) {
    jntk_abort(sprintf("`%s` must be a numeric matrix (rows are points), not %s.",
                       arg, describe_type(x)), class = "jntk_error_input")
  }
  if (nrow(x) < 1L || ncol(x) < 1L) {
    jntk_abort(sprintf("`%s` has %d row(s) and %d column(s); it needs at least one point with at least one coordinate.",
                       arg, nrow(x), ncol(x)), class = "jntk_error_input")
  }
  storage.mode(x) <- "double"
  bad <- !is.finite(x)
  if (any(bad)) {
    w <- which(bad, arr.ind = TRUE)[1L, ]
    what <- if (is.na(x[w[1], w[2]]) && !is.nan(x[w[1], w[2]])) "NA" else format(x[w[1], w[2]])
    jntk_abort(sprintf(
      "`%s` has %d non-finite value(s) (first: %s at row %d, column %d); remove or impute them first.",
      arg, sum(bad), what, w[1], w[2]), class = "jntk_error_input")
  }
  if (!is.null(d) && ncol(x) != d) {
    jntk_abort(sprintf("`%s` has %d column(s) but %s; every input must have the same dimension.",
                       arg, ncol(x), d_reason(d)), class = "jntk_error_input")
  }
  x
}

# Messages for a plain vector `x` (one point) where several points were
# probably meant; see as_input_matrix(). Also callable on its own, before
# the input is coerced (e.g. with the number of targets `n`).
check_vector_point <- function(x, arg = "x", d = NULL, square = FALSE, n = NULL) {
  if (!is.null(dim(x)) || is.data.frame(x) || length(x) < 2L) return(invisible(x))
  len <- length(x)
  if (!is.null(n) && n == len) {
    jntk_abort(sprintf("`%s` is a vector of %d numbers, which is one point in R^%d, but there are %d targets; %s.",
                       arg, len, len, n, vector_point_hint(arg, len)),
               class = "jntk_error_input")
  }
  if (!is.null(d) && len != d) {
    how <- if (len %% d == 0) {
      sprintf("a vector is one point; use matrix(%s, ncol = %d, byrow = TRUE) for %d points in R^%d", arg,
              as.integer(d), len %/% as.integer(d), as.integer(d))
    } else "a vector is one point"
    if (d == 1) how <- vector_point_hint(arg, len)
    why <- attr(d, "why")
    jntk_abort(sprintf("`%s` is a vector of %d numbers, which is one point in R^%d, but points in R^%d are expected%s; %s.",
                       arg, len, len, as.integer(d), if (is.null(why)) "" else sprintf(", as for %s", why), how),
               class = "jntk_error_input")
  }
  if (square && is.null(d)) {
    jntk_warn(sprintf("`%s` is a vector of %d numbers, which is one point in R^%d, so the result is 1 x 1; %s (or matrix(%s, nrow = 1) to keep one point and silence this).",
                      arg, len, len, vector_point_hint(arg, len), arg),
              class = "jntk_warning_vector_point")
  }
  invisible(x)
}

vector_point_hint <- function(arg, len) {
  sprintf("a vector is one point; use matrix(%s, ncol = 1) for %d one-dimensional points", arg, len)
}

d_reason <- function(d) {
  why <- attr(d, "why")
  if (is.null(why)) sprintf("%d are expected", as.integer(d)) else sprintf("%s has %d", why, as.integer(d))
}

# Targets of a regression or classification: an N x k double matrix (a
# numeric vector is one output; a factor or character vector is one-hot
# encoded, one 0/1 column per level). type: "binary" (one +-1 column),
# "class" (one-hot) or "regression".
check_targets <- function(y, N, arg = "y") {
  levels <- NULL
  if (is.character(y)) y <- factor(y)
  if (is.factor(y)) {
    if (anyNA(y)) {
      jntk_abort(sprintf("`%s` has %d missing label(s); remove those training points.", arg, sum(is.na(y))),
                 class = "jntk_error_input")
    }
    y <- droplevels(y)
    levels <- levels(y)
    Y <- matrix(0, length(y), length(levels), dimnames = list(NULL, levels))
    Y[cbind(seq_along(y), as.integer(y))] <- 1
    type <- "class"
  } else {
    if (is.data.frame(y)) y <- as.matrix(y)
    if (!(is.numeric(y) || is.logical(y)) || (!is.null(dim(y)) && length(dim(y)) != 2L)) {
      jntk_abort(sprintf("`%s` must be a numeric vector, a numeric matrix (one column per output) or a factor, not %s.",
                         arg, describe_type(y)), class = "jntk_error_input")
    }
    Y <- if (is.null(dim(y))) matrix(as.double(y), ncol = 1L) else {
      storage.mode(y) <- "double"
      y
    }
    if (any(!is.finite(Y))) {
      w <- which(!is.finite(Y))[1L]
      jntk_abort(sprintf("`%s` has %d non-finite value(s) (first: %s at position %d); remove or impute them first.",
                         arg, sum(!is.finite(Y)), format(Y[w]), w), class = "jntk_error_input")
    }
    type <- if (ncol(Y) == 1L && all(Y %in% c(-1, 1))) "binary" else "regression"
  }
  if (nrow(Y) != N) {
    hint <- if (N == 1L) {
      sprintf(" If `x` is a vector: %s.", vector_point_hint("x", nrow(Y)))
    } else ""
    jntk_abort(sprintf("`%s` has %d value(s) (rows) but `x` has %d point(s); give one target per input.%s",
                       arg, nrow(Y), N, hint), class = "jntk_error_input")
  }
  if (ncol(Y) < 1L) jntk_abort(sprintf("`%s` has no columns.", arg), class = "jntk_error_input")
  list(y = Y, levels = levels, type = type, k = ncol(Y))
}

# Refuse before allocating n_doubles doubles when that exceeds the memory
# budget (option jntk.max_memory_gb, default: 80% of physical memory).
check_alloc <- function(n_doubles, what, instead) {
  gb <- n_doubles * 8 / 1e9
  lim <- max_memory_gb()
  if (!is.finite(gb) || gb > lim) {
    jntk_abort(sprintf(
      "%s would need %.3g GB of memory, more than the %.3g GB allowed (option `jntk.max_memory_gb`). %s",
      what, gb, lim, instead), class = "jntk_error_size")
  }
  invisible(gb)
}

max_memory_gb <- function() {
  lim <- getOption("jntk.max_memory_gb")
  if (is.null(lim)) return(physical_memory_gb() * 0.8)
  if (!is.numeric(lim) || length(lim) != 1L || is.na(lim) || lim <= 0) {
    jntk_abort(sprintf("The option `jntk.max_memory_gb` must be one positive number of gigabytes, not %s; e.g. `options(jntk.max_memory_gb = 8)`.",
                       if (is.numeric(lim) && length(lim) == 1L) format(lim) else describe_type(lim)),
               class = "jntk_error_argument")
  }
  as.numeric(lim)
}

physical_memory_gb <- function() {
  tot <- .jntk_cache[["memory_gb"]]
  if (!is.null(tot)) return(tot)
  tot <- tryCatch({
    mi <- readLines("/proc/meminfo", n = 1L, warn = FALSE)
    as.numeric(gsub("[^0-9]", "", mi)) * 1024 / 1e9
  }, error = function(e) NA_real_, warning = function(w) NA_real_)
  if (length(tot) != 1L || !is.finite(tot) || tot <= 0) tot <- 16
  .jntk_cache[["memory_gb"]] <- tot
  tot
}

# Say before a long computation starts how long it will take (a rough
# estimate from an operation count, `seconds`), when that is more than
# `threshold` seconds, and what to do for a quicker run. A classed message
# (`jntk_message_duration`), so it can be silenced with suppressMessages().
announce_duration <- function(seconds, what, instead, threshold = 10) {
  if (!is.finite(seconds) || seconds <= threshold) return(invisible(seconds))
  message(structure(class = c("jntk_message_duration", "message", "condition"), list(
    message = sprintf("jntk: %s will take about %s (a rough estimate for one thread; %s).\n",
                      what, format_duration(seconds), instead), call = NULL)))
  invisible(seconds)
}

format_duration <- function(seconds) {
  if (seconds < 90) return(sprintf("%.0f seconds", seconds))
  if (seconds < 5400) return(sprintf("%.0f minutes", seconds / 60))
  sprintf("%.1f hours", seconds / 3600)
}

# A dense kernel matrix given by the user (`as_kernel_matrix(K)`,
# `gradient_flow(kernel = )`, `block(x)`): numeric (or logical), two
# dimensions, at least one row and column, every entry finite; `n`: it must
# be n x n.
check_kernel_matrix <- function(K, arg, n = NULL, what = "a kernel matrix") {
  if (is.data.frame(K)) {
    jntk_abort(sprintf("`%s` must be %s, not a data frame; use `as.matrix(%s)` if every column is numeric.",
                       arg, what, arg), class = "jntk_error_input")
  }
  if (!is.matrix(K) || !(is.numeric(K) || is.logical(K))) {
    jntk_abort(sprintf("`%s` must be %s (a numeric matrix, e.g. from `ntk()`), not %s.", arg, what,
                       if (is.matrix(K)) paste("a", typeof(K), "matrix") else describe_type(K)),
               class = "jntk_error_input")
  }
  if (nrow(K) < 1L || ncol(K) < 1L) {
    jntk_abort(sprintf("`%s` is %d x %d; %s needs at least one row and one column.", arg, nrow(K), ncol(K), what),
               class = "jntk_error_input")
  }
  if (!is.null(n) && (nrow(K) != n || ncol(K) != n)) {
    jntk_abort(sprintf("`%s` is %d x %d, but %s must be %d x %d here.", arg, nrow(K), ncol(K), what, n, n),
               class = "jntk_error_input")
  }
  bad <- !is.finite(K)
  if (any(bad)) {
    w <- which(bad, arr.ind = TRUE)[1L, ]
    jntk_abort(sprintf("`%s` has %d non-finite entr%s (first: %s at row %d, column %d); %s must be finite.",
                       arg, sum(bad), if (sum(bad) == 1) "y" else "ies", format(K[w[1], w[2]]), w[1], w[2], what),
               class = "jntk_error_input")
  }
  K
}

# Two finite increasing numbers (an axis range `xlim`, an interval);
# `strict = FALSE` allows equal ends. NULL is passed through (the default).
check_range <- function(x, arg, strict = TRUE, example = "c(-2, 2)") {
  if (is.null(x)) return(x)
  if (!is.numeric(x) || is.object(x) || length(x) != 2L || any(!is.finite(x)) ||
      (strict && x[1] >= x[2]) || (!strict && x[1] > x[2])) {
    jntk_abort(sprintf("`%s` must be two finite numbers, the first %s the second (e.g. `%s`), not %s.",
                       arg, if (strict) "<" else "<=", example,
                       if (is.numeric(x) && length(x) >= 2L && length(x) <= 4L) paste0("c(", paste(format(x, trim = TRUE), collapse = ", "), ")")
                       else describe_scalar(x)),
               class = "jntk_error_argument")
  }
  as.double(x)
}

# Number of points of a drawn curve: a whole number >= 2; more than `max`
# cannot be seen and would only take time and memory, so it is refused
# before anything is computed.
check_resolution <- function(n, arg, max = 1e5) {
  n <- check_number(n, arg, lower = 2, integer = TRUE)
  if (n > max) {
    jntk_abort(sprintf("`%s = %s` points is more than a plot can show (at most %s); a few hundred draw a smooth curve.",
                       arg, format(n, big.mark = ","), format(max, big.mark = ",", scientific = FALSE)),
               class = "jntk_error_size")
  }
  n
}

# A vector of whole numbers >= lower (depths, widths), each within R's
# integers; returned as integer.
check_whole_numbers <- function(x, arg, lower = 0, distinct = FALSE, what = "whole numbers") {
  if (!is.numeric(x) || is.object(x) || !length(x) || any(!is.finite(x)) || any(x < lower) ||
      any(x != round(x)) || (distinct && anyDuplicated(x))) {
    jntk_abort(sprintf("`%s` must be %s%s >= %s (%s).", arg, if (distinct) "distinct " else "",
                       "finite whole numbers", format(lower), what),
               class = "jntk_error_argument")
  }
  if (any(x > .Machine$integer.max)) {
    jntk_abort(sprintf("`%s` has %s, larger than the largest integer R can hold (%d).", arg,
                       format(max(x)), .Machine$integer.max), class = "jntk_error_size")
  }
  as.integer(x)
}

# Where a plot's legend goes: NULL (no legend), "auto" (where it covers no
# data) or one of graphics::legend()'s keywords.
check_legend <- function(legend, arg = "legend") {
  if (is.null(legend)) return(NULL)
  check_choice(legend, c("auto", "topright", "topleft", "bottomright", "bottomleft", "top", "bottom",
                         "right", "left", "center"), arg, "or NULL for no legend")
}
