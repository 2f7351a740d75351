/* Activation functions and their derivatives, shared by the analytic kernels
 * (Gauss-Hermite quadrature), the finite networks and training.
 * The integer codes match R/activation.R (.jntk_activations). */
#ifndef JNTK_ACTIVATION_H
#define JNTK_ACTIVATION_H

enum jntk_act {
  ACT_IDENTITY = 0,
  ACT_RELU = 1,
  ACT_LEAKY_RELU = 2,
  ACT_ABS = 3,
  ACT_ERF = 4,
  ACT_GELU = 5,
  ACT_SIN = 6,
  ACT_COS = 7,
  ACT_TANH = 8,
  ACT_SOFTPLUS = 9,
  ACT_SIGMOID = 10,
  ACT_SILU = 11,
  ACT_SIGN = 12,     /* NNGP only */
  ACT_STEP = 13,     /* Heaviside, relu^0 (NNGP only) */
  ACT_EXP = 14,      /* exp(x) */
  ACT_GAUSSIAN = 15, /* exp(-x^2) */
  ACT_RBF = 16,      /* sqrt(2) sin(sqrt(2) x + pi/4) */
  ACT_ABRELU = 17,   /* a min(x, 0) + b max(x, 0) (neural-tangents' ABRelu) */
  ACT_ERF_ABC = 18,  /* a erf(b x) + c (neural-tangents' Erf(a, b, c)) */
  ACT_POLYNOMIAL = 19, /* c_0 + c_1 x + ... + c_K x^K */
  ACT_RELU_POWER = 20, /* max(x, 0)^k, k >= 1 (neural-tangents' RectifiedMonomial(k)) */
  ACT_COUNT = 21,
  /* an R function (mlp(activation = <function>)): analytic kernels only, by
   * the series machinery on tables of phi (series_user.c); outside the
   * range 0..ACT_COUNT - 1 so that the finite networks refuse it */
  ACT_USER = 100
};

/* The most parameters an activation takes: a polynomial's are its number of
 * coefficients K + 1 <= 16, then c_0, ..., c_K. */
#define ACT_MAX_PAR 17
#define nap_poly(ap) ((int) (ap)[0])

/* NULL when ap[0..nap-1] are valid parameters of activation `code` (R has
 * validated and explained them; this makes a direct .Call with garbage an
 * error), else what is wrong: abrelu (a, b), erf_abc (a, b, c), polynomial
 * (K + 1, c_0, ..., c_K with K < 16), relu_power (k, a whole number in 1..8), none for the others. */
const char *act_par_check(int code, const double *ap, int nap);

/* out[k] = phi^(k)(x) for k = 0..nd (nd <= 4). Kinked activations use their
 * almost-everywhere derivatives (phi'(0) = 0 for relu, phi'' = 0), as autodiff
 * does. */
void act_derivs(int code, double slope, double x, int nd, double *out);
/* The same for any activation, its parameters ap included. */
void act_derivs_par(int code, double slope, const double *ap, double x, int nd, double *out);

/* Vectorised value and first (and optionally second) derivative over n
 * values: y = phi(x), d1 = phi'(x), d2 = phi''(x); d1 / d2 may be NULL. */
void act_apply(int code, double slope, const double *x, ptrdiff_t n,
               double *y, double *d1, double *d2);

/* One layer of a finite network, in place: z[i] = phi(h[i] + beta b[i]) for
 * i < n (h is overwritten by z), with d1[i] = phi'(.) and d2[i] = phi''(.)
 * when not NULL. Same values as act_derivs() except erf and gelu, whose
 * function value shares the exponential of their derivative (W. J. Cody's
 * rational approximations, 1969: erfc(x) = exp(-x^2) R(x)) and which run
 * 2, 4 or 8 values at a time (SSE2, AVX2, AVX-512, by the CPU; the same
 * values at every width): erf within 3 ulp of the correctly rounded value. */
void act_layer(int code, double slope, const double *ap, double *h, int n, const double *b,
               double beta, double *d1, double *d2);

#endif
