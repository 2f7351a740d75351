# Input data for the experiments: points on the unit circle and on spheres,
# a reader for MNIST-format IDX files, and the shipped Fashion-MNIST subset.

#' Points on the unit circle
#'
#' Returns the points \eqn{(\cos\gamma, \sin\gamma)} for `n` equally spaced
#' angles \eqn{\gamma}: the inputs of Jacot et al. (2018), Figures 1 and 2,
#' where \eqn{\Theta(x_0, x)} is drawn against \eqn{\gamma} for
#' \eqn{x_0 = (1, 0)}.
#'
#' @param n Number of points (a whole number >= 1).
#' @param range Two angles (radians): the first and last angle. By default the
#'   full circle \eqn{[0, 2\pi)}.
#' @param include_end Whether the last angle `range[2]` is one of the points.
#'   The default `FALSE` suits a full turn (the points \eqn{0} and \eqn{2\pi}
#'   coincide); use `TRUE` to draw a curve over a closed interval, e.g. over
#'   \eqn{[0, 2\pi]} for a plot against \eqn{\gamma} or \eqn{[0, \pi]}.
#' @return An `n` x 2 numeric matrix with columns `x1` and `x2` (one point per
#'   row) and an attribute `"angle"`, the vector of angles \eqn{\gamma}
#'   (attributes are dropped by subsetting, so keep `attr(x, "angle")` aside
#'   if you need it).
#' @seealso [sphere_points()] for points on higher-dimensional spheres.
#' @examples
#' x <- unit_circle(8)
#' x
#' attr(x, "angle")
#' # a closed interval, for a curve against the angle
#' g <- attr(unit_circle(5, range = c(0, pi), include_end = TRUE), "angle")
#' g / pi
#' @export
unit_circle <- function(n, range = c(0, 2 * pi), include_end = FALSE) {
  n <- check_number(n, "n", lower = 1, integer = TRUE)
  if (!is.numeric(range) || length(range) != 2L || any(!is.finite(range)) ||
      range[1] > range[2]) {
    jntk_abort("`range` must be two finite angles in radians, the first <= the second (e.g. `c(0, pi)`).",
               class = "jntk_error_argument")
  }
  if (!is.logical(include_end) || length(include_end) != 1L || is.na(include_end)) {
    jntk_abort("`include_end` must be TRUE or FALSE.", class = "jntk_error_argument")
  }
  gamma <- if (include_end) {
    if (n == 1L) range[1] else seq(range[1], range[2], length.out = n)
  } else {
    range[1] + (range[2] - range[1]) * (seq_len(n) - 1) / n
  }
  x <- cbind(x1 = cos(gamma), x2 = sin(gamma))
  attr(x, "angle") <- gamma
  x
}

