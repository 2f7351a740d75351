#include "jntk.h"

#define INV_SQRT_2PI 0.398942280401432677939946059934
#define TWO_OVER_SQRT_PI 1.12837916709551257389615890312

/* logistic function, stable for large |x| */
static inline double logistic(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

/* Derivatives of the logistic s up to order 4 written as polynomials in s
 * (s' = s(1-s), s'' = w(1-2s), s''' = w(1-6s+6s^2), s'''' = w(1-2s)(1-12s+12s^2),
 * w = s(1-s)); out[k] = s^(k), k = 0..nd. */
static inline void logistic_derivs(double x, int nd, double *out) {
  double s = logistic(x), w = s * (1.0 - s);
  out[0] = s;
  if (nd >= 1) out[1] = w;
  if (nd >= 2) out[2] = w * (1.0 - 2.0 * s);
  if (nd >= 3) out[3] = w * (1.0 - 6.0 * s + 6.0 * s * s);
  if (nd >= 4) out[4] = w * (1.0 - 2.0 * s) * (1.0 - 12.0 * s + 12.0 * s * s);
}

void act_derivs(int code, double slope, double x, int nd, double *out) {
  int k;
  for (k = 0; k <= nd; k++) out[k] = 0.0;
  switch (code) {
  case ACT_IDENTITY:
    out[0] = x;
    if (nd >= 1) out[1] = 1.0;
    break;
  case ACT_RELU:
    out[0] = x > 0 ? x : 0.0;
    if (nd >= 1) out[1] = x > 0 ? 1.0 : 0.0;
    break;
  case ACT_LEAKY_RELU:
    out[0] = x > 0 ? x : slope * x;
    if (nd >= 1) out[1] = x > 0 ? 1.0 : slope;
    break;
  case ACT_ABS:
    out[0] = fabs(x);
    if (nd >= 1) out[1] = x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
    break;
  case ACT_ERF: {
    double e = TWO_OVER_SQRT_PI * exp(-x * x), x2 = x * x;
    out[0] = erf(x);
    if (nd >= 1) out[1] = e;
    if (nd >= 2) out[2] = -2.0 * x * e;
    if (nd >= 3) out[3] = (4.0 * x2 - 2.0) * e;
    if (nd >= 4) out[4] = (-8.0 * x2 * x + 12.0 * x) * e;
    break;
  }
  case ACT_GELU: {
    double ph = INV_SQRT_2PI * exp(-0.5 * x * x), x2 = x * x;
    out[0] = x * 0.5 * erfc(-x / M_SQRT2);
    if (nd >= 1) out[1] = 0.5 * erfc(-x / M_SQRT2) + x * ph;
    if (nd >= 2) out[2] = ph * (2.0 - x2);
    if (nd >= 3) out[3] = ph * (x2 * x - 4.0 * x);
    if (nd >= 4) out[4] = ph * (-x2 * x2 + 7.0 * x2 - 4.0);
    break;
  }
  case ACT_SIN: {
    double s = sin(x), c = cos(x);
    double v[4] = {s, c, -s, -c};
    for (k = 0; k <= nd; k++) out[k] = v[k % 4];
    break;
  }
  case ACT_COS: {
    double s = sin(x), c = cos(x);
    double v[4] = {c, -s, -c, s};
    for (k = 0; k <= nd; k++) out[k] = v[k % 4];
    break;
  }
  case ACT_TANH: {
    double t = tanh(x), s = 1.0 - t * t;
    out[0] = t;
    if (nd >= 1) out[1] = s;
    if (nd >= 2) out[2] = -2.0 * t * s;
    if (nd >= 3) out[3] = s * (6.0 * t * t - 2.0);
    if (nd >= 4) out[4] = 8.0 * t * s * (2.0 - 3.0 * t * t);
    break;
  }
  case ACT_SOFTPLUS: {
    double ls[5];
    out[0] = (x > 0 ? x : 0.0) + log1p(exp(-fabs(x)));
    if (nd >= 1) {
      logistic_derivs(x, nd - 1, ls);
      for (k = 1; k <= nd; k++) out[k] = ls[k - 1];
    }
    break;
  }
  case ACT_SIGMOID:
    logistic_derivs(x, nd, out);
    break;
  case ACT_SILU: {
    /* (x s)^(k) = k s^(k-1) + x s^(k) */
    double ls[6];
    logistic_derivs(x, nd, ls);
    out[0] = x * ls[0];
    for (k = 1; k <= nd; k++) out[k] = k * ls[k - 1] + x * ls[k];
    break;
  }
  default:
    for (k = 0; k <= nd; k++) out[k] = NAN;
  }
}

void act_apply(int code, double slope, const double *x, ptrdiff_t n,
               double *y, double *d1, double *d2) {
  int nd = d2 ? 2 : (d1 ? 1 : 0);
  double o[5];
  for (ptrdiff_t i = 0; i < n; i++) {
    double xi = x[i];
    switch (code) {
    case ACT_RELU:
      y[i] = xi > 0 ? xi : 0.0;
      if (d1) d1[i] = xi > 0 ? 1.0 : 0.0;
      if (d2) d2[i] = 0.0;
      break;
    case ACT_TANH: {
      double t = tanh(xi), s = 1.0 - t * t;
      y[i] = t;
      if (d1) d1[i] = s;
      if (d2) d2[i] = -2.0 * t * s;
      break;
    }
    default:
      act_derivs(code, slope, xi, nd, o);
      y[i] = o[0];
      if (d1) d1[i] = o[1];
      if (d2) d2[i] = o[2];
    }
  }
}

/* ---- one layer of a finite network ---------------------------------------
 * erf and its derivatives from one exponential: with e = exp(-x^2),
 * erf'(x) = 2/sqrt(pi) e, erf''(x) = -2 x erf'(x), and for |x| > 0.46875
 * erf(x) = sign(x) (1 - e R(|x|)) with R(y) = exp(y^2) erfc(y) by Cody's
 * near-minimax rational functions (Math. Comp. 23, 1969, 631-638; 18
 * significant digits); below 0.46875 erf(x) = x P(x^2) / Q(x^2). Using
 * exp(-x*x) instead of Cody's split exponential costs a relative error of
 * about x^2 eps in erfc, i.e. at most ~1e-17 absolute in erf. */
static const double cody_a[5] = {3.16112374387056560e00, 1.13864154151050156e02,
                                 3.77485237685302021e02, 3.20937758913846947e03,
                                 1.85777706184603153e-1};
static const double cody_b[4] = {2.36012909523441209e01, 2.44024637934444173e02,
                                 1.28261652607737228e03, 2.84423683343917062e03};
static const double cody_c[9] = {5.64188496988670089e-1, 8.88314979438837594e00,
                                 6.61191906371416295e01, 2.98635138197400131e02,
                                 8.81952221241769090e02, 1.71204761263407058e03,
                                 2.05107837782607147e03, 1.23033935479799725e03,
                                 2.15311535474403846e-8};
static const double cody_d[8] = {1.57449261107098347e01, 1.17693950891312499e02,
                                 5.37181101862009858e02, 1.62138957456669019e03,
                                 3.29079923573345963e03, 4.36261909014324716e03,
                                 3.43936767414372164e03, 1.23033935480374942e03};
static const double cody_p[6] = {3.05326634961232344e-1, 3.60344899949804439e-1,
                                 1.25781726111229246e-1, 1.60837851487422766e-2,
                                 6.58749161529837803e-4, 1.63153871373020978e-2};
static const double cody_q[5] = {2.56852019228982242e00, 1.87295284992346047e00,
                                 5.27905102951428412e-1, 6.05183413124413191e-2,
                                 2.33520497626869185e-3};
#define INV_SQRT_PI 0.564189583547756286948079451561

/* erf(x) for |x| <= 0.46875 */
static inline double cody_erf_small(double x) {
  double s = x * x, num = cody_a[4] * s, den = s;
  for (int i = 0; i < 3; i++) {
    num = (num + cody_a[i]) * s;
    den = (den + cody_b[i]) * s;
  }
  return x * (num + cody_a[3]) / (den + cody_b[3]);
}

/* R(y) = exp(y^2) erfc(y) for y > 0.46875 */
static inline double cody_erfcx(double y) {
  if (y <= 4.0) {
    double num = cody_c[8] * y, den = y;
    for (int i = 0; i < 7; i++) {
      num = (num + cody_c[i]) * y;
      den = (den + cody_d[i]) * y;
    }
    return (num + cody_c[7]) / (den + cody_d[7]);
  }
  double s = 1.0 / (y * y), num = cody_p[5] * s, den = s;
  for (int i = 0; i < 4; i++) {
    num = (num + cody_p[i]) * s;
    den = (den + cody_q[i]) * s;
  }
  return (INV_SQRT_PI - s * (num + cody_p[4]) / (den + cody_q[4])) / y;
}

/* erf(x) given e = exp(-x^2) */
static inline double erf_with_exp(double x, double e) {
  double y = fabs(x);
  if (y <= 0.46875) return cody_erf_small(x);
  double v = 0.5 - e * cody_erfcx(y) + 0.5;
  return x < 0 ? -v : v;
}

/* erfc(x) given e = exp(-x^2), accurate in relative terms for x > 0 */
static inline double erfc_with_exp(double x, double e) {
  double y = fabs(x);
  if (y <= 0.46875) return 1.0 - cody_erf_small(x);
  double v = e * cody_erfcx(y);
  return x > 0 ? v : 2.0 - v;
}

void act_layer(int code, double slope, double *h, int n, const double *b, double beta,
               double *d1, double *d2) {
  switch (code) {
  case ACT_IDENTITY:
    for (int i = 0; i < n; i++) {
      h[i] += beta * b[i];
      if (d1) d1[i] = 1.0;
      if (d2) d2[i] = 0.0;
    }
    return;
  case ACT_RELU:
    for (int i = 0; i < n; i++) {
      double x = h[i] + beta * b[i];
      h[i] = x > 0 ? x : 0.0;
      if (d1) d1[i] = x > 0 ? 1.0 : 0.0;
      if (d2) d2[i] = 0.0;
    }
    return;
  case ACT_TANH:
    for (int i = 0; i < n; i++) {
      double t = tanh(h[i] + beta * b[i]), s = 1.0 - t * t;
      h[i] = t;
      if (d1) d1[i] = s;
      if (d2) d2[i] = -2.0 * t * s;
    }
    return;
  case ACT_ERF:
    for (int i = 0; i < n; i++) {
      double x = h[i] + beta * b[i], ex = exp(-x * x), e = TWO_OVER_SQRT_PI * ex;
      h[i] = erf_with_exp(x, ex);
      if (d1) d1[i] = e;
      if (d2) d2[i] = -2.0 * x * e;
    }
    return;
  case ACT_GELU:
    /* x Phi(x) with Phi(x) = erfc(-x/sqrt2)/2 and
     * phi(x) = exp(-x^2/2)/sqrt(2 pi): one exponential for all three */
    for (int i = 0; i < n; i++) {
      double x = h[i] + beta * b[i], ex = exp(-0.5 * x * x), ph = INV_SQRT_2PI * ex;
      double Phi = 0.5 * erfc_with_exp(-x / M_SQRT2, ex);
      h[i] = x * Phi;
      if (d1) d1[i] = Phi + x * ph;
      if (d2) d2[i] = ph * (2.0 - x * x);
    }
    return;
  default: {
    int nd = d2 ? 2 : (d1 ? 1 : 0);
    double o[5];
    for (int i = 0; i < n; i++) {
      act_derivs(code, slope, h[i] + beta * b[i], nd, o);
      h[i] = o[0];
      if (d1) d1[i] = o[1];
      if (d2) d2[i] = o[2];
    }
  }
  }
}
