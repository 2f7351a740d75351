/* The vector helpers of the finite-network layers (below) are always
 * inlined and take vector arguments by pointer, so no vector crosses a call
 * ABI. */
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
  case ACT_SIGN: /* almost-everywhere derivatives, as autodiff */
    out[0] = x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
    break;
  case ACT_STEP:
    out[0] = x > 0 ? 1.0 : 0.0;
    break;
  case ACT_EXP: {
    double e = exp(x);
    for (k = 0; k <= nd; k++) out[k] = e;
    break;
  }
  case ACT_GAUSSIAN: {
    double e = exp(-x * x), x2 = x * x;
    out[0] = e;
    if (nd >= 1) out[1] = -2.0 * x * e;
    if (nd >= 2) out[2] = (4.0 * x2 - 2.0) * e;
    if (nd >= 3) out[3] = (-8.0 * x2 + 12.0) * x * e;
    if (nd >= 4) out[4] = (16.0 * x2 * x2 - 48.0 * x2 + 12.0) * e;
    break;
  }
  case ACT_RBF: {
    /* sqrt(2) sin(sqrt(2) x + pi/4) = sin(r x) + cos(r x), r = sqrt(2):
     * each derivative multiplies by r and turns (sin + cos) into (cos - sin) */
    double sn = sin(M_SQRT2 * x), cs = cos(M_SQRT2 * x), p = sn + cs, m = cs - sn, f = 1.0;
    double v[4] = {p, m, -p, -m};
    for (k = 0; k <= nd; k++) {
      out[k] = f * v[k % 4];
      f *= M_SQRT2;
    }
    break;
  }
  default:
    for (k = 0; k <= nd; k++) out[k] = NAN;
  }
}

/* x^n for a whole n >= 0 */
static inline double pow_int(double x, int n) {
  double r = 1.0;
  for (int t = 0; t < n; t++) r *= x;
  return r;
}

const char *act_par_check(int code, const double *ap, int nap) {
  int want = code == ACT_ABRELU ? 2 : (code == ACT_ERF_ABC ? 3 : 0);
  if (code == ACT_RELU_POWER) {
    if (nap != 1 || !(ap[0] >= 1 && ap[0] <= 8) || ap[0] != floor(ap[0]))
      return "relu_power needs one whole number k in 1..8";
  } else if (code == ACT_POLYNOMIAL) {
    if (nap < 2 || nap > ACT_MAX_PAR || ap[0] != nap - 1)
      return "a polynomial needs c(K + 1, c_0, ..., c_K) with 1 to 16 coefficients";
  } else if (nap != want) {
    return "wrong number of parameters for this activation";
  }
  for (int k = 0; k < nap; k++)
    if (!R_FINITE(ap[k])) return "parameters must be finite";
  return NULL;
}

