/* The vectorised erf and gelu layers of activation.c, VW lanes at a time: a
 * template included once per width (activation.c defines VW, 2, 4 or 8, and
 * compiles each width for its instruction set). Every name below gets the
 * suffix _w<VW>, so the widths live side by side in one file. The helpers
 * are always inlined and take vector arguments by pointer, so no vector
 * crosses a call ABI. Every width computes the same operations lane by lane
 * (no contraction into FMA: activation.c turns it off), so the values do not
 * depend on the width chosen. */
#define VN_(x, w) x##_w##w
#define VN2(x, w) VN_(x, w)
#define VN(x) VN2(x, VW)
#define vd VN(vd)
#define vi VN(vi)
#define vsplat VN(vsplat)
#define vany VN(vany)
#define vpoly5 VN(vpoly5)
#define vpoly6 VN(vpoly6)
#define vpoly9 VN(vpoly9)
#define vpoly14 VN(vpoly14)
#define vexp_neg VN(vexp_neg)
#define verf_small VN(verf_small)
#define verfcx VN(verfcx)
#define verf VN(verf)
#define verfc VN(verfc)
#define vec_layer VN(vec_layer)

typedef double vd __attribute__((vector_size(8 * VW)));
typedef long long vi __attribute__((vector_size(8 * VW)));

JNTK_VINLINE vd vsplat(double a) {
  vd v;
  for (int j = 0; j < VW; j++) v[j] = a;
  return v;
}
/* m ? a : b lane by lane (m: all ones or all zeros per lane) */
#define vsel(m, a, b) ((vd) (((vi) (a) & (m)) | ((vi) (b) & ~(m))))
#define vabs(x) ((vd) ((vi) (x) & ~(vi) vsplat(-0.0)))
JNTK_VINLINE int vany(const vi *m) {
  long long a = 0;
  for (int j = 0; j < VW; j++) a |= (*m)[j];
  return a != 0;
}
/* c[0] + c[1] x + ... + c[n-1] x^(n-1) by Estrin's scheme (dependency
 * chains of depth log2(n) instead of n), x2 = x^2 given; n <= 16. Written
 * for constant n so that the compiler unrolls it into registers. */
#define P2(c, i, x) (vsplat((c)[i]) + vsplat((c)[(i) + 1]) * (x))
JNTK_VINLINE vd vpoly5(const double *c, const vd *xp, const vd *x2p) {
  vd x = *xp, x2 = *x2p;
  return P2(c, 0, x) + (P2(c, 2, x) + vsplat(c[4]) * x2) * x2;
}
JNTK_VINLINE vd vpoly6(const double *c, const vd *xp, const vd *x2p) {
  vd x = *xp, x2 = *x2p;
  return P2(c, 0, x) + (P2(c, 2, x) + P2(c, 4, x) * x2) * x2;
}
JNTK_VINLINE vd vpoly9(const double *c, const vd *xp, const vd *x2p) {
  vd x = *xp, x2 = *x2p, x4 = x2 * x2;
  vd lo = P2(c, 0, x) + P2(c, 2, x) * x2, hi = P2(c, 4, x) + P2(c, 6, x) * x2;
  return lo + (hi + vsplat(c[8]) * x4) * x4;
}
JNTK_VINLINE vd vpoly14(const double *c, const vd *xp, const vd *x2p) {
  vd x = *xp, x2 = *x2p, x4 = x2 * x2, x8 = x4 * x4;
  vd a = P2(c, 0, x) + P2(c, 2, x) * x2, b = P2(c, 4, x) + P2(c, 6, x) * x2;
  vd e = P2(c, 8, x) + P2(c, 10, x) * x2, f = P2(c, 12, x);
  return (a + b * x4) + (e + f * x4) * x8;
}

/* exp(x) for x <= 0: x = k ln2 + r (Cody-Waite, |r| <= ln2/2), exp(r) by
 * its Taylor series to r^13 (remainder below 1e-17), 2^k from the exponent
 * bits; 0 below -708 (where exp(x) < 3.3e-308). */
JNTK_VINLINE vd vexp_neg(const vd *xp) {
  vd x = *xp;
  const vd shift = vsplat(0x1.8p52), lim = vsplat(-708.0);
  vi under = x < lim;
  vd xc = vsel(under, lim, x);
  vd kd = xc * vsplat(1.4426950408889634074) + shift;
  vi kb = (vi) kd;
  kd = kd - shift;
  vd r = xc - kd * vsplat(6.93147180369123816490e-01);
  r = r - kd * vsplat(1.90821492927058770002e-10);
  vd r2 = r * r, p = vpoly14(inv_fact, &r, &r2);
  vi sb = (kb - (vi) shift + 1023) << 52;
  return vsel(under, vsplat(0.0), p * (vd) sb);
}

