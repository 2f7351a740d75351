# Every plot is drawn to a null device; the tests check what the functions
# return (the numbers behind the figure) and their errors.

# One null device for the whole file, closed at the end.
grDevices::pdf(NULL)
plots_device <- grDevices::dev.cur()

# plot_spectrum() --------------------------------------------------------------

test_that("plot_kernel_circle() draws the limit and the sampled networks", {
  set.seed(3)
  net <- mlp(3, "relu", sigma_w = 1, sigma_b = 0.1)
  res <- plot_kernel_circle(net, widths = c(16, 64), n_init = 2, n_points = 9)
  expect_equal(res$angle, seq(0, 2 * pi, length.out = 9))
  # the limit equals ntk() at x0 = (1, 0) ...
  expect_equal(res$limit, as.vector(ntk(net, matrix(c(1, 0), 1), unit_circle(9, include_end = TRUE))))
  # ... and the sanity values of the mathematical notes at gamma = 0 and pi
  expect_equal(res$limit[c(1, 5)], c(0.2825, 0.0644), tolerance = 1e-3)
  expect_equal(nrow(res$empirical), 4L)
  expect_equal(res$empirical$width, c(16, 16, 64, 64))
  expect_equal(unique(res$empirical$group), "t = 0")
  expect_true(all(lengths(res$empirical$kernel) == 9L))
  # reproducible under set.seed()
  set.seed(3)
  res2 <- plot_kernel_circle(net, widths = c(16, 64), n_init = 2, n_points = 9)
  expect_identical(res2$empirical$kernel, res$empirical$kernel)
})

test_that("plot_kernel_circle() draws given groups of networks and the NNGP", {
  set.seed(4)
  net <- mlp(2, "erf", sigma_b = 0.1)
  a <- lapply(1:2, function(i) sample_mlp(net, 32, input_dim = 2))
  b <- lapply(1:2, function(i) sample_mlp(net, 8, input_dim = 2))
  res <- plot_kernel_circle(net, networks = list(first = a, second = b), n_points = 7,
                            kernel = "nngp", legend = "bottomleft", main = "custom")
  expect_equal(res$empirical$group, c("first", "first", "second", "second"))
  expect_equal(res$empirical$width, c(32, 32, 8, 8))
  circle <- unit_circle(7, include_end = TRUE)
  x0 <- matrix(c(1, 0), 1)
  expect_equal(res$limit, as.vector(nngp(net, x0, circle)))
  expect_equal(res$empirical$kernel[[3]], as.vector(empirical_nngp(b[[1]], x0, circle)))
  # a flat list of networks is one group
  res1 <- plot_kernel_circle(net, networks = a, n_points = 5, legend = NULL)
  expect_equal(nrow(res1$empirical), 2L)
})

test_that("plot_kernel_circle() refuses bad arguments", {
  net <- mlp(1, "relu")
  expect_snapshot(error = TRUE, plot_kernel_circle(net, kernel = "jntk"))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, widths = c(10, 0.5)))
  expect_snapshot(error = TRUE, plot_kernel_circle(mlp(1, "relu", input_dim = 3)))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, networks = list(a = 1)))
  set.seed(1)
  nw3 <- sample_mlp(net, 4, input_dim = 3)
  expect_snapshot(error = TRUE, plot_kernel_circle(net, networks = list(a = list(nw3))))
  # sizes are refused before a network is drawn or an angle computed
  expect_snapshot(error = TRUE, plot_kernel_circle(net, widths = c(10, Inf)))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, widths = 3e9))
  old <- options(jntk.max_memory_gb = 1)
  on.exit(options(old), add = TRUE)
  expect_snapshot(error = TRUE, plot_kernel_circle(mlp(3, "relu"), widths = c(10, 1e5)))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, n_points = 1e9))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, widths = 4, legend = "middle"))
  expect_snapshot(error = TRUE, plot_kernel_circle(net, networks = list(a = list(nw3$weights))))
})

# legend placement (plot_panel) ------------------------------------------------

# Data samples inside the legend box drawn at `pos` (current plot window).
covered <- function(pos, leg, x, y) {
  r <- do.call(graphics::legend, c(list(x = pos), leg, list(plot = FALSE)))$rect
  sum(x >= r$left & x <= r$left + r$w & y >= r$top - r$h & y <= r$top)
}