#' Well-spread points on a sphere
#'
#' Returns `n` deterministic, nearly evenly spread points on the unit sphere
#' \eqn{S^{d-1} \subset R^d}, such as the 256 points in \eqn{R^4} of Kim and
#' Yang (2024, Section 5).
#'
#' @section Construction:
#' * `d = 1`: the two points \eqn{\pm 1}, alternating.
#' * `d = 2`: the equally spaced points of [unit_circle()].
#' * `d >= 3`: start from a low-discrepancy sequence (the \eqn{R_d} Kronecker
#'   sequence of Roberts (2018), \eqn{u_i = \mathrm{frac}(1/2 + i\alpha)} with
#'   \eqn{\alpha_j = \phi_d^{-j}}, \eqn{\phi_d} the unique positive root of
#'   \eqn{z^{d+1} = z + 1}), map it to Gaussian vectors with
#'   [stats::qnorm()] and normalise them onto the sphere; then run
#'   `iterations` steps of projected gradient descent on the Riesz energy
#'   \eqn{\sum_{i<j} |x_i - x_j|^{-(d-1)}}, each point moving along the
#'   tangential part of its repulsive force, with a step that shrinks
#'   geometrically, renormalised after every step.
#'
#' No random numbers are drawn: the result depends only on `n`, `d` and
#' `iterations`, and the user's random number stream (`.Random.seed`) is left
#' untouched. The cost is \eqn{O(n^2 d)} per iteration (256 points in
#' \eqn{R^4}: well under a second; 2,000 points: about half a minute).
#'
#' @param n Number of points (a whole number >= 1; at most 2 when `d = 1`).
#' @param d Dimension of the ambient space (a whole number >= 1).
#' @param iterations Number of repulsion steps for `d >= 3` (0 keeps the
#'   low-discrepancy start).
#' @return An `n` x `d` numeric matrix with unit-norm rows. Attribute
#'   `"min_distance"` is the smallest distance between two of the points.
#' @references Kim and Yang (2024), An Infinite-Width Analysis on the
#'   Jacobian-Regularised Training of a Neural Network, ICML.
#'   Roberts (2018), The unreasonable effectiveness of quasirandom sequences,
#'   <https://extremelearning.com.au/unreasonable-effectiveness-of-quasirandom-sequences/>.
#' @seealso [unit_circle()].
#' @examples
#' x <- sphere_points(256, 4)
#' dim(x)
#' range(rowSums(x^2))
#' attr(x, "min_distance")
#' @export
sphere_points <- function(n, d, iterations = 200L) {
  n <- check_number(n, "n", lower = 1, integer = TRUE)
  d <- check_number(d, "d", lower = 1, integer = TRUE)
  iterations <- check_number(iterations, "iterations", lower = 0, integer = TRUE)
  if (d == 1L) {
    if (n > 2L) {
      jntk_abort(sprintf("The sphere S^0 in R^1 has only 2 points, so `n` = %d is impossible; use `d` >= 2.", n),
                 class = "jntk_error_argument")
    }
    x <- matrix(c(1, -1)[seq_len(n)], ncol = 1L)
  } else if (d == 2L) {
    x <- unit_circle(n)
    attr(x, "angle") <- NULL
    dimnames(x) <- NULL
  } else {
    check_alloc(2 * as.double(n) * n, sprintf("Spreading `n` = %s points", format(n, big.mark = ",")), "Use fewer points.")
    x <- kronecker_sphere(n, d)
    if (n > 1L && iterations > 0L) x <- riesz_repulsion(x, iterations)
  }
  attr(x, "min_distance") <- if (n > 1L) min(stats::dist(x)) else NA_real_
  x
}

# R_d low-discrepancy sequence (Roberts 2018) mapped to the sphere through the
# Gaussian quantile function (a rotation-invariant density, so normalising
# gives nearly uniform points).
kronecker_sphere <- function(n, d) {
  phi <- 2
  for (k in 1:60) phi <- (1 + phi)^(1 / (d + 1))
  alpha <- phi^-(1:d)
  u <- (0.5 + outer(seq_len(n), alpha)) %% 1
  g <- stats::qnorm(u)
  g / sqrt(rowSums(g^2))
}

# Projected gradient descent on the Riesz s-energy, s = d - 1.
riesz_repulsion <- function(x, iterations) {
  n <- nrow(x)
  d <- ncol(x)
  s <- d - 1
  # initial step: a fraction of the typical nearest-neighbour spacing
  step0 <- 0.5 * (4 / n)^(1 / (d - 1))
  for (it in seq_len(iterations)) {
    g <- tcrossprod(x)
    r2 <- pmax(2 - 2 * g, 1e-12)
    diag(r2) <- Inf
    # weights |x_i - x_j|^-(s+2), scaled by their maximum in log space so that
    # large s (high dimension) neither overflows nor underflows; the common
    # scale cancels in the normalised step below
    logw <- -(s + 2) / 2 * log(r2)
    w <- exp(logw - max(logw))
    # force on point i: sum_j w_ij (x_i - x_j)
    f <- x * rowSums(w) - w %*% x
    # keep only the tangential part
    f <- f - x * rowSums(f * x)
    fn <- sqrt(rowSums(f^2))
    scale <- max(fn)
    if (!is.finite(scale) || scale == 0) break
    step <- step0 * 0.98^(it - 1)
    x <- x + step * f / scale
    x <- x / sqrt(rowSums(x^2))
  }
  x
}

