# unit_circle() ----------------------------------------------------------------

test_that("unit_circle() gives equally spaced points on [0, 2pi)", {
  x <- unit_circle(8)
  expect_equal(dim(x), c(8L, 2L))
  expect_equal(colnames(x), c("x1", "x2"))
  g <- attr(x, "angle")
  expect_equal(g, (0:7) * pi / 4)
  expect_equal(unname(x[, 1]), cos(g))
  expect_equal(unname(x[, 2]), sin(g))
  # exactly on the circle, up to rounding of cos/sin
  expect_equal(rowSums(x^2), rep(1, 8), tolerance = 1e-15)
})

test_that("unit_circle() honours range and include_end", {
  g <- attr(unit_circle(5, range = c(0, pi), include_end = TRUE), "angle")
  expect_equal(g, (0:4) * pi / 4)
  g <- attr(unit_circle(4, range = c(0, pi)), "angle")
  expect_equal(g, (0:3) * pi / 4)
  expect_equal(attr(unit_circle(1, include_end = TRUE), "angle"), 0)
  expect_equal(unname(unit_circle(1)[1, ]), c(1, 0))
})

test_that("unit_circle() refuses bad arguments", {
  expect_snapshot(error = TRUE, unit_circle(0))
  expect_snapshot(error = TRUE, unit_circle(3, range = c(1, 0)))
  expect_snapshot(error = TRUE, unit_circle(3, include_end = NA))
  expect_error(unit_circle("a"), class = "jntk_error_argument")
})

# sphere_points() --------------------------------------------------------------

test_that("sphere_points() gives unit vectors, deterministically, without touching the RNG", {
  set.seed(42)
  before <- .Random.seed
  x <- sphere_points(256, 4)
  expect_identical(.Random.seed, before)
  expect_equal(dim(x), c(256L, 4L))
  expect_equal(rowSums(x^2), rep(1, 256), tolerance = 1e-12)
  expect_identical(sphere_points(256, 4), x)
})

test_that("sphere_points() spreads the points well", {
  x <- sphere_points(256, 4)
  md <- attr(x, "min_distance")
  expect_equal(md, min(dist(x)))
  # Repulsion must beat the low-discrepancy start by far, and i.i.d. uniform
  # points (whose nearest pair is at ~0.05 for 256 points on S^3).
  start <- attr(sphere_points(256, 4, iterations = 0), "min_distance")
  expect_gt(md, 5 * start)
  expect_gt(md, 0.35)
  # no preferred direction: the mean is near the origin and the second
  # moment near I/d (loose bounds for a deterministic spread design)
  expect_lt(max(abs(colMeans(x))), 0.05)
  expect_lt(max(abs(crossprod(x) / 256 - diag(4) / 4)), 0.03)
})

test_that("sphere_points() handles small dimensions and counts", {
  x2 <- sphere_points(6, 2)
  expect_equal(unname(x2), unname(unit_circle(6)[, 1:2]), ignore_attr = TRUE)
  expect_equal(attr(x2, "min_distance"), 1, tolerance = 1e-12)
  expect_equal(as.vector(sphere_points(2, 1)), c(1, -1), ignore_attr = TRUE)
  one <- sphere_points(1, 3)
  expect_equal(sum(one^2), 1)
  expect_true(is.na(attr(one, "min_distance")))
  x3 <- sphere_points(12, 3)
  expect_equal(rowSums(x3^2), rep(1, 12), tolerance = 1e-12)
  # the optimum for 12 points on S^2 is the icosahedron, min distance 1.0515
  expect_gt(attr(x3, "min_distance"), 1.0)
})

test_that("sphere_points() stays finite in high dimension", {
  # the Riesz exponent is d - 1: weights must not overflow for close points
  x <- sphere_points(40, 500, iterations = 20)
  expect_false(anyNA(x))
  expect_equal(rowSums(x^2), rep(1, 40), tolerance = 1e-12)
  expect_gt(attr(x, "min_distance"), attr(sphere_points(40, 500, iterations = 0), "min_distance"))
})

test_that("sphere_points() refuses bad arguments", {
  expect_snapshot(error = TRUE, sphere_points(3, 1))
  expect_snapshot(error = TRUE, sphere_points(10, 0))
  expect_snapshot(error = TRUE, sphere_points(10, 3, iterations = -1))
})

# read_idx() -------------------------------------------------------------------

# Write an IDX file by hand: header, big-endian sizes, big-endian values in
# row-major order.
write_idx <- function(path, values, dims, type, gz = FALSE) {
  spec <- list(ubyte = c(0x08, 1), byte = c(0x09, 1), short = c(0x0B, 2),
               int = c(0x0C, 4), float = c(0x0D, 4), double = c(0x0E, 8))[[type]]
  con <- if (gz) gzfile(path, "wb") else file(path, "wb")
  on.exit(close(con))
  writeBin(as.raw(c(0, 0, spec[1], length(dims))), con)
  writeBin(as.integer(dims), con, size = 4, endian = "big")
  if (type %in% c("float", "double")) {
    writeBin(as.double(values), con, size = spec[2], endian = "big")
  } else {
    writeBin(as.integer(values), con, size = spec[2], endian = "big")
  }
  invisible(path)
}

# the row-major flattening of an R array
row_major <- function(a) as.vector(aperm(a, rev(seq_along(dim(a)))))

