/* Activations without a closed form: tanh, sigmoid, softplus, silu.
 *
 * Two methods, chosen per pair, both with an error estimate:
 *
 * 1. Mehler's formula (fast): with u = sqrt(a) z1, v = sqrt(b) z2,
 *    corr(z1, z2) = rho, E[f(u) g(v)] = sum_k A_k B_k rho^k with
 *    A_k = E[f(sqrt(a) z) h_k(z)], h_k = He_k / sqrt(k!). The coefficient
 *    tables (K terms per order) come from phi^(o) on a Gauss-Hermite rule
 *    whose size grows with the variance (about 256 a_eff nodes keep the
 *    coefficients accurate to 1e-14; a_eff = a for tanh, a/4 for the
 *    others), so the machinery only needs phi on nodes. The truncation after
 *    n terms is bounded a posteriori by Cauchy-Schwarz,
 *      |sum_{k>=n} A_k B_k rho^k| <= |rho|^n T_A(n) T_B(n),
 *    with T(n) the L2 tail of a table, known exactly from E[phi^2] (below)
 *    minus the tabulated squares; the sum stops at the first n meeting the
 *    target, and a pair whose bound cannot be met with K terms (large
 *    variance next to the diagonal, where the coefficients of a saturating
 *    phi decay like a power) goes to method 2.
 *
 *    Points whose variance is too large for the tables' rules get the first
 *    SERIES_KMIX coefficients in closed form from the mixture below
 *    (smooth in the mixing variable there, 1e-14 with a 32-node rule), so a
 *    pair of a tiny and a large variance, where the tiny side's coefficients
 *    vanish fast, is summed by method 1 too (the mixture's integrand is
 *    peaked there).
 *
 * 2. Gaussian mixtures (exact closed forms, any variance): the logistic
 *    distribution is a normal scale mixture, L = 2 V e with e ~ N(0, 1) and V
 *    Kolmogorov-Smirnov distributed (Andrews & Mallows 1974, Stefanski 1991).
 *    Hence sigmoid(x) = E[H(x + L)], softplus(x) = E[relu(x + L)],
 *    tanh(x) = E[sgn(x + V e)], and silu(x) = x sigmoid(x) = E_V[R - s R''],
 *    R(x) = E[relu(x + sqrt(s) e)], s = 4 V^2. Every moment
 *    E[phi^(i)(u) phi^(j)(v)] is then a mixture over (V1, V2) of the relu
 *    moments M(p, q) = E[relu^(p)(U) relu^(q)(W)] at the augmented variances
 *    (a + s1, b + s2, c), all in closed form (series.c). The mixture is
 *    integrated by a Gauss rule for the law of log V (16 nodes per axis:
 *    1e-14 relative for every moment at variances 1e-6 .. 1e4, checked against
 *    quadrature in the tests); its integrand gets smoother as the variance
 *    grows, so it is the large-variance method, and it gives the exact
 *    diagonal E[phi^(o)^2] that the tail bound of method 1 needs.
 *
 * Mehler's sums stop at an error relative to each pair's Cauchy-Schwarz
 * scale sqrt(E[phi^(i)(u)^2] E[phi^(j)(v)^2]); the estimate returned, and
 * checked against the tolerance, is relative to the largest such scale over
 * the matrix, as the accuracy of a kernel matrix is stated. */
#ifndef JNTK_SERIES_H
#define JNTK_SERIES_H

#include "kernels.h"

#define SERIES_MMAX 32   /* mixture nodes per axis, at most */
#define SERIES_NLAD 4    /* Gauss-Hermite ladder: 128, 256, 512, 1024 nodes */
#define SERIES_NMOM 10   /* moments of the jets */
#define SERIES_NCHK 4    /* tail checkpoints: 16, 32, 64, K terms */
#define SERIES_KMIX 32   /* Hermite terms of large-variance points (mixture) */
#define SERIES_MCOEF 32  /* mixture nodes for those coefficients */
#define SERIES_KUSER 256 /* Mehler terms of an R-function activation */

typedef struct series_rule {
  int act;
  double slope;
  double aeff;      /* a_eff = aeff * a (sharpness relative to tanh) */
  int M;            /* mixture nodes per axis */
  double s[SERIES_MMAX], w[SERIES_MMAX]; /* augmented variances and weights */
  int Mc;           /* the finer rule for Hermite coefficients */
  double sc[SERIES_MCOEF], wc[SERIES_MCOEF];
  double cr[SERIES_KMIX][7]; /* E[relu^(p)(y) h_k(y)], p <= 6 */
  int K;            /* Mehler terms tabulated */
  int nq[SERIES_NLAD];
  double amax[SERIES_NLAD]; /* largest a_eff for each rule size */
  double *z[SERIES_NLAD], *wq[SERIES_NLAD], *H[SERIES_NLAD]; /* nodes, weights, nq x K */
  double tau, log_tau; /* Mehler truncation target (relative) */
  double eps_mehler;   /* coefficient error of the tables (relative) */
  double eps_mix;      /* quadrature error of the mixture (relative) */
  double fail_tol;     /* estimated relative error above which a pair fails */
  /* an R-function activation (act == ACT_USER, series_user.c): the closure
   * ufun(x, G) returns phi^(o)(x) for o < G as a length(x) x G matrix, with
   * ugiven orders supplied by the user; the others by Gaussian integration
   * by parts. cs[s][k] = sqrt((k+1)...(k+s)) (the factors of that step). */
  SEXP ufun;
  int ugiven;
  double cs[5][SERIES_KUSER];
} series_rule;

