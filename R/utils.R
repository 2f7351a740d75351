# Internal helpers shared by every concept: classed errors, input coercion,
# size checks before allocation, thread counts.

# Signal an error of class c(class, "jntk_error") without the call, so that
# messages read as sentences and can be caught by class.
jntk_abort <- function(..., class = NULL, data = NULL) {
  cnd <- structure(
    class = c(class, "jntk_error", "error", "condition"),
    c(list(message = paste0(...), call = NULL), data)
  )
  stop(cnd)
}

# Coerce user inputs to a double matrix whose rows are points.
# A numeric vector is one point; a data frame of numeric columns is accepted.
as_input_matrix <- function(x, arg = "x", d = NULL) {
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

d_reason <- function(d) {
  why <- attr(d, "why")
  if (is.null(why)) sprintf("%d are expected", as.integer(d)) else sprintf("%s has %d", why, as.integer(d))
}

describe_type <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.factor(x)) return("a factor")
  if (is.character(x)) return("a character vector")
  if (is.list(x)) return("a list")
  paste("an object of class", paste0("'", class(x)[1], "'"))
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
  if (!is.null(lim)) return(as.numeric(lim))
  tot <- tryCatch({
    mi <- readLines("/proc/meminfo", n = 1L, warn = FALSE)
    as.numeric(gsub("[^0-9]", "", mi)) * 1024 / 1e9
  }, error = function(e) NA_real_, warning = function(w) NA_real_)
  if (length(tot) != 1L || !is.finite(tot) || tot <= 0) tot <- 16
  0.8 * tot
}

# Validate a thread count; default from option jntk.threads.
check_threads <- function(threads) {
  if (!is.numeric(threads) || length(threads) != 1L || is.na(threads) ||
      threads < 1 || threads != round(threads)) {
    jntk_abort("`threads` must be one positive whole number (default `getOption(\"jntk.threads\", 1L)`).",
               class = "jntk_error_argument")
  }
  as.integer(threads)
}

check_number <- function(x, arg, lower = -Inf, lower_open = FALSE, upper = Inf,
                         integer = FALSE, hint = NULL) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || !is.finite(x)) {
    jntk_abort(sprintf("`%s` must be one finite number%s.", arg,
                       if (is.null(hint)) "" else paste0(" ", hint)),
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
  if (integer) as.integer(x) else as.double(x)
}

default_threads <- function() getOption("jntk.threads", 1L)
