/* A second-order forward-mode "jet" in the three variables of a kernel pair.
 *
 * Every layer of an MLP kernel depends on (x, x') only through the angle and
 * the two norms, so a kernel K and its Jacobian blocks need exactly eight
 * numbers per pair (math.md §3). The three variables are either
 *   polar:     w = rho = x.x'/(|x||x'|), n = |x|, m = |x'|   (the default), or
 *   cartesian: w = p = x.x',             n = |x|, m = |x'|   (for zero or
 *              vanishing norms, where the angle is undefined),
 * and a jet holds (value, K_w, K_n, K_m, K_ww, K_wn, K_wm, K_nm). They are
 * closed under arithmetic: the product and chain rules for an entry xy only
 * involve the first partials x, y and the same entry xy, so K_nn and K_mm are
 * never needed (a diagonal variance depends on n or on m alone).
 *
 * The polar variables keep the angular and radial parts apart, so that the
 * assembly of the Jacobian blocks (jacobian_kernels.c) adds terms of the size
 * of the result instead of cancelling terms of size |x|^2 F (issue 17 #6).
 *
 * Reciprocals and square roots are written with relative derivatives (f_x / f)
 * so that variances of 1e-300 do not overflow their second-order terms. */
#ifndef JNTK_JET_H
#define JNTK_JET_H

#include <math.h>

#ifndef JNTK_INLINE
#define JNTK_INLINE static inline
#endif

typedef struct {
  double v, w, n, m, ww, wn, wm, nm;
} jet;

JNTK_INLINE jet jconst(double v) {
  jet z = {v, 0, 0, 0, 0, 0, 0, 0};
  return z;
}

JNTK_INLINE jet jadd(jet f, jet g) {
  jet z = {f.v + g.v, f.w + g.w, f.n + g.n, f.m + g.m,
           f.ww + g.ww, f.wn + g.wn, f.wm + g.wm, f.nm + g.nm};
  return z;
}

JNTK_INLINE jet jsub(jet f, jet g) {
  jet z = {f.v - g.v, f.w - g.w, f.n - g.n, f.m - g.m,
           f.ww - g.ww, f.wn - g.wn, f.wm - g.wm, f.nm - g.nm};
  return z;
}

/* s * f + t */
JNTK_INLINE jet jaffine(jet f, double s, double t) {
  jet z = {s * f.v + t, s * f.w, s * f.n, s * f.m,
           s * f.ww, s * f.wn, s * f.wm, s * f.nm};
  return z;
}

JNTK_INLINE jet jmul(jet f, jet g) {
  jet z;
  z.v = f.v * g.v;
  z.w = f.w * g.v + f.v * g.w;
  z.n = f.n * g.v + f.v * g.n;
  z.m = f.m * g.v + f.v * g.m;
  z.ww = f.ww * g.v + 2.0 * f.w * g.w + f.v * g.ww;
  z.wn = f.wn * g.v + f.w * g.n + f.n * g.w + f.v * g.wn;
  z.wm = f.wm * g.v + f.w * g.m + f.m * g.w + f.v * g.wm;
  z.nm = f.nm * g.v + f.n * g.m + f.m * g.n + f.v * g.nm;
  return z;
}

/* h(f) given h(f.v) = h0, h'(f.v) = h1, h''(f.v) = h2 (chain rule). */
JNTK_INLINE jet junary(jet f, double h0, double h1, double h2) {
  jet z;
  z.v = h0;
  z.w = h1 * f.w;
  z.n = h1 * f.n;
  z.m = h1 * f.m;
  z.ww = h1 * f.ww + h2 * f.w * f.w;
  z.wn = h1 * f.wn + h2 * f.w * f.n;
  z.wm = h1 * f.wm + h2 * f.w * f.m;
  z.nm = h1 * f.nm + h2 * f.n * f.m;
  return z;
}

/* h(f, g) given the value, gradient (hf, hg) and Hessian (hff, hfg, hgg). */
JNTK_INLINE jet jbinary(jet f, jet g, double h, double hf, double hg,
                          double hff, double hfg, double hgg) {
  jet z;
  z.v = h;
  z.w = hf * f.w + hg * g.w;
  z.n = hf * f.n + hg * g.n;
  z.m = hf * f.m + hg * g.m;
#define JB2(xy, x, y)                                                          \
  z.xy = hf * f.xy + hg * g.xy + hff * f.x * f.y +                             \
         hfg * (f.x * g.y + f.y * g.x) + hgg * g.x * g.y
  JB2(ww, w, w);
  JB2(wn, w, n);
  JB2(wm, w, m);
  JB2(nm, n, m);
#undef JB2
  return z;
}

/* f^s for a jet with f.v > 0, from the relative derivatives r_x = f_x / f:
 * (f^s)_x = s f^s r_x, (f^s)_xy = s f^s (r_xy + (s - 1) r_x r_y), where
 * r_xy = f_xy / f. Nothing larger than the result's own scale is formed. */
JNTK_INLINE jet jpow(jet f, double s, double fs) {
  double i = 1.0 / f.v, rw = f.w * i, rn = f.n * i, rm = f.m * i, t = s - 1.0;
  jet z;
  z.v = fs;
  z.w = s * fs * rw;
  z.n = s * fs * rn;
  z.m = s * fs * rm;
  z.ww = s * fs * (f.ww * i + t * rw * rw);
  z.wn = s * fs * (f.wn * i + t * rw * rn);
  z.wm = s * fs * (f.wm * i + t * rw * rm);
  z.nm = s * fs * (f.nm * i + t * rn * rm);
  return z;
}

JNTK_INLINE jet jinv(jet f) { return jpow(f, -1.0, 1.0 / f.v); }

JNTK_INLINE jet jdiv(jet f, jet g) { return jmul(f, jinv(g)); }

JNTK_INLINE jet jsqrt(jet f) { return jpow(f, 0.5, sqrt(f.v)); }

/* atan2(y, x) with its exact first and second partials. */
JNTK_INLINE jet jatan2(jet y, jet x) {
  double n = x.v * x.v + y.v * y.v, n2 = n * n;
  return jbinary(y, x, atan2(y.v, x.v), x.v / n, -y.v / n,
                 -2.0 * x.v * y.v / n2, (y.v * y.v - x.v * x.v) / n2,
                 2.0 * x.v * y.v / n2);
}

/* G(a, b, c) for a function known through its partials in (a, b, c),
 * G = {g, ga, gb, gc, gcc, gac, gbc, gab}, where a depends on n only and b on
 * m only, each to first order (a_n = an, b_m = bm): g_aa and g_bb never
 * enter the kept entries. */
JNTK_INLINE jet jcompose3_pair(double an, double bm, jet c, const double *G) {
  double ga = G[1], gb = G[2], gc = G[3], gcc = G[4], gac = G[5], gbc = G[6],
         gab = G[7];
  jet z;
  z.v = G[0];
  z.w = gc * c.w;
  z.n = ga * an + gc * c.n;
  z.m = gb * bm + gc * c.m;
  z.ww = gc * c.ww + gcc * c.w * c.w;
  z.wn = gc * c.wn + gcc * c.w * c.n + gac * an * c.w;
  z.wm = gc * c.wm + gcc * c.w * c.m + gbc * bm * c.w;
  z.nm = gc * c.nm + gcc * c.n * c.m + gac * an * c.m + gbc * bm * c.n + gab * an * bm;
  return z;
}

#endif