#' Read an IDX file (MNIST format)
#'
#' Reads the IDX format of the MNIST and Fashion-MNIST files
#' (`train-images-idx3-ubyte` and friends), plain or gzip-compressed.
#'
#' The format: two zero bytes, a type byte (`0x08` unsigned byte, `0x09` signed
#' byte, `0x0B` 16-bit integer, `0x0C` 32-bit integer, `0x0D` 32-bit float,
#' `0x0E` 64-bit double), a byte with the number of dimensions \eqn{k}, then
#' \eqn{k} big-endian 32-bit sizes, then the values, big-endian, in row-major
#' order (the last index varies fastest).
#'
#' @param file Path to an IDX file; gzip-compressed files (`.gz`) are detected
#'   from their content and decompressed on the fly.
#' @param flatten For files with two or more dimensions: if `TRUE`, return a
#'   matrix with one row per item of the first dimension and the remaining
#'   dimensions flattened in row-major order (so a 28 x 28 image becomes 784
#'   values, row by row: the usual MNIST layout). If `FALSE` (the default),
#'   return an array of the file's dimensions.
#' @return A vector (one dimension), matrix or array holding the file's values:
#'   integer for the integer types, double for the floating-point types. The
#'   array's element `[i, j, k]` is the file's element \eqn{(i, j, k)} (for
#'   images: item, pixel row, pixel column).
#' @references LeCun, Cortes and Burges (1998), The MNIST database of
#'   handwritten digits (the IDX format is described on its web page).
#' @seealso [fashion_mnist_1k], which was read with this function.
#' @examples
#' # write a small IDX file of two 2 x 3 unsigned-byte "images" and read it back
#' f <- tempfile(fileext = ".idx")
#' con <- file(f, "wb")
#' writeBin(as.raw(c(0, 0, 0x08, 3)), con)
#' writeBin(c(2L, 2L, 3L), con, size = 4, endian = "big")
#' writeBin(as.raw(1:12), con)
#' close(con)
#' read_idx(f)
#' read_idx(f, flatten = TRUE)
#' unlink(f)
#' @export
read_idx <- function(file, flatten = FALSE) {
  if (!is.character(file) || length(file) != 1L || is.na(file)) {
    jntk_abort("`file` must be one path to an IDX file.", class = "jntk_error_argument")
  }
  if (!is.logical(flatten) || length(flatten) != 1L || is.na(flatten)) {
    jntk_abort("`flatten` must be TRUE or FALSE.", class = "jntk_error_argument")
  }
  if (!file.exists(file) || dir.exists(file)) {
    jntk_abort(sprintf("`file` '%s' does not exist; check the path.", file),
               class = "jntk_error_idx")
  }
  # gzfile() reads plain files unchanged and decompresses gzip ones
  con <- gzfile(file, "rb")
  on.exit(close(con), add = TRUE)
  magic <- readBin(con, "raw", n = 4L)
  if (length(magic) < 4L) {
    jntk_abort(sprintf("`file` '%s' is not an IDX file: it has %d byte(s), fewer than the 4-byte header.",
                       file, length(magic)), class = "jntk_error_idx")
  }
  if (magic[1] != as.raw(0) || magic[2] != as.raw(0)) {
    jntk_abort(sprintf("`file` '%s' is not an IDX file: its first two bytes are %s %s, not 00 00.",
                       file, format(magic[1]), format(magic[2])), class = "jntk_error_idx")
  }
  types <- list(
    "08" = list(what = "integer", size = 1L, signed = FALSE, name = "unsigned byte"),
    "09" = list(what = "integer", size = 1L, signed = TRUE, name = "signed byte"),
    "0b" = list(what = "integer", size = 2L, signed = TRUE, name = "16-bit integer"),
    "0c" = list(what = "integer", size = 4L, signed = TRUE, name = "32-bit integer"),
    "0d" = list(what = "double", size = 4L, signed = TRUE, name = "32-bit float"),
    "0e" = list(what = "double", size = 8L, signed = TRUE, name = "64-bit double")
  )
  code <- format(magic[3])
  type <- types[[code]]
  if (is.null(type)) {
    jntk_abort(sprintf("'%s' has IDX type code 0x%s, which is not one of 08, 09, 0B, 0C, 0D, 0E; the file is damaged or not an IDX file.",
                       file, toupper(code)), class = "jntk_error_idx")
  }
  k <- as.integer(magic[4])
  if (k < 1L) {
    jntk_abort(sprintf("'%s' declares 0 dimensions; an IDX file needs at least one.", file),
               class = "jntk_error_idx")
  }
  dims <- readBin(con, "integer", n = k, size = 4L, endian = "big")
  if (length(dims) < k) {
    jntk_abort(sprintf("'%s' is truncated: its header declares %d dimensions but holds %d size(s).",
                       file, k, length(dims)), class = "jntk_error_idx")
  }
  if (any(dims < 0L)) {
    jntk_abort(sprintf("'%s' declares a negative size (%s); the file is damaged.",
                       file, paste(dims, collapse = " x ")), class = "jntk_error_idx")
  }
  total <- prod(as.double(dims))
  check_alloc(total, sprintf("Reading '%s' (%s values)", file, format(total, big.mark = ",")),
              "Read a smaller file.")
  values <- if (type$size == 1L || type$what == "integer") {
    readBin(con, "integer", n = total, size = type$size, signed = type$signed, endian = "big")
  } else {
    readBin(con, "double", n = total, size = type$size, endian = "big")
  }
  if (length(values) < total) {
    jntk_abort(sprintf("'%s' is truncated: its header declares %s values (%s, %s) but it holds %s.",
                       file, format(total, big.mark = ","), paste(dims, collapse = " x "),
                       type$name, format(length(values), big.mark = ",")),
               class = "jntk_error_idx")
  }
  if (length(readBin(con, "raw", n = 1L)) > 0L) {
    jntk_abort(sprintf("'%s' has data beyond the %s values its header declares (%s); the file is damaged or the header wrong.",
                       file, format(total, big.mark = ","), paste(dims, collapse = " x ")),
               class = "jntk_error_idx")
  }
  if (type$what == "double") storage.mode(values) <- "double"
  if (k == 1L) return(values)
  if (flatten) {
    return(matrix(values, nrow = dims[1], ncol = prod(dims[-1]), byrow = TRUE))
  }
  # row-major file order -> R's column-major array with the same indexing
  arr <- array(values, dim = rev(dims))
  aperm(arr, k:1)
}

