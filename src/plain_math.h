/* Branchless arithmetic shared by the vectorised row loops of plain.c and
 * plain_jet.c: the function multi-versioning attribute, an arcsine of an
 * argument and its cosine (no data-dependent branch), the series of
 * sin t - t cos t, and the kinked family's angle code. Include after the
 * file's optimisation pragmas (they apply to the functions defined here). */
#ifndef JNTK_PLAIN_MATH_H
#define JNTK_PLAIN_MATH_H

#include <float.h>
#include "jntk.h"

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

#endif
