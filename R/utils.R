# Internal helpers shared by every concept: classed conditions and small
# formatting helpers. Argument checks are in R/checks.R.

# Signal an error of class c(class, "jntk_error") without the call, so that
# messages read as sentences and can be caught by class.
jntk_abort <- function(..., class = NULL, data = NULL) {
  cnd <- structure(
    class = c(class, "jntk_error", "error", "condition"),
    c(list(message = paste0(...), call = NULL), data)
  )
  stop(cnd)
}

# A warning of class c(class, "jntk_warning").
jntk_warn <- function(..., class = NULL, data = NULL) {
  cnd <- structure(
    class = c(class, "jntk_warning", "warning", "condition"),
    c(list(message = paste0(...), call = NULL), data)
  )
  warning(cnd)
}

describe_type <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.factor(x)) return("a factor")
  if (is.data.frame(x)) return("a data frame")
  # jntk's own objects (lists underneath) by their class: "an mlp_network"
  own <- c(mlp = "an architecture from `mlp()`", mlp_network = "a finite network (`mlp_network`)",
           mlp_fit = "a trained network (`mlp_fit`)", gradient_flow = "a `gradient_flow`",
           gp_fit = "a `gp_fit`")
  if (is.object(x) && any(class(x) %in% names(own))) return(own[[intersect(class(x), names(own))[1]]])
  shape <- if (is.matrix(x)) "matrix" else if (is.array(x)) "array" else "vector"
  if (is.character(x)) return(paste("a character", shape))
  if (is.complex(x)) return(paste("a complex", shape))
  if (is.list(x)) return("a list")
  paste("an object of class", paste0("'", class(x)[1], "'"))
}

`%||%` <- function(a, b) if (is.null(a)) b else a

format_bytes <- function(b) {
  u <- c("B", "kB", "MB", "GB", "TB")
  k <- max(0, min(4, floor(log(max(b, 1), 1000))))
  sprintf("%.3g %s", b / 1000^k, u[k + 1])
}