#' 1,000 Fashion-MNIST images
#'
#' A class-balanced subset of the Fashion-MNIST test set: the first 100 images
#' of each of the 10 classes, in their test-set order, as 28 x 28 grey levels.
#' Used in the vignettes to reproduce Jacot et al. (2018), Figure 3 (who used
#' MNIST) without a download.
#'
#' @format A list with three components:
#' \describe{
#'   \item{`images`}{a 1000 x 784 integer matrix of grey levels 0 (background)
#'     to 255; each row is one image, its 28 x 28 pixels row by row (pixel
#'     `(r, c)` is column `28 * (r - 1) + c`). Divide by 255 for inputs in
#'     \[0, 1\].}
#'   \item{`labels`}{a factor of length 1000 with the 10 classes `"T-shirt/top"`,
#'     `"Trouser"`, `"Pullover"`, `"Dress"`, `"Coat"`, `"Sandal"`, `"Shirt"`,
#'     `"Sneaker"`, `"Bag"`, `"Ankle boot"` (labels 0 to 9 of the original),
#'     100 images each.}
#'   \item{`index`}{the 1-based position of each image in the original
#'     10,000-image test set (`t10k-images-idx3-ubyte`).}
#' }
#' @source Zalando Research, Fashion-MNIST,
#'   <https://github.com/zalandoresearch/fashion-mnist>, MIT licence,
#'   Copyright (c) 2017 Zalando SE (licence text in
#'   `system.file("COPYRIGHTS", package = "jntk")`); read from the files
#'   of the Debian package `dataset-fashion-mnist` with [read_idx()] by
#'   `data-raw/fashion_mnist_1k.R` in the package sources.
#' @references Xiao, Rasul and Vollgraf (2017), Fashion-MNIST: a Novel Image
#'   Dataset for Benchmarking Machine Learning Algorithms, arXiv:1708.07747.
#' @examples
#' dim(fashion_mnist_1k$images)
#' table(fashion_mnist_1k$labels)
#' # show the first image
#' img <- matrix(fashion_mnist_1k$images[1, ], 28, 28, byrow = TRUE)
#' image(t(img[28:1, ]), col = grey.colors(256, 1, 0), axes = FALSE,
#'       main = fashion_mnist_1k$labels[1])
"fashion_mnist_1k"