/* Per point data of one side at one layer. */
typedef struct {
  int n, nord, K;
  double *tab;   /* n x nord x K: tab[(i * nord + o) * K + k] */
  double *nrm;   /* n x nord: sqrt(E[phi^(o)(u)^2]) */
  double *tail;  /* n x nord x SERIES_NCHK: L2 tails after the checkpoints */
  int *tabbed;   /* terms of point i's table: K (Gauss-Hermite), SERIES_KMIX
                  * (large variances: closed forms from the mixture) */
  double nmax[5]; /* largest nrm of each order over the side's points */
  double *cerr;  /* n x nord or NULL: the error of coefficient k of order o
                  * of point i is at most cerr[i * nord + o] cs[s_o][k]
                  * (R-function activations; s_o the integration-by-parts
                  * steps of order o) */
} series_side;

/* The moments (i, j) used by the jets, in the order of dual_series_jet(). */
extern const int series_jet_ij[SERIES_NMOM][2];
extern const int series_plain_ij[2][2];

/* Set up a rule for activation act from the mixture nodes V (M of them,
 * weights wV) with K Mehler terms and target tol. Allocates with R_alloc
 * (main thread only). */
void series_rule_init(series_rule *sr, int act, double slope, const double *V,
                      const double *wV, int M, const double *Vc, const double *wVc, int Mc,
                      int K, double tol);
/* Build every Gauss-Hermite rung's tables now (main thread only), so that
 * no worker builds them lazily inside a parallel region. */
void series_rule_prepare(series_rule *sr);
/* Allocate the per-point data of n points with K <= sr->K terms (main
 * thread only). */
void series_side_alloc(series_side *sd, int n, int nord, int K);
/* Fill points i0..i1-1 at variances v (nord orders), and the next layer's
 * variances vn = sw2 E[phi^2] + sb2 and (if dv) dvn = sw2 (E[phi'^2] +
 * E[phi phi'']) dv. Main thread (may allocate); threads inside. */
void series_side_fill(const kpar *kp, const double *v, const double *dv, int i0, int i1,
                      series_side *sd, double *vn, double *dvn, int nthreads);
/* After the last fill: the largest norm of each order (the scale against
 * which a pair's error counts: every entry of the layer's matrix of that
 * moment is at most nmax1 nmax2 by Cauchy-Schwarz). */
void series_side_finish(series_side *sd);
/* Table memory of one side (doubles), to be checked before allocating. */
double series_side_doubles(int n, int nord, int K);
/* Terms needed by Mehler's sum at |rho| <= rmax (at least 16, at most K). */
int series_terms_for(const series_rule *sr, double rmax);
/* nm moments of orders ij at a pair (i of side s1, j of side s2) with
 * variances a, b, covariance c and gap D = ab - c^2 (Derr its absolute
 * error); returns the estimated error relative to the largest entry of the
 * layer's matrix of each moment (nmax of the two sides). Thread-safe, no R
 * API. */
double series_pair(const series_rule *sr, const series_side *s1, int i,
                   const series_side *s2, int j, double a, double b, double c, double D,
                   double Derr, int nm, const int (*ij)[2], double *mo);
/* R-function activations (series_user.c): attach the closure and the
 * number of orders supplied (main thread); fill a side like
 * series_side_fill() (which calls it), evaluating phi on the nodes of a
 * ladder of Gauss-Hermite rules (256 to 2048 nodes) chosen per point by
 * comparing consecutive rules. */
/* The n-node Gauss-Hermite rule, probabilists' weight (main thread). */
void series_gh_rule(int n, double *z, double *w);
void series_user_attach(series_rule *sr, SEXP fun, int given);
void series_user_fill(const kpar *kp, const double *v, const double *dv, int i0, int i1,
                      series_side *sd, double *vn, double *dvn, int nthreads);
/* The shifts s_o of the orders o < nord: o - min(o, given - 1). */
int series_user_shift(const series_rule *sr, int o);
/* The same by the mixture alone (test hook and diagonal). scale[t] is the
 * pair's Cauchy-Schwarz scale of moment t (a moment is 0 where it is 0;
 * NULL: none), and the estimate is relative to ref[t] (NULL: scale, or the
 * moments' own size). */
double series_mixture(const series_rule *sr, double a, double b, double c, double D,
                      double Derr, int nm, const int (*ij)[2], double *mo,
                      const double *scale, const double *ref);

#endif