void act_derivs_par(int code, double slope, const double *ap, double x, int nd, double *out) {
  switch (code) {
  case ACT_ABRELU: /* a min(x, 0) + b max(x, 0); phi'(0) = a, as leaky relu */
    for (int k = 0; k <= nd; k++) out[k] = 0.0;
    out[0] = x > 0 ? ap[1] * x : ap[0] * x;
    if (nd >= 1) out[1] = x > 0 ? ap[1] : ap[0];
    return;
  case ACT_ERF_ABC: { /* al erf(be x) + ga: phi^(k) = al be^k erf^(k)(be x) */
    double f = ap[0];
    act_derivs(ACT_ERF, slope, ap[1] * x, nd, out);
    for (int k = 0; k <= nd; k++) {
      out[k] *= f;
      f *= ap[1];
    }
    out[0] += ap[2];
    return;
  }
  case ACT_RELU_POWER: { /* x^k for x > 0: phi^(j) = k!/(k-j)! x^(k-j), 0 for x <= 0 */
    int kk = (int) ap[0];
    for (int j = 0; j <= nd; j++) {
      double f = 1.0;
      for (int t = kk - j + 1; t <= kk; t++) f *= t;
      out[j] = x > 0 && j <= kk ? f * pow_int(x, kk - j) : 0.0;
    }
    return;
  }
  case ACT_POLYNOMIAL: /* phi^(k)(x) = sum_j c_j j!/(j-k)! x^(j-k), by Horner */
    for (int k = 0; k <= nd; k++) {
      double s = 0.0;
      for (int j = nap_poly(ap) - 1; j >= k; j--) {
        double f = 1.0;
        for (int t = j - k + 1; t <= j; t++) f *= t;
        s = s * x + f * ap[1 + j];
      }
      out[k] = s;
    }
    return;
  default:
    act_derivs(code, slope, x, nd, out);
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
 * about x^2 eps in erfc, i.e. at most ~1e-17 absolute in erf: within 3 ulp
 * of the correctly rounded erf (checked against 200-bit values).
 *
 * Evaluated several values at a time without branches (GCC/clang vector
 * extensions, activation_vec.h), so the hot loop of a finite network's
 * forward pass runs at the SIMD width instead of waiting for a libm call
 * and a mispredicted branch per value: two lanes (one SSE2 operation per
 * line) at the baseline ISA, and on x86-64 with GCC four lanes compiled
 * for AVX2 and eight for AVX-512, chosen at run time by the CPU (wider
 * vectors at the baseline ISA are slower: SSE2's 16 registers spill). No
 * width contracts into FMA (AVX-512 implies FMA to GCC), every lane
 * computes the same operations and tails are padded, so a value never
 * depends on the width, its position or the thread that computes it. */
#define INV_SQRT_PI 0.564189583547756286948079451561

#if defined(__GNUC__) || defined(__clang__)
#define JNTK_VEC 1
#define JNTK_VINLINE static inline __attribute__((always_inline))

/* the coefficients, shared by every width: 1/k! (vexp_neg), then Cody's
 * rationals with ascending coefficients */
static const double inv_fact[14] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
                                    1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800,
                                    1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};

static const double erf_small_num[5] = {3.20937758913846947e03, 3.77485237685302021e02,
                                        1.13864154151050156e02, 3.16112374387056560e00,
                                        1.85777706184603153e-1};
static const double erf_small_den[5] = {2.84423683343917062e03, 1.28261652607737228e03,
                                        2.44024637934444173e02, 2.36012909523441209e01, 1.0};
static const double erfcx_mid_num[9] = {1.23033935479799725e03, 2.05107837782607147e03,
                                        1.71204761263407058e03, 8.81952221241769090e02,
                                        2.98635138197400131e02, 6.61191906371416295e01,
                                        8.88314979438837594e00, 5.64188496988670089e-1,
                                        2.15311535474403846e-8};
static const double erfcx_mid_den[9] = {1.23033935480374942e03, 3.43936767414372164e03,
                                        4.36261909014324716e03, 3.29079923573345963e03,
                                        1.62138957456669019e03, 5.37181101862009858e02,
                                        1.17693950891312499e02, 1.57449261107098347e01, 1.0};
static const double erfcx_big_num[6] = {6.58749161529837803e-4, 1.60837851487422766e-2,
                                        1.25781726111229246e-1, 3.60344899949804439e-1,
                                        3.05326634961232344e-1, 1.63153871373020978e-2};
static const double erfcx_big_den[6] = {2.33520497626869185e-3, 6.05183413124413191e-2,
                                        5.27905102951428412e-1, 1.87295284992346047e00,
                                        2.56852019228982242e00, 1.0};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#elif defined(__clang__)
#pragma clang fp contract(off)
#endif
#define VW 2
#include "activation_vec.h"
#undef VW

/* the wider kernels: GCC on x86-64 ELF (as for plain.c's clones) */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8 && defined(__x86_64__) && \
  defined(__ELF__) && !defined(__INTEL_COMPILER)
#define JNTK_VEC_WIDE 1
#pragma GCC push_options
#pragma GCC target("avx2")
#define VW 4
#include "activation_vec.h"
#undef VW
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f")
#define VW 8
#include "activation_vec.h"
#undef VW
#pragma GCC pop_options
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/* erf and gelu layers at the widest width the CPU (and its OS) supports */
static void vec_layer(int code, double *h, int n, const double *b, double beta, double *d1,
                      double *d2) {
#ifdef JNTK_VEC_WIDE
  if (__builtin_cpu_supports("avx512f")) {
    vec_layer_w8(code, h, n, b, beta, d1, d2);
    return;
  }
  if (__builtin_cpu_supports("avx2")) {
    vec_layer_w4(code, h, n, b, beta, d1, d2);
    return;
  }
#endif
  vec_layer_w2(code, h, n, b, beta, d1, d2);
}
#endif

void act_layer(int code, double slope, const double *ap, double *h, int n, const double *b,
               double beta, double *d1, double *d2) {
  switch (code) {
  case ACT_ABRELU: {
    double lo = ap[0], hi = ap[1];
    for (int i = 0; i < n; i++) {
      double x = h[i] + beta * b[i];
      h[i] = x > 0 ? hi * x : lo * x;
      if (d1) d1[i] = x > 0 ? hi : lo;
      if (d2) d2[i] = 0.0;
    }
    return;
  }
#ifdef JNTK_VEC
  case ACT_ERF_ABC: {
    /* the vectorised erf layer at be (h + beta b), then scaled */
    double al = ap[0], be = ap[1], ga = ap[2];
    for (int i = 0; i < n; i++) h[i] = be * (h[i] + beta * b[i]);
    vec_layer(ACT_ERF, h, n, b, 0.0, d1, d2);
    for (int i = 0; i < n; i++) {
      h[i] = al * h[i] + ga;
      if (d1) d1[i] *= al * be;
      if (d2) d2[i] *= al * be * be;
    }
    return;
  }
#endif
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
#ifdef JNTK_VEC
  case ACT_ERF:
  case ACT_GELU:
    vec_layer(code, h, n, b, beta, d1, d2);
    return;
#endif
  default: {
    int nd = d2 ? 2 : (d1 ? 1 : 0);
    double o[5];
    for (int i = 0; i < n; i++) {
      act_derivs_par(code, slope, ap, h[i] + beta * b[i], nd, o);
      h[i] = o[0];
      if (d1) d1[i] = o[1];
      if (d2) d2[i] = o[2];
    }
  }
  }
}