/* erf(x) for |x| <= 0.46875 */
JNTK_VINLINE vd verf_small(const vd *xp) {
  vd x = *xp, s = x * x, s2 = s * s;
  return x * vpoly5(erf_small_num, &s, &s2) / vpoly5(erf_small_den, &s, &s2);
}

/* R(y) = exp(y^2) erfc(y) for y > 0.46875; the y > 4 rational only when a
 * lane needs it */
JNTK_VINLINE vd verfcx(const vd *yp) {
  vd y = *yp, y2 = y * y;
  vd R = vpoly9(erfcx_mid_num, &y, &y2) / vpoly9(erfcx_mid_den, &y, &y2);
  vi big = y > vsplat(4.0);
  if (vany(&big)) {
    vd s = vsplat(1.0) / y2, s2 = s * s;
    vd Rl = (vsplat(INV_SQRT_PI) - s * vpoly6(erfcx_big_num, &s, &s2) / vpoly6(erfcx_big_den, &s, &s2)) / y;
    R = vsel(big, Rl, R);
  }
  return R;
}

/* erf(x) given e = exp(-x^2) */
JNTK_VINLINE vd verf(const vd *xp, const vd *ep) {
  vd x = *xp, y = vabs(x);
  vi small = y <= vsplat(0.46875);
  vd ym = vsel(small, vsplat(1.0), y), xs = vsel(small, x, vsplat(0.0));
  vd v = vsplat(0.5) - *ep * verfcx(&ym) + vsplat(0.5);
  v = vsel(x < vsplat(0.0), -v, v);
  return vsel(small, verf_small(&xs), v);
}

/* erfc(x) given e = exp(-x^2), accurate in relative terms for x > 0 */
JNTK_VINLINE vd verfc(const vd *xp, const vd *ep) {
  vd x = *xp, y = vabs(x);
  vi small = y <= vsplat(0.46875);
  vd ym = vsel(small, vsplat(1.0), y), xs = vsel(small, x, vsplat(0.0));
  vd v = *ep * verfcx(&ym);
  v = vsel(x > vsplat(0.0), v, vsplat(2.0) - v);
  return vsel(small, vsplat(1.0) - verf_small(&xs), v);
}

/* erf and gelu layers, VW values at a time (the tail padded) */
static void vec_layer(int code, double *h, int n, const double *b, double beta, double *d1,
                      double *d2) {
  for (int i0 = 0; i0 < n; i0 += VW) {
    int m = n - i0 < VW ? n - i0 : VW;
    vd x = vsplat(0.0);
    if (m == VW) {
      for (int j = 0; j < VW; j++) x[j] = h[i0 + j] + beta * b[i0 + j];
    } else {
      for (int j = 0; j < m; j++) x[j] = h[i0 + j] + beta * b[i0 + j];
    }
    vd z, g1, g2;
    if (code == ACT_ERF) {
      vd mx2 = -(x * x), ex = vexp_neg(&mx2);
      g1 = vsplat(TWO_OVER_SQRT_PI) * ex;
      g2 = vsplat(-2.0) * x * g1;
      z = verf(&x, &ex);
    } else { /* gelu: x Phi(x), Phi(x) = erfc(-x/sqrt2)/2, one exponential */
      vd mh = vsplat(-0.5) * x * x, ex = vexp_neg(&mh), ph = vsplat(INV_SQRT_2PI) * ex;
      vd t = -x * vsplat(M_SQRT1_2), Phi = vsplat(0.5) * verfc(&t, &ex);
      z = x * Phi;
      g1 = Phi + x * ph;
      g2 = ph * (vsplat(2.0) - x * x);
    }
    for (int j = 0; j < m; j++) {
      h[i0 + j] = z[j];
      if (d1) d1[i0 + j] = g1[j];
      if (d2) d2[i0 + j] = g2[j];
    }
  }
}

#undef vsel
#undef vabs
#undef P2
#undef vsplat
#undef vany
#undef vpoly5
#undef vpoly6
#undef vpoly9
#undef vpoly14
#undef vexp_neg
#undef verf_small
#undef verfcx
#undef verf
#undef verfc
#undef vec_layer
#undef vd
#undef vi
#undef VN
#undef VN2
#undef VN_