test_that("plot_panel() puts the legend in a free corner when there is one", {
  x <- seq(0, 1, length.out = 50)
  y <- 1 - x                                  # a line from top left to bottom right
  leg <- list(legend = c("a long legend entry", "b"), lty = 1, col = 1:2)
  draw <- jntk:::plot_panel(list(x = x, y = y, type = "n", xlim = c(0, 1), ylim = c(0, 1)),
                            list(), jntk:::occupied(x, y), leg)
  pos <- draw()
  expect_identical(pos, "topright")           # the first candidate, free of data
  expect_identical(graphics::par("usr")[3:4], c(-0.04, 1.04))  # range kept
  expect_equal(covered(pos, c(leg, inset = 0.02, cex = 0.85), x, y), 0)
})

test_that("plot_panel() grows the y range when the data leave no corner free", {
  x <- seq(0, 1, length.out = 200)
  lo <- rep(0, 200)
  hi <- rep(1, 200)                           # a band filling the whole panel
  leg <- list(legend = c("first", "second", "third"), lty = 1, col = 1:3)
  draw <- jntk:::plot_panel(list(x = x, y = hi, type = "n", xlim = c(0, 1), ylim = c(0, 1)),
                            list(), jntk:::occupied(x, lo, hi, type = "band"), leg)
  pos <- draw()
  expect_true(pos %in% c("topright", "topleft", "top"))
  expect_gt(graphics::par("usr")[4], 1.04)
  # the legend box lies above the band
  r <- do.call(graphics::legend, c(list(x = pos), leg, list(inset = 0.02, cex = 0.85, plot = FALSE)))$rect
  expect_gt(r$top - r$h, 1)
})

test_that("plot_panel() keeps a ylim given by the user and covers the least data", {
  x <- seq(0, 1, length.out = 200)
  leg <- list(legend = "entry", lty = 1)
  draw <- jntk:::plot_panel(list(x = x, y = x, type = "n", xlim = c(0, 1), ylim = c(0, 1)),
                            list(ylim = c(0, 1)),
                            jntk:::occupied(x, rep(0, 200), rep(1, 200), type = "band"), leg)
  draw()
  expect_identical(graphics::par("usr")[3:4], c(-0.04, 1.04))
  x <- 10^seq(0, 4, length.out = 100)
  # log axes: the panel works in log10 units (a falling line leaves the top right free)
  draw <- jntk:::plot_panel(list(x = x, y = rev(x), type = "n", log = "xy", xlim = range(x), ylim = range(x)),
                            list(), jntk:::occupied(x, rev(x)), leg)
  expect_identical(draw(), "topright")
})

test_that("axis limits given through `...` are checked, positive on a log axis", {
  defaults <- list(x = c(1, 10), y = c(1, 100), type = "n", log = "y", xlim = c(1, 10), ylim = c(1, 100))
  expect_identical(jntk:::check_panel_limits(list(xlim = c(0L, 5L), main = "m"), defaults),
                   list(xlim = c(0, 5), main = "m"))
  expect_identical(jntk:::check_panel_limits(list(ylim = c(0.5, 50)), defaults), list(ylim = c(0.5, 50)))
  # the user's own log = is the one that counts
  expect_identical(jntk:::check_panel_limits(list(ylim = c(-1, 1), log = ""), defaults),
                   list(ylim = c(-1, 1), log = ""))
  expect_snapshot(error = TRUE, jntk:::check_panel_limits(list(ylim = c(0, 100)), defaults))
  expect_snapshot(error = TRUE, jntk:::check_panel_limits(list(xlim = c(10, 1)), defaults))
  expect_snapshot(error = TRUE, jntk:::check_panel_limits(list(xlim = "a"), defaults))
})

test_that("angle axes are labelled in multiples of pi", {
  labs <- vapply(jntk:::angle_labels(-1:4), function(e) paste(deparse(e), collapse = ""), "")
  expect_identical(labs, c("-pi/2", "0", "pi/2", "pi", "3 * pi/2", "2 * pi"))
})

