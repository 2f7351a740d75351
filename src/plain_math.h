/* Branchless arithmetic shared by the vectorised row loops of plain.c and
 * plain_jet.c: the function multi-versioning attribute, an arcsine of an
 * argument and its cosine (no data-dependent branch), the series of
 * sin t - t cos t, and the kinked family's angle code and the phases of its
 * update (plain.c's kink_rows_t()). Include after the file's optimisation
 * pragmas (they apply to the functions defined here). */
#ifndef JNTK_PLAIN_MATH_H
#define JNTK_PLAIN_MATH_H

#include <float.h>
#include "jntk.h"
#include "dual.h"

/* Function multi-versioning: AVX2 and AVX-512 clones of the row loops,
 * chosen at load time by the CPU (GCC >= 8 on x86-64 Linux with glibc's ifunc). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8 && defined(__x86_64__) && \
  defined(__linux__) && defined(__GLIBC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define PLAIN_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#define PLAIN_HAS_CLONES 1
#endif
#endif
#ifndef PLAIN_CLONES
#define PLAIN_CLONES
#endif

#define PIO2 1.57079632679489661923
#define PIO4_HI 7.85398163397448278999e-01
#define PIO4_LO 3.06161699786838301793e-17
#define SQRT1_2 0.70710678118654752440

/* asin(x) for x in [0, 0.7072] given u = sqrt(1 - x^2) (>= x up to rounding):
 * fdlibm's rational form for |v| <= 1/2, and pi/4 + asin((x - u)/sqrt 2)
 * above, where (x - u)/sqrt 2 is in [-0.26, 0]. */
JNTK_INLINE double asin_small(double x, double u) {
  int hi = x > 0.5;
  double v = hi ? (x - u) * SQRT1_2 : x, z = v * v;
  double p = z * (1.66666666666666657415e-01 +
                  z * (-3.25565818622400915405e-01 +
                       z * (2.01212532134862925881e-01 +
                            z * (-4.00555345006794114027e-02 +
                                 z * (7.91534994289814532176e-04 +
                                      z * 3.47933107596021167570e-05)))));
  double q = 1.0 + z * (-2.40339491173441421878e+00 +
                        z * (2.02094576023350569471e+00 +
                             z * (-6.88283971605453293030e-01 + z * 7.70381505559019352791e-02)));
  double r = v + v * (p / q);
  return hi ? PIO4_HI + (r + PIO4_LO) : r;
}

/* asin(t) for t in [0, 1] given u = sqrt(1 - t^2), both accurate. */
JNTK_INLINE double asin_pair(double t, double u) {
  int big = t > u;
  double as = asin_small(big ? u : t, big ? t : u);
  return big ? PIO2 - as : as;
}

/* sin t - t cos t for t <= 1/2 (the direct form cancels there):
 * t^3 sum_{k>=1} (-1)^{k+1} 2k t^{2k-2} / (2k+1)!, eleven terms. */
JNTK_INLINE double smt_series(double t) {
  double z = t * t;
  /* coefficients 2k (-1)^{k+1} / (2k+1)!, k = 1..11, by Horner from k = 11 */
  double s = 22.0 / 25852016738884976640000.0;
  s = -20.0 / 51090942171709440000.0 + z * s;
  s = 18.0 / 121645100408832000.0 + z * s;
  s = -16.0 / 355687428096000.0 + z * s;
  s = 14.0 / 1307674368000.0 + z * s;
  s = -12.0 / 6227020800.0 + z * s;
  s = 10.0 / 39916800.0 + z * s;
  s = -8.0 / 362880.0 + z * s;
  s = 6.0 / 5040.0 + z * s;
  s = -4.0 / 120.0 + z * s;
  s = 2.0 / 6.0 + z * s;
  return t * z * s;
}

/* The angle code w of (1 - cos theta, 1 + cos theta). */
JNTK_INLINE double w_encode(double omc, double opc) {
  return omc <= 1.0 ? omc : -(opc > DBL_MIN ? opc : DBL_MIN);
}


