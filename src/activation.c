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
