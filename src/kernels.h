/* The analytic infinite-width kernels of MLPs (math.md §2-4): shared
 * parameters and the workers.
 *
 *   dual.c/.h       closed-form dual functions g, gdot of each activation,
 *                   as scalars and as jets, side by side; the kinked family's
 *                   angle update
 *   series.c/.h     activations without a closed form: Hermite (Mehler)
 *                   tables and their a-posteriori error bound, the
 *                   Gaussian-mixture closed forms, node rules
 *   kernels.c       the layer recursion over all pairs (plain and jets),
 *                   the first layer, interrupts and failure reporting
 *   jacobian_kernels.c  dense assembly and products of the Jacobian kernels
 *                   from the eight per-pair scalars
 *   kernels_call.c  the .Call entry points (argument checks, allocation),
 *                   the test hooks and the per-point diagonal data of
 *                   kernel_error_bound() */
#ifndef JNTK_KERNELS_H
#define JNTK_KERNELS_H

#include <stddef.h>
#include "jet.h"

struct series_rule;

/* Parameters of one infinite-width MLP kernel computation. */
typedef struct {
  int act;          /* activation code (activation.h) */
  double slope;     /* leaky_relu slope */
  /* the activation's parameters (mlp(act_par = )): abrelu (a, b), erf
   * (a, b, c), relu_power (k), polynomial (c_0, ..., c_K); nap of them */
  const double *ap;
  int nap;
  double A1, B1;    /* kinked family: phi = A1 x + B1 |x| (dual_kink_coefs()) */
  int depth;        /* hidden layers L */
  double sw2, sb2;  /* sigma_w^2, sigma_b^2 */
  double k2;        /* kappa^2 */
  int d;            /* input dimension */
  double tol;       /* requested relative accuracy (quadrature_tol) */
  struct series_rule *sr; /* series machinery (NULL for closed forms) */
  int nthreads;     /* OpenMP threads for per-point work */
  /* parametrisation of the NTK (the NNGP is the same in both): 0 ntk, 1
   * standard (neural-tangents' Dense(parameterization = 'standard')), whose
   * own-layer term is n_l g + bt in place of Sigma^{l+1} = sw2 g + sb2, and
   * x.x' + bt at the first layer */
  int std;
  const double *wd; /* standard: hidden widths n_1..n_L (NULL for ntk) */
  double bt;        /* standard: 1 with biases (sigma_b > 0), else 0 */
} kpar;

/* A failure to reach the requested accuracy, recorded inside parallel
 * regions and raised by the entry point afterwards (never R's API inside). */
typedef struct {
  int failed;       /* 0: none */
  int layer;        /* 1-based hidden layer where it happened */
  double variance;  /* the larger pre-activation variance of the pair */
  double estimate;  /* estimated relative error */
  int overflow;     /* 1: a value overflowed double precision */
} kfail;

/* Squared norms and the raw inputs of one side of a kernel call. */
typedef struct {
  const double *x;  /* n x d, column-major (NULL when not needed) */
  const double *q;  /* squared norms */
  int n;
} kside;

/* NNGP (c) and NTK (th) for all pairs. On entry c holds x1 x2^T (the upper
 * triangle of x1 x1^T when sym); th may be NULL (NNGP only). Both are
 * kappa^2-scaled on exit. */
void kernel_plain_worker(const kpar *kp, const kside *s1, const kside *s2, int sym,
                         double *c, double *th, kfail *fail, int nthreads);
/* The eight per-pair scalars of the Jacobian NNGP (out0) and/or the JNTK
 * (out1), each n1 x n2 x 8 (slices K, P, Q, R, S, Tq, Tr, U; see
 * jacobian_kernels.c). gram holds x1 x2^T (upper triangle when sym); it may
 * alias out0 or out1's first slice. */
void kernel_jet_worker(const kpar *kp, const kside *s1, const kside *s2, int sym,
                       const double *gram, double *out0, double *out1, kfail *fail,
                       int nthreads);

/* Whether a pair's jets are in the cartesian variables (a vanishing norm). */
int pair_cartesian(double n, double m);
/* The stored scalars of a pair from its kappa^2-scaled jet (jet.h), written
 * at o[ix + k S], k = 0..7 (jacobian_kernels.c). */
void jacobian_scalars_from_jet(jet F, double n, double m, double rho, double *o, ptrdiff_t ix,
                               ptrdiff_t S);
void jacobian_assemble(const double *F, const double *x1, const double *x2,
                       int n1, int n2, int d, double *K, int nthreads);
void jacobian_cosines(const double *x1, const double *x2, int n1, int n2, int d, double *Rh);
void jacobian_matvec(const double *F, const double *x1, const double *x2, int n1, int n2, int d,
                     const double *v, int ncol, double *out, const double *rho);

#endif