typedef struct {
  double A, B, sw2, sb2, alpha; /* kinked family: A1^2, B1^2, sigma_w^2 (A + B) */
} kink_consts;

/* The angle theta of each row from its code w (kinked family, phase 1). */
JNTK_INLINE int kink_angle_t(int n, const double *restrict w, double *restrict thb,
                             double *restrict snb) {
  int small = 0;
  for (int i = 0; i < n; i++) {
    double wi = w[i];
    int pos = wi >= 0;
    double omc = pos ? wi : 2.0 + wi, opc = pos ? 2.0 - wi : -wi;
    double cs = pos ? 1.0 - omc : opc - 1.0, sn = sqrt(omc * opc), acs = fabs(cs);
    /* theta from the arcsine of the smaller of |cos|, sin */
    int big = acs > sn;
    double as = asin_small(big ? sn : acs, big ? acs : sn);
    double thv = big ? (pos ? as : M_PI - as) : (pos ? PIO2 - as : PIO2 + as);
    thb[i] = thv;
    snb[i] = sn;
    small |= !(thv > 0.5);
  }
  return small;
}

/* G of the rows with theta <= 1/2 (near-parallel pairs, where sin - theta
 * cos cancels) from the series; only for blocks that have such a row. */
JNTK_INLINE void kink_small_t(int n, const double *restrict w, const double *restrict thb,
                              const double *restrict snb, double *restrict Gb) {
  for (int i = 0; i < n; i++) {
    double wi = w[i], thv = thb[i];
    int pos = wi >= 0;
    double omc = pos ? wi : 2.0 + wi;
    double G = omc - TWO_OVER_PI * smt_series(thv);
    G = G > 0 ? G : 0.0;
    Gb[i] = thv > 0.5 ? Gb[i] : G;
  }
  (void) snb;
}

/* The next layer's angle code (dual_kink_next(), phase 3). With s = ra rb,
 * e = N / Dn the term of unequal variances (N = alpha sb2 (ra - rb)^2,
 * Dn = s1 + alpha s + sb2), gap = e + X, anti = e + Y and
 * 1 - cos theta' = 2 gap / (gap + anti), the same ratio is computed from
 * gap Dn / s^2 = N' + X' Dn' with N' = alpha sb2 (1/rb - 1/ra)^2,
 * X' = X / s, Dn' = Dn / s (and alike for anti): one division per pair, the
 * reciprocals 1/ra (qa), 1/rb (qb) computed once per point, and every term
 * of order one (the variances are at least sb2, so sb2 / s <= 1). */
JNTK_INLINE void kink_next_t(int n, const kink_consts *kc, const double *restrict va,
                             const double *restrict ra1, const double *restrict qa, double b,
                             double qb, double rb1, const double *restrict Gb,
                             const double *restrict Jb, double *restrict w) {
  const double A = kc->A, B = kc->B, sw2 = kc->sw2, be = kc->sb2, alpha = kc->alpha;
  for (int i = 0; i < n; i++) {
    double wi = w[i], s1 = ra1[i] * rb1, is = qa[i] * qb;
    int ok1 = (va[i] * b > 0) & (s1 > 0);
    int pos = wi >= 0;
    double omc = pos ? wi : 2.0 + wi, opc = pos ? 2.0 - wi : -wi;
    double dq = qb - qa[i];
    double N = ok1 & (be > 0) ? alpha * be * dq * dq : 0.0;
    double Dn = ok1 ? s1 * is + alpha + be * is : 1.0;
    double X = sw2 * (A * omc + B * Gb[i]);
    double Y = sw2 * (A * opc + B * (1.0 + TWO_OVER_PI * Jb[i])) + 2.0 * be * is;
    double gap = N + X * Dn, anti = N + Y * Dn;
    gap = gap > 0 ? gap : 0.0;
    anti = anti > 0 ? anti : 0.0;
    double tot = gap + anti;
    int okt = ok1 & (tot > 0);
    double it = 2.0 / tot, omc1 = okt ? gap * it : 1.0, opc1 = okt ? anti * it : 1.0;
    w[i] = w_encode(omc1, opc1);
  }
}

#endif
