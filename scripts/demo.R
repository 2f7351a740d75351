# jntk demo: analytic kernels, Monte Carlo over finite networks, and an
# infinite-width dynamics prediction; plots are written to out/.
library(jntk)
dir.create("out", showWarnings = FALSE)
set.seed(1)

cat("== 1. Analytic kernels (Jacot et al. 2018: relu, depth 3, sigma_b = 0.1) ==\n")
net <- mlp(depth = 3, activation = "relu", sigma_w = 1, sigma_b = 0.1)
print(net)
gam <- seq(0, 2 * pi, length.out = 201)
circle <- cbind(cos(gam), sin(gam))
theta <- ntk(net, c(1, 0), circle)
sigma <- nngp(net, c(1, 0), circle)
cat(sprintf("Theta(x0, x) at gamma = 0, pi/2, pi: %s\n",
            paste(format(theta[1, c(1, 51, 101)], digits = 4), collapse = ", ")))

cat("\n== 2. Jacobian kernels (Kim & Yang 2024: erf, kappa = 0.1) ==\n")
net_erf <- mlp(depth = 2, activation = "erf", sigma_w = 1.5, sigma_b = 0.1, kappa = 0.1)
x <- sphere_points(6, 3)
KJ <- jacobian_nngp(net_erf, x)
TJ <- jntk(net_erf, x, as = "structured")
print(TJ)
cat(sprintf("Jacobian NNGP: %d x %d; its f-block equals nngp(): %s\n", nrow(KJ), ncol(KJ),
            isTRUE(all.equal(KJ[1:6, 1:6], nngp(net_erf, x), check.attributes = FALSE))))

cat("\n== 3. Monte Carlo: finite networks of width 512 vs the Jacobian NNGP ==\n")
mc <- monte_carlo(net_erf, x, width = 512, n_samples = 400, kernel = "jacobian_nngp")
z <- abs(mc$estimate - KJ) / pmax(mc$std_error, 1e-12)
cat(sprintf("400 networks: max |estimate - limit| = %.2e (largest standard error %.2e); %.1f%% of entries within 3 s.e.\n",
            max(abs(mc$estimate - KJ)), max(mc$std_error), 100 * mean(z < 3)))

cat("\n== 4. Infinite-width dynamics (gradient flow, plain and Jacobian-regularised) ==\n")
net_dyn <- mlp(depth = 3, activation = "erf", sigma_w = 1, sigma_b = 0.1)
xtr <- unit_circle(4, range = c(0.3, 2 * pi + 0.3))
ytr <- c(1, -0.5, 0.8, -1)
fl0 <- gradient_flow(net_dyn, xtr, ytr, lambda = 0)
fl1 <- gradient_flow(net_dyn, xtr, ytr, lambda = 0.1)
times <- c(0, 1, 10, Inf)
p0 <- predict(fl0, circle, t = times, cov = TRUE)
p1 <- predict(fl1, circle, t = times, cov = TRUE)
tr0 <- predict(fl0, xtr, t = Inf)
cat(sprintf("t = Inf interpolates the training targets: max error %.1e\n",
            max(abs(tr0$mean[, 1] - ytr))))
cat(sprintf("at t = 10 the Jacobian-regularised mean differs from the plain one by up to %.3f\n",
            max(abs(p0$mean[, 3] - p1$mean[, 3]))))

png("out/kernels_circle.png", width = 1600, height = 800, res = 160)
op <- par(mfrow = c(1, 2), mar = c(4.2, 4.2, 2.5, 1))
nws <- lapply(1:5, function(i) sample_mlp(net, width = 500, input_dim = 2))
emp <- sapply(nws, function(nw) empirical_ntk(nw, c(1, 0), circle)[1, ])
matplot(gam, cbind(theta[1, ], sigma[1, ]), type = "l", lty = 1, lwd = 2,
        ylim = range(0, emp, theta), xaxt = "n",
        col = c("black", "firebrick"), xlab = expression(gamma),
        ylab = "kernel value", main = expression(paste("Limits along the circle, ", x[0] == (1 * "," * 0))))
axis(1, at = c(0, pi / 2, pi, 3 * pi / 2, 2 * pi),
     labels = expression(0, pi / 2, pi, 3 * pi / 2, 2 * pi))
matlines(gam, emp, lty = 1, col = adjustcolor("steelblue", 0.6))
legend("top", c("NTK limit", "NNGP limit", "empirical NTK, width 500"),
       col = c("black", "firebrick", "steelblue"), lwd = c(2, 2, 1), bty = "n")
sd_t <- function(p, k) sqrt(pmax(diag(p$cov[, , k]), 0))
yl <- range(sapply(seq_along(times), function(k) range(p1$mean[, k] + outer(sd_t(p1, k), c(-1.3, 1.3)))))
plot(gam, p1$mean[, 4], type = "n", ylim = yl,
     xlab = expression(gamma), ylab = expression(f[t](x)),
     main = expression(paste("Gradient flow, erf, ", lambda == 0.1)))
cols <- c("grey50", "darkorange", "forestgreen", "navy")
for (k in seq_along(times)) {
  s <- sd_t(p1, k)
  polygon(c(gam, rev(gam)), c(p1$mean[, k] - 1.2816 * s, rev(p1$mean[, k] + 1.2816 * s)),
          col = adjustcolor(cols[k], 0.15), border = NA)
  lines(gam, p1$mean[, k], col = cols[k], lwd = 2)
}
ang <- atan2(xtr[, 2], xtr[, 1]) %% (2 * pi)
points(ang, ytr, pch = 19)
legend("topright", c(paste0("t = ", format(times, trim = TRUE)), "training points"),
       col = c(cols, "black"), lwd = c(rep(2, 4), NA), pch = c(rep(NA, 4), 19),
       bg = "white", cex = 0.75)
par(op)
invisible(dev.off())
cat("\nwrote out/kernels_circle.png (kernels along the circle; dynamics mean with 10-90% bands)\n")