# plot.gradient_flow() ---------------------------------------------------------

test_that("plot.gradient_flow() draws along the angle of unit-circle inputs and compares flows", {
  net <- mlp(2, "erf", sigma_b = 0.1)
  xc <- unit_circle(4, range = c(0.3, 2 * pi + 0.3))
  y <- c(1, -0.5, 0.8, -1)
  fl0 <- gradient_flow(net, xc, y)
  fl1 <- gradient_flow(net, xc, y, lambda = 0.1)
  circle <- unit_circle(30, include_end = TRUE)
  p <- plot(fl1, circle, t = c(0, 10, Inf), compare = fl0)
  # drawn in the order of the angle, which is what unit_circle() gives
  expect_equal(p$x, circle, ignore_attr = TRUE)
  expect_equal(p$mean, predict(fl1, circle, t = c(0, 10, Inf))$mean)
  # the x axis is the angle: from 0 to 2 pi
  expect_equal(graphics::par("usr")[1:2], c(0, 2 * pi) + c(-1, 1) * 0.04 * 2 * pi)
  # a shuffled circle is drawn by angle as well
  o <- c(5, 2, 30, 1, 17)
  pts <- circle[o, ]
  attr(pts, "angle") <- attr(circle, "angle")[o]
  p2 <- plot(fl0, pts, over = "angle", t = 1, legend = NULL)
  expect_equal(p2$x, circle[sort(o), ], ignore_attr = TRUE)
  # several times against time, with a comparison and a fixed legend position
  p3 <- plot(fl1, xc[1:2, ], over = "t", t = c(0.1, 1, 10), compare = list(plain = fl0), legend = "bottomleft")
  expect_equal(dim(p3$mean), c(2L, 3L))
})

test_that("plot.gradient_flow() explains what it cannot draw", {
  net <- mlp(1, "erf")
  fl1d <- gradient_flow(net, matrix(c(-1, 0, 1), ncol = 1), c(1, 0, 1))
  fl2d <- gradient_flow(net, unit_circle(3), c(1, 0, 1))
  expect_snapshot(error = TRUE, plot(fl1d, over = "angle"))
  expect_snapshot(error = TRUE, plot(fl2d, over = "x"))
  expect_snapshot(error = TRUE, plot(fl2d, compare = fl1d))
  expect_snapshot(error = TRUE, plot(fl2d, compare = "plain"))
  expect_snapshot(error = TRUE, plot(fl2d, t = c(1, NA)))
  expect_snapshot(error = TRUE, plot(fl2d, t = c(0, Inf), over = "t"))
  expect_snapshot(error = TRUE, plot(fl2d, max_inputs = 0))
  expect_snapshot(error = TRUE, plot(fl2d, legend = "middle"))
  expect_snapshot(error = TRUE, plot(fl1d, over = "angle", t = "1"))
})

# durations -------------------------------------------------------------------

test_that("plot_kernel_circle() says before a long run how long it will take", {
  net <- mlp(3, "relu", sigma_b = 0.1)
  # the default widths: ten networks of width 10,000 (about 6 minutes)
  expect_snapshot(jntk:::announce_circle_duration(net, c(500, 10000), 10, 100))
  expect_message(jntk:::announce_circle_duration(net, 10000, 10, 100), class = "jntk_message_duration")
  # the estimate grows like depth * width^2 * points
  s1 <- suppressMessages(jntk:::announce_circle_duration(net, 4000, 1, 100))
  s2 <- suppressMessages(jntk:::announce_circle_duration(net, 8000, 1, 100))
  expect_equal(s2 / s1, 4, tolerance = 1e-3)
  set.seed(1)
  expect_no_message(plot_kernel_circle(net, widths = 8, n_init = 1, n_points = 5))
})

test_that("durations are formatted in seconds, minutes or hours", {
  expect_identical(jntk:::format_duration(30), "30 seconds")
  expect_identical(jntk:::format_duration(420), "7 minutes")
  expect_identical(jntk:::format_duration(7200), "2.0 hours")
  expect_no_message(jntk:::announce_duration(5, "A quick thing", "nothing to do"))
})

grDevices::dev.off(plots_device)
