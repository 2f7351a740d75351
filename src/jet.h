/* A second-order forward-mode "jet" in the three variables of a kernel pair,
 * p = x.x', q = |x|^2, r = |x'|^2 (math.md §3).
 *
 * Every layer of an MLP kernel depends on (x, x') only through (p, q, r), so a
 * kernel K = F(p, q, r) and its Jacobian blocks need exactly the eight numbers
 * (F, F_p, F_q, F_r, F_pp, F_pq, F_pr, F_qr). They are closed under
 * arithmetic: the product and chain rules for an entry xy only involve the
 * first partials x, y and the same entry xy, so F_qq and F_rr never need to be
 * carried. */
#ifndef JNTK_JET_H
#define JNTK_JET_H

#include <math.h>

#ifndef JNTK_INLINE
#define JNTK_INLINE static inline
#endif

typedef struct {
  double v, p, q, r, pp, pq, pr, qr;
} jet;

JNTK_INLINE jet jconst(double v) {
  jet z = {v, 0, 0, 0, 0, 0, 0, 0};
  return z;
}

JNTK_INLINE jet jadd(jet f, jet g) {
  jet z = {f.v + g.v, f.p + g.p, f.q + g.q, f.r + g.r,
           f.pp + g.pp, f.pq + g.pq, f.pr + g.pr, f.qr + g.qr};
  return z;
}

JNTK_INLINE jet jsub(jet f, jet g) {
  jet z = {f.v - g.v, f.p - g.p, f.q - g.q, f.r - g.r,
           f.pp - g.pp, f.pq - g.pq, f.pr - g.pr, f.qr - g.qr};
  return z;
}

/* s * f + t */
JNTK_INLINE jet jaffine(jet f, double s, double t) {
  jet z = {s * f.v + t, s * f.p, s * f.q, s * f.r,
           s * f.pp, s * f.pq, s * f.pr, s * f.qr};
  return z;
}

JNTK_INLINE jet jmul(jet f, jet g) {
  jet z;
  z.v = f.v * g.v;
  z.p = f.p * g.v + f.v * g.p;
  z.q = f.q * g.v + f.v * g.q;
  z.r = f.r * g.v + f.v * g.r;
  z.pp = f.pp * g.v + 2.0 * f.p * g.p + f.v * g.pp;
  z.pq = f.pq * g.v + f.p * g.q + f.q * g.p + f.v * g.pq;
  z.pr = f.pr * g.v + f.p * g.r + f.r * g.p + f.v * g.pr;
  z.qr = f.qr * g.v + f.q * g.r + f.r * g.q + f.v * g.qr;
  return z;
}

/* h(f) given h(f.v) = h0, h'(f.v) = h1, h''(f.v) = h2 (chain rule). */
JNTK_INLINE jet junary(jet f, double h0, double h1, double h2) {
  jet z;
  z.v = h0;
  z.p = h1 * f.p;
  z.q = h1 * f.q;
  z.r = h1 * f.r;
  z.pp = h1 * f.pp + h2 * f.p * f.p;
  z.pq = h1 * f.pq + h2 * f.p * f.q;
  z.pr = h1 * f.pr + h2 * f.p * f.r;
  z.qr = h1 * f.qr + h2 * f.q * f.r;
  return z;
}

/* h(f, g) given the value, gradient (hf, hg) and Hessian (hff, hfg, hgg). */
JNTK_INLINE jet jbinary(jet f, jet g, double h, double hf, double hg,
                          double hff, double hfg, double hgg) {
  jet z;
  z.v = h;
  z.p = hf * f.p + hg * g.p;
  z.q = hf * f.q + hg * g.q;
  z.r = hf * f.r + hg * g.r;
#define JB2(xy, x, y)                                                          \
  z.xy = hf * f.xy + hg * g.xy + hff * f.x * f.y +                             \
         hfg * (f.x * g.y + f.y * g.x) + hgg * g.x * g.y
  JB2(pp, p, p);
  JB2(pq, p, q);
  JB2(pr, p, r);
  JB2(qr, q, r);
#undef JB2
  return z;
}

JNTK_INLINE jet jinv(jet f) {
  double i = 1.0 / f.v;
  return junary(f, i, -i * i, 2.0 * i * i * i);
}

JNTK_INLINE jet jdiv(jet f, jet g) { return jmul(f, jinv(g)); }

JNTK_INLINE jet jsqrt(jet f) {
  double s = sqrt(f.v);
  return junary(f, s, 0.5 / s, -0.25 / (s * f.v));
}

/* atan2(y, x) with its exact first and second partials. */
JNTK_INLINE jet jatan2(jet y, jet x) {
  double n = x.v * x.v + y.v * y.v, n2 = n * n;
  return jbinary(y, x, atan2(y.v, x.v), x.v / n, -y.v / n,
                 -2.0 * x.v * y.v / n2, (y.v * y.v - x.v * x.v) / n2,
                 2.0 * x.v * y.v / n2);
}

/* G(a, b, c) for a function known through its partials in (a, b, c):
 * G = {g, ga, gb, gc, gcc, gac, gbc, gab}. Valid for the kept entries when a
 * depends on q only and b on r only (pair kernels), and for the value and
 * first partials in general (diagonal kernels), which is all we use; so
 * g_aa and g_bb are never needed. */
JNTK_INLINE jet jcompose3(jet a, jet b, jet c, const double *G) {
  double ga = G[1], gb = G[2], gc = G[3], gcc = G[4], gac = G[5], gbc = G[6],
         gab = G[7];
  jet z;
  z.v = G[0];
  z.p = ga * a.p + gb * b.p + gc * c.p;
  z.q = ga * a.q + gb * b.q + gc * c.q;
  z.r = ga * a.r + gb * b.r + gc * c.r;
#define JC2(xy, x, y)                                                          \
  z.xy = ga * a.xy + gb * b.xy + gc * c.xy + gcc * c.x * c.y +                 \
         gac * (a.x * c.y + a.y * c.x) + gbc * (b.x * c.y + b.y * c.x) +       \
         gab * (a.x * b.y + a.y * b.x)
  JC2(pp, p, p);
  JC2(pq, p, q);
  JC2(pr, p, r);
  JC2(qr, q, r);
#undef JC2
  return z;
}

/* jcompose3 for a pair kernel, where a depends on q only and b on r only
 * and neither carries second-order entries (the diagonal recursion keeps
 * first order only): the same numbers as jcompose3 with the zero terms
 * dropped. */
JNTK_INLINE jet jcompose3_pair(double aq, double br, jet c, const double *G) {
  double ga = G[1], gb = G[2], gc = G[3], gcc = G[4], gac = G[5], gbc = G[6],
         gab = G[7];
  jet z;
  z.v = G[0];
  z.p = gc * c.p;
  z.q = ga * aq + gc * c.q;
  z.r = gb * br + gc * c.r;
  z.pp = gc * c.pp + gcc * c.p * c.p;
  z.pq = gc * c.pq + gcc * c.p * c.q + gac * aq * c.p;
  z.pr = gc * c.pr + gcc * c.p * c.r + gbc * br * c.p;
  z.qr = gc * c.qr + gcc * c.q * c.r + gac * aq * c.r + gbc * br * c.q + gab * aq * br;
  return z;
}

#endif