test_that("read_idx() reads every type, plain and gzip", {
  a <- array(0:23, c(2, 3, 4))
  vals <- list(ubyte = a + 200L, byte = a - 12L, short = a * 1000L - 5000L,
               int = a * 100000L - 7L, float = a / 4 - 2, double = a / 3 - pi)
  for (type in names(vals)) {
    for (gz in c(FALSE, TRUE)) {
      f <- tempfile(fileext = if (gz) ".gz" else ".idx")
      write_idx(f, row_major(vals[[type]]), dim(a), type, gz = gz)
      got <- read_idx(f)
      # floats go through single precision: exact for these quarters
      expect_identical(got, vals[[type]], info = paste(type, gz))
      expect_identical(read_idx(f, flatten = TRUE),
                       matrix(row_major(vals[[type]]), 2, 12, byrow = TRUE),
                       info = paste(type, gz))
      unlink(f)
    }
  }
})

test_that("read_idx() returns vectors for 1-d files and keeps row-major layout", {
  f <- tempfile()
  write_idx(f, c(3L, 1L, 4L, 1L, 5L), 5, "ubyte")
  expect_identical(read_idx(f), c(3L, 1L, 4L, 1L, 5L))
  # a 2 x 3 image written row by row reads back as a 2 x 3 matrix
  write_idx(f, 1:6, c(1, 2, 3), "ubyte")
  img <- read_idx(f)
  expect_identical(img[1, , ], matrix(1:6, 2, 3, byrow = TRUE))
  write_idx(f, integer(0), 0, "ubyte")
  expect_identical(read_idx(f), integer(0))
  unlink(f)
})

test_that("read_idx() reproduces the shipped data from its source (if installed)", {
  dir <- "/usr/share/datasets/fashion-mnist"
  skip_if_not(file.exists(file.path(dir, "t10k-labels-idx1-ubyte.gz")),
              "dataset-fashion-mnist is not installed")
  lab <- read_idx(file.path(dir, "t10k-labels-idx1-ubyte.gz"))
  expect_length(lab, 10000L)
  expect_identical(lab[fashion_mnist_1k$index] + 1L, as.integer(fashion_mnist_1k$labels))
  # the selection rule of data-raw/fashion_mnist_1k.R: first 100 per class
  keep <- sort(unlist(lapply(0:9, function(k) which(lab == k)[1:100])))
  expect_identical(fashion_mnist_1k$index, keep)
  skip_on_cran()
  img <- read_idx(file.path(dir, "t10k-images-idx3-ubyte.gz"))
  expect_equal(dim(img), c(10000L, 28L, 28L))
  # image i, pixel (r, c) is column 28 (r - 1) + c of the shipped matrix
  i <- fashion_mnist_1k$index[7]
  expect_identical(fashion_mnist_1k$images[7, ], as.vector(t(img[i, , ])))
  flat <- read_idx(file.path(dir, "t10k-images-idx3-ubyte.gz"), flatten = TRUE)
  expect_identical(flat[fashion_mnist_1k$index, ], fashion_mnist_1k$images)
})

test_that("read_idx() explains what is wrong with a bad file", {
  dir <- tempfile("idx")
  dir.create(dir)
  expect_snapshot(error = TRUE, read_idx(file.path(dir, "missing.idx")),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  f <- file.path(dir, "bad")
  writeBin(as.raw(c(0, 0)), f)
  expect_snapshot(error = TRUE, read_idx(f),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  writeBin(as.raw(c(1, 2, 8, 1)), f)
  expect_snapshot(error = TRUE, read_idx(f),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  writeBin(as.raw(c(0, 0, 0x0A, 1, 0, 0, 0, 1, 7)), f)
  expect_snapshot(error = TRUE, read_idx(f),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  writeBin(as.raw(c(0, 0, 8, 0)), f)
  expect_snapshot(error = TRUE, read_idx(f),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  writeBin(as.raw(c(0, 0, 8, 3, 0, 0, 0, 2)), f)
  expect_snapshot(error = TRUE, read_idx(f),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  # truncated data, in a gzip file
  g <- file.path(dir, "short.gz")
  write_idx(g, 1:5, c(2, 3), "short", gz = TRUE)
  expect_snapshot(error = TRUE, read_idx(g),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  # trailing bytes
  write_idx(f, 1:7, 6, "ubyte")
  expect_snapshot(error = TRUE, read_idx(f),
                  transform = function(x) gsub(dir, "<tmp>", x, fixed = TRUE))
  expect_snapshot(error = TRUE, read_idx(c("a", "b")))
  expect_snapshot(error = TRUE, read_idx(f, flatten = "yes"))
  unlink(dir, recursive = TRUE)
})

# fashion_mnist_1k -------------------------------------------------------------

test_that("fashion_mnist_1k is a balanced, well-formed subset", {
  d <- fashion_mnist_1k
  expect_named(d, c("images", "labels", "index"))
  expect_true(is.integer(d$images))
  expect_equal(dim(d$images), c(1000L, 784L))
  expect_true(all(d$images >= 0L & d$images <= 255L))
  expect_s3_class(d$labels, "factor")
  expect_equal(levels(d$labels), c("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"))
  expect_equal(as.vector(table(d$labels)), rep(100L, 10))
  expect_false(is.unsorted(d$index, strictly = TRUE))
  expect_true(all(d$index >= 1L & d$index <= 10000L))
  # a prefix of 512 images mixes every class
  expect_equal(nlevels(droplevels(d$labels[1:512])), 10L)
})
