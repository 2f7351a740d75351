/* Analytic infinite-width kernels of MLPs: NNGP and NTK (Jacot et al. 2018,
 * Theorem 1; math.md §2) and the eight per-pair scalars from which the
 * Jacobian NNGP and the JNTK are assembled (Kim & Yang 2024, Theorems 3.1-4.5;
 * math.md §3-4).
 *
 * Layout: dual functions g(a, b, c) = E[phi(u) phi(v)] and
 * gd(a, b, c) = E[phi'(u) phi'(v)] of each activation, first as plain scalars
 * (for nngp()/ntk()), then as jets in (p, q, r) (for the Jacobian kernels);
 * then the plain workers that run the layer recursion for every pair in one
 * fused pass over the output, writing in place over the Gram matrix that BLAS
 * computed there; then the .Call entry points. */
#include "jntk.h"
#include "jet.h"
#include "kernels.h"
#include "linalg.h"

#define TWO_OVER_PI 0.636619772367581343075535053490

/* ---------------------------------------------------------------------------
 * Scalar dual functions
 * ------------------------------------------------------------------------- */

/* Piecewise-linear family phi(x) = max(x, alpha x), written as
 * phi = A1 x + B1 |x| with A1 = (1 + alpha)/2, B1 = (1 - alpha)/2; then
 * E[phi(u)phi(v)] = A c + B (2/pi) (sqrt(ab - c^2) + c asin(rho)) and
 * E[phi'(u)phi'(v)] = A + B (2/pi) asin(rho), with A = A1^2, B = B1^2.
 * relu (alpha = 0) gives the arc-cosine kernel (sqrt(ab-c^2) + (pi-theta)c)/(2pi)
 * of math.md §2. asin(rho) = pi/2 - theta with theta = atan2(sqrt(ab-c^2), c),
 * and theta = pi/2 when a or b is 0 (neural-tangents' convention). */
/* Negative-side slope of the piecewise-linear family: relu 0, abs -1,
 * identity 1, leaky_relu its slope (a constant where act is). */
JNTK_INLINE double kink_alpha(int act, double slope) {
  return act == ACT_RELU ? 0.0 : (act == ACT_ABS ? -1.0 : (act == ACT_IDENTITY ? 1.0 : slope));
}

/* asin(rho) for rho = c/s, s = sqrt(ab), sD = sqrt(ab - c^2), accurate to
 * rounding everywhere: asin where |rho| <= 0.7, else from the complementary
 * angle asin(sD/s) (as accurate as atan2(sD, c), at a third of its cost);
 * 0 when s = 0 (theta = pi/2, neural-tangents' convention). */
JNTK_INLINE double asin_rho(double c, double sD, double s) {
  if (!(s > 0)) return 0.0;
  double rho = c / s;
  if (fabs(rho) <= 0.7) return asin(rho);
  double t = sD / s;
  if (t > 1) t = 1;
  return rho > 0 ? M_PI_2 - asin(t) : asin(t) - M_PI_2;
}

JNTK_INLINE void kinked_dual(double alpha, double a, double b, double c,
                               double *g, double *gd) {
  double A1 = 0.5 * (1.0 + alpha), B1 = 0.5 * (1.0 - alpha);
  double A = A1 * A1, B = B1 * B1;
  double D = a * b - c * c;
  if (D < 0) D = 0;
  double sD = sqrt(D), asr = asin_rho(c, sD, sqrt(a * b));
  *g = A * c + B * TWO_OVER_PI * (sD + c * asr);
  if (gd) *gd = A + B * TWO_OVER_PI * asr;
}

/* Activations without a closed form: Mehler's formula. With u = sqrt(a) z1,
 * v = sqrt(b) z2, corr(z1, z2) = rho = c / sqrt(ab),
 *   E[f(u) g(v)] = sum_k A_k B_k rho^k,  A_k = E[f(sqrt(a) z) h_k(z)],
 * h_k = He_k / sqrt(k!) (orthonormal Hermite polynomials). The coefficient
 * tables depend only on each point's own variance, so they are computed once
 * per point and layer (quad_tables(), by BLAS over Gauss-Hermite nodes); a
 * pair then costs one truncated power series per moment. Unlike a 2-D tensor
 * Gauss-Hermite rule, whose error grows quickly with the variance of steep
 * activations (1e-4 at variance 3 with 24 nodes for tanh), the series
 * converges geometrically for |rho| < 1 and, at rho = 1, as the tail of the
 * Hermite coefficients (about 1e-11 at variance 3 with 200 terms).
 * ta, tb point at the tables of the two points: ta[o*K + k] is the k-th
 * coefficient of phi^(o). */
JNTK_INLINE double series_rho(double a, double b, double c) {
  if (!(a > 0 && b > 0)) return 0.0;
  double r = c / sqrt(a * b);
  return r > 1 ? 1 : (r < -1 ? -1 : r);
}

/* terms needed: |rho|^k below 1e-17 relative (the coefficients are bounded
 * by sqrt(E[phi^2])), or all K near |rho| = 1 */
JNTK_INLINE int series_terms(const kpar *kp, double rho) {
  double ar = fabs(rho);
  if (ar >= 0.95) return kp->K;
  if (ar < 1e-300) return 1;
  int k = (int) ceil(-39.1439465808987 / log(ar)) + 1; /* log(1e-17) */
  return k < kp->K ? k : kp->K;
}

JNTK_INLINE double series_sum(const double *A, const double *B, double rho, int n) {
  double s = 0, rk = 1;
  for (int k = 0; k < n; k++) {
    s += A[k] * B[k] * rk;
    rk *= rho;
  }
  return s;
}

static void quad_dual(const kpar *kp, double a, double b, double c,
                      const double *ta, const double *tb, double *g, double *gd) {
  double rho = series_rho(a, b, c);
  int n = series_terms(kp, rho), K = kp->K;
  *g = series_sum(ta, tb, rho, n);
  if (gd) *gd = series_sum(ta + K, tb + K, rho, n);
}

/* The dual of activation `act`; always inlined so that the pair loops,
 * specialised per activation (plain_column_*), fold the dispatch away. */
JNTK_INLINE void
dual_act(const int act, const kpar *kp, double a, double b, double c,
         const double *ta, const double *tb, double *g, double *gd) {
  switch (act) {
  case ACT_IDENTITY:
  case ACT_RELU:
  case ACT_LEAKY_RELU:
  case ACT_ABS: {
    kinked_dual(kink_alpha(act, kp->slope), a, b, c, g, gd);
    return;
  }
  case ACT_ERF: {
    /* g = (2/pi) asin(2c / sqrt((1+2a)(1+2b))), gd = (4/pi)/sqrt((1+2a)(1+2b) - 4c^2) */
    /* (1+2a)(1+2b) - 4c^2 = 1 + 2a + 2b + 4(ab - c^2): no cancellation
     * between ab and c^2 at huge scales, and ab - c^2 >= 0 */
    double D = a * b - c * c;
    if (D < 0) D = 0;
    double den2 = 1.0 + 2.0 * (a + b) + 4.0 * D;
    /* asin(2c/sqrt(Q)), Q = (1+2a)(1+2b) = den2 + 4c^2; cos of it = den/sqrt(Q) */
    double den = sqrt(den2), sQ = sqrt((1.0 + 2.0 * a) * (1.0 + 2.0 * b));
    *g = TWO_OVER_PI * asin_rho(2.0 * c, den, sQ);
    if (gd) *gd = 2.0 * TWO_OVER_PI / den;
    return;
  }
  case ACT_GELU: {
    /* math.md §2; gd = dg/dc (as neural-tangents' Gelu) */
    double P = a * b, P1 = (1.0 + a) * (1.0 + b);
    double D = P - c * c;
    if (D < 0) D = 0;
    double d2 = 1.0 + a + b + D; /* = P1 - c^2, without the cancellation */
    double dl = sqrt(d2), al = atan2(c, dl);
    *g = 0.25 * c + ((c * c + P * d2) / (P1 * dl) + c * al) / (2.0 * M_PI);
    if (gd)
      *gd = 0.25 + al / (2.0 * M_PI) +
            c / (2.0 * M_PI * dl) * (1.0 / d2 + (1.0 - P) / P1 + 1.0);
    return;
  }
  case ACT_SIN:
  case ACT_COS: {
    /* E[sin u sin v] = e^{-(a+b)/2} sinh c, E[cos u cos v] = e^{-(a+b)/2} cosh c,
     * written as half-sums of exponentials that cannot overflow (|c| <= (a+b)/2). */
    double h = 0.5 * (a + b), e1 = 0.5 * exp(c - h), e2 = 0.5 * exp(-c - h);
    double sh = e1 - e2, ch = e1 + e2;
    *g = kp->act == ACT_SIN ? sh : ch;
    if (gd) *gd = kp->act == ACT_SIN ? ch : sh;
    return;
  }
  default:
    quad_dual(kp, a, b, c, ta, tb, g, gd);
  }
}

static void dual_scalar(const kpar *kp, double a, double b, double c,
                        const double *ta, const double *tb, double *g,
                        double *gd) {
  dual_act(kp->act, kp, a, b, c, ta, tb, g, gd);
}

/* ---------------------------------------------------------------------------
 * Jet dual functions: G = g(a, b, c) and Gd = gd(a, b, c) as jets in (p, q, r)
 * ------------------------------------------------------------------------- */

/* Below this relative size of ab - c^2 (i.e. 1 - rho^2) the kinked family's
 * J''(rho) = 1/sqrt(1 - rho^2) term is dropped. In x-coordinates that term is
 * J'' (grad_x rho)(grad_x' rho)^T, which vanishes like |x - x'| at the diagonal
 * (math.md §3), while 1 - rho^2 computed by subtraction has absolute error
 * ~eps; the crossover is at 1 - rho^2 ~ eps, where both errors are ~sqrt(eps). */
#define KINK_CLIP (8.0 * 2.220446049250313e-16)

/* ab - c^2 as a jet, its value clipped at 0 (it is >= 0 exactly). */
static inline jet jdet(jet a, jet b, jet c) {
  jet D = jsub(jmul(a, b), jmul(c, c));
  if (D.v < 0) D.v = 0;
  return D;
}

static void kinked_dual_jet(double alpha, jet a, jet b, jet c, jet *G, jet *Gd) {
  double A1 = 0.5 * (1.0 + alpha), B1 = 0.5 * (1.0 - alpha);
  double A = A1 * A1, B = B1 * B1;
  double ab = a.v * b.v;
  if (B == 0.0 || !(ab > 0)) {
    /* identity, or a zero-variance input (sigma_b = 0, x = 0): the B part is
     * 0 with theta = pi/2 and its derivatives are taken as 0 */
    *G = jaffine(c, A, 0.0);
    if (Gd) *Gd = jconst(A);
    return;
  }
  jet s = jsqrt(jmul(a, b));
  jet rho = jdiv(c, s);
  double D = ab - c.v * c.v;
  if (D < 0) D = 0;
  double sD = sqrt(D), asr = asin_rho(c.v, sD, s.v);
  double sq = sD / s.v; /* sqrt(1 - rho^2) */
  double J2 = (D <= KINK_CLIP * ab) ? 0.0 : 1.0 / sq;
  if (rho.v > 1) rho.v = 1;
  if (rho.v < -1) rho.v = -1;
  /* J(rho) = sqrt(1 - rho^2) + rho asin(rho), J' = asin(rho), J'' = 1/sqrt(1 - rho^2) */
  jet Jj = junary(rho, sq + rho.v * asr, asr, J2);
  *G = jadd(jaffine(c, A, 0.0), jaffine(jmul(s, Jj), B * TWO_OVER_PI, 0.0));
  if (Gd) /* only used for the (refused) kinked JNTK; finite by the same clip */
    *Gd = junary(rho, A + B * TWO_OVER_PI * asr, B * TWO_OVER_PI * J2,
                 B * TWO_OVER_PI * rho.v * J2 * J2 * J2);
}

/* Compose with the partials P of g in (a, b, c): the reduced formula for
 * pair kernels (a of q only, b of r only), the general one otherwise. */
#define JC3(P) (pair ? jcompose3_pair(a.q, b.r, c, (P)) : jcompose3(a, b, c, (P)))

/* Price's theorem (math.md §2): dE[F]/dc = E[F_uv], dE[F]/da = E[F_uu]/2,
 * with every moment E[phi^(i)(u) phi^(j)(v)] from Mehler's series. */
static void quad_dual_jet(const kpar *kp, jet a, jet b, jet c, const double *ta,
                          const double *tb, jet *G, jet *Gd) {
  const int pair = a.p == 0 && a.r == 0 && b.p == 0 && b.q == 0;
  static const int ij[10][2] = {{0, 0}, {2, 0}, {0, 2}, {1, 1}, {2, 2},
                                {3, 1}, {1, 3}, {3, 3}, {4, 2}, {2, 4}};
  double M[10], rho = series_rho(a.v, b.v, c.v);
  int n = series_terms(kp, rho), K = kp->K, np = Gd ? 10 : 7;
  for (int t = 0; t < np; t++)
    M[t] = series_sum(ta + ij[t][0] * K, tb + ij[t][1] * K, rho, n);
  /* {g, ga, gb, gc, gcc, gac, gbc, gab} */
  double g[8] = {M[0], 0.5 * M[1], 0.5 * M[2], M[3], M[4], 0.5 * M[5], 0.5 * M[6],
                 0.25 * M[4]};
  *G = JC3(g);
  if (Gd) {
    double gd[8] = {M[3], 0.5 * M[5], 0.5 * M[6], M[4], M[7], 0.5 * M[8],
                    0.5 * M[9], 0.25 * M[7]};
    *Gd = JC3(gd);
  }
}

JNTK_INLINE int is_pair(jet a, jet b) {
  return a.p == 0 && a.r == 0 && b.p == 0 && b.q == 0;
}

JNTK_INLINE void dual_jet(const kpar *kp, jet a, jet b, jet c, const double *ta,
                          const double *tb, jet *G, jet *Gd) {
  const int pair = is_pair(a, b);
  switch (kp->act) {
  case ACT_IDENTITY:
  case ACT_RELU:
  case ACT_LEAKY_RELU:
  case ACT_ABS:
    kinked_dual_jet(kink_alpha(kp->act, kp->slope), a, b, c, G, Gd);
    return;
  case ACT_ERF: {
    /* Partials of g = (2/pi) asin(2c / sqrt(uw)), u = 1+2a, w = 1+2b, with
     * R = uw - 4c^2 = 1 + 2a + 2b + 4(ab - c^2):
     *   g_c = (4/pi) R^-1/2 (= gdot), g_a = -(4c/pi) R^-1/2 / u,
     *   g_cc = (16c/pi) R^-3/2, g_ac = -(4w/pi) R^-3/2, g_ab = (4c/pi) R^-3/2,
     * and of gdot: gdot_a = -(4w/pi) R^-3/2, gdot_c = (16c/pi) R^-3/2,
     *   gdot_cc = (16/pi) R^-3/2 + (192 c^2/pi) R^-5/2,
     *   gdot_ac = -(48 c w/pi) R^-5/2, gdot_ab = -(8/pi) R^-3/2 + (12 uw/pi) R^-5/2
     * (checked against the generic jets, finite differences and the shared
     * reference values in the tests). */
    double av = a.v, bv = b.v, cv = c.v, u = 1.0 + 2.0 * av, w = 1.0 + 2.0 * bv;
    double D = av * bv - cv * cv;
    if (D < 0) D = 0;
    double R = 1.0 + 2.0 * (av + bv) + 4.0 * D, r1 = 1.0 / sqrt(R), r3 = r1 / R,
           r5 = r3 / R, k = 2.0 * TWO_OVER_PI; /* 4/pi */
    double gv = TWO_OVER_PI * asin_rho(2.0 * cv, sqrt(R), sqrt(u * w));
    double P[8] = {gv, -k * cv * r1 / u, -k * cv * r1 / w, k * r1,
                   4.0 * k * cv * r3, -k * w * r3, -k * u * r3, k * cv * r3};
    *G = JC3(P);
    if (Gd) {
      double Pd[8] = {k * r1, -k * w * r3, -k * u * r3, 4.0 * k * cv * r3,
                      4.0 * k * r3 + 48.0 * k * cv * cv * r5, -12.0 * k * cv * w * r5,
                      -12.0 * k * cv * u * r5, -2.0 * k * r3 + 3.0 * k * u * w * r5};
      *Gd = JC3(Pd);
    }
    return;
  }
  case ACT_GELU: {
    jet P = jmul(a, b), P1 = jmul(jaffine(a, 1.0, 1.0), jaffine(b, 1.0, 1.0));
    jet d2 = jadd(jaffine(jadd(a, b), 1.0, 1.0), jdet(a, b, c));
    jet dl = jsqrt(d2), al = jatan2(c, dl);
    jet t1 = jdiv(jadd(jmul(c, c), jmul(P, d2)), jmul(P1, dl));
    *G = jadd(jaffine(c, 0.25, 0.0),
              jaffine(jadd(t1, jmul(c, al)), 1.0 / (2.0 * M_PI), 0.0));
    if (Gd) {
      jet br = jadd(jinv(d2), jdiv(jaffine(P, -1.0, 1.0), P1));
      br = jaffine(br, 1.0, 1.0);
      jet f1 = jmul(jdiv(c, dl), br);
      *Gd = jadd(jaffine(al, 1.0 / (2.0 * M_PI), 0.25),
                 jaffine(f1, 1.0 / (2.0 * M_PI), 0.0));
    }
    return;
  }
  case ACT_SIN:
  case ACT_COS: {
    /* E = e^{-(a+b)/2}: S = E sinh c, C = E cosh c (as half-sums that cannot
     * overflow); dS/da = -S/2, dS/dc = C, d2S/dc2 = S, d2S/dadc = -C/2,
     * d2S/dadb = S/4, and the same with S and C exchanged for C. */
    double h = 0.5 * (a.v + b.v), e1 = 0.5 * exp(c.v - h), e2 = 0.5 * exp(-c.v - h);
    double Sv = e1 - e2, Cv = e1 + e2;
    double PS[8] = {Sv, -0.5 * Sv, -0.5 * Sv, Cv, Sv, -0.5 * Cv, -0.5 * Cv, 0.25 * Sv};
    double PC[8] = {Cv, -0.5 * Cv, -0.5 * Cv, Sv, Cv, -0.5 * Sv, -0.5 * Sv, 0.25 * Cv};
    int is_sin = kp->act == ACT_SIN;
    *G = JC3(is_sin ? PS : PC);
    if (Gd) *Gd = JC3(is_sin ? PC : PS);
    return;
  }
  default:
    quad_dual_jet(kp, a, b, c, ta, tb, G, Gd);
  }
}

/* ---------------------------------------------------------------------------
 * Workers (plain C, no R API)
 * ------------------------------------------------------------------------- */

int kernel_is_series(const kpar *kp) {
  return kp->act == ACT_TANH || kp->act == ACT_SOFTPLUS || kp->act == ACT_SIGMOID ||
         kp->act == ACT_SILU;
}

/* Hermite coefficient tables for n points at variances a[0..n-1]:
 * tab[(i * nord + o) * K + k] = E[phi^(o)(sqrt(a_i) z) h_k(z)], o < nord,
 * as one matrix product H^T Phi per block of points (Phi[m, (i,o)] =
 * w_m phi^(o)(sqrt(a_i) z_m)). */
static void series_tables(const kpar *kp, const double *a, int n, int nord,
                          double *tab) {
  int nq = kp->nq, K = kp->K, B = 64, nblock = (n + B - 1) / B;
  int nt = jntk_threads(kp->nthreads, (double) n * nq * K * nord, JNTK_GRAIN_TABLE_FLOPS);
  /* one scratch block per thread; the blocks of points are independent, and
   * each thread calls dgemm on its own block (no R API in the region) */
  double *Phi = (double *) R_alloc((size_t) nq * B * nord * nt, sizeof(double));
JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1))
  for (int ib = 0; ib < nblock; ib++) {
    int tid = jntk_thread_id();
    double *P = Phi + (ptrdiff_t) tid * nq * B * nord;
    double one = 1.0, zero = 0.0, o[5];
    int i0 = ib * B, nb = n - i0 < B ? n - i0 : B, cols = nb * nord;
    for (int i = 0; i < nb; i++) {
      double sa = sqrt(a[i0 + i] > 0 ? a[i0 + i] : 0);
      for (int m = 0; m < nq; m++) {
        act_derivs(kp->act, kp->slope, sa * kp->gz[m], nord - 1, o);
        for (int e = 0; e < nord; e++)
          P[m + (ptrdiff_t) (i * nord + e) * nq] = kp->gw[m] * o[e];
      }
    }
    F77_CALL(dgemm)("T", "N", &K, &cols, &nq, &one, kp->H, &nq, P, &nq, &zero,
                    tab + (ptrdiff_t) i0 * nord * K, &K FCONE FCONE);
  }
}

/* Diagonal recursion a_l = Sigma^l(x, x) for every point: dv[l*n + i] is the
 * value entering layer l + 1 (l = 0..depth-1), dq its derivative in q = |x|^2
 * (only when dq != NULL). For series activations tab receives the
 * coefficient tables of every layer (tab + l * n * nord * K), nord orders. */
void kernel_diagonal(const kpar *kp, const double *q, int n, double *dv,
                     double *dq, int nord, double *tab) {
  int L = kp->depth;
  for (int i = 0; i < n; i++) {
    dv[i] = kp->sw2 * q[i] / kp->d + kp->sb2;
    if (dq) dq[i] = kp->sw2 / kp->d;
  }
  for (int l = 0; l + 1 < L; l++) {
    double *v0 = dv + (ptrdiff_t) l * n, *v1 = dv + (ptrdiff_t) (l + 1) * n;
    double *q0 = dq ? dq + (ptrdiff_t) l * n : NULL, *q1 = dq ? dq + (ptrdiff_t) (l + 1) * n : NULL;
    if (tab) {
      const double *T = tab + (ptrdiff_t) l * n * nord * kp->K;
      series_tables(kp, v0, n, nord, (double *) T);
      for (int i = 0; i < n; i++) {
        const double *t = T + (ptrdiff_t) i * nord * kp->K;
        /* E[phi^2] = sum_k t0_k^2; d/da E[phi(sqrt(a) z)^2] = E[phi'^2] + E[phi phi''] */
        v1[i] = kp->sw2 * series_sum(t, t, 1.0, kp->K) + kp->sb2;
        if (q1)
          q1[i] = kp->sw2 * q0[i] *
                  (series_sum(t + kp->K, t + kp->K, 1.0, kp->K) +
                   series_sum(t, t + 2 * kp->K, 1.0, kp->K));
      }
      continue;
    }
    for (int i = 0; i < n; i++) {
      if (q1) {
        jet a = jconst(v0[i]), G;
        a.q = q0[i];
        dual_jet(kp, a, a, a, NULL, NULL, &G, NULL);
        v1[i] = kp->sw2 * G.v + kp->sb2;
        q1[i] = kp->sw2 * G.q;
      } else {
        double g;
        dual_scalar(kp, v0[i], v0[i], v0[i], NULL, NULL, &g, NULL);
        v1[i] = kp->sw2 * g + kp->sb2;
      }
    }
  }
  if (tab && L > 0) /* tables of the last hidden layer */
    series_tables(kp, dv + (ptrdiff_t) (L - 1) * n, n, nord,
                  tab + (ptrdiff_t) (L - 1) * n * nord * kp->K);
}

/* Per-point diagonal state of one side of a kernel computation. */
typedef struct {
  double *dv, *dq, *tab;
  int nord;
} diagstate;

static diagstate diag_setup(const kpar *kp, const double *q, int n, int jets,
                            int nord) {
  diagstate st;
  int L = kp->depth > 0 ? kp->depth : 1;
  st.nord = nord;
  st.dv = (double *) R_alloc((size_t) L * n, sizeof(double));
  st.dq = jets ? (double *) R_alloc((size_t) L * n, sizeof(double)) : NULL;
  st.tab = kernel_is_series(kp)
               ? (double *) R_alloc((size_t) L * n * nord * kp->K, sizeof(double))
               : NULL;
  kernel_diagonal(kp, q, n, st.dv, st.dq, nord, st.tab);
  return st;
}

JNTK_INLINE const double *tab_at(const kpar *kp, const diagstate *st, int n,
                                   int l, int i) {
  return st->tab ? st->tab + ((ptrdiff_t) l * n + i) * st->nord * kp->K : NULL;
}

/* Columns per block between interrupt checks: about 2^20 pairs. */
static inline int column_chunk(int n1) {
  int ch = (1 << 20) / (n1 > 0 ? n1 : 1);
  return ch < 8 ? 8 : ch;
}

/* Column j of the plain kernels (rows 0..iend-1), for one activation.
 * ACT is a compile-time constant in each instance below. */
#define PLAIN_COLUMN(NAME, ACT)                                                \
  static void NAME(const kpar *kp, const double *gram, const diagstate *s1,    \
                   const diagstate *s2, int n1, int n2, int j, int iend,       \
                   double *nngp, double *ntk) {                                \
    const double sw2 = kp->sw2, sb2 = kp->sb2, cd = kp->sw2 / kp->d;           \
    for (int i = 0; i < iend; i++) {                                           \
      ptrdiff_t ix = i + (ptrdiff_t) j * n1;                                   \
      double c = cd * gram[ix] + sb2, th = c, g, gd;                           \
      for (int l = 0; l < kp->depth; l++) {                                    \
        dual_act(ACT, kp, s1->dv[(ptrdiff_t) l * n1 + i],                      \
                 s2->dv[(ptrdiff_t) l * n2 + j], c, tab_at(kp, s1, n1, l, i),  \
                 tab_at(kp, s2, n2, l, j), &g, ntk ? &gd : NULL);              \
        double cn = sw2 * g + sb2;                                             \
        if (ntk) th = cn + sw2 * gd * th;                                      \
        c = cn;                                                                \
      }                                                                        \
      if (nngp) nngp[ix] = kp->k2 * c;                                         \
      if (ntk) ntk[ix] = kp->k2 * th;                                          \
    }                                                                          \
  }

PLAIN_COLUMN(plain_column_identity, ACT_IDENTITY)
PLAIN_COLUMN(plain_column_relu, ACT_RELU)
PLAIN_COLUMN(plain_column_leaky, ACT_LEAKY_RELU)
PLAIN_COLUMN(plain_column_abs, ACT_ABS)
PLAIN_COLUMN(plain_column_erf, ACT_ERF)
PLAIN_COLUMN(plain_column_gelu, ACT_GELU)
PLAIN_COLUMN(plain_column_sin, ACT_SIN)
PLAIN_COLUMN(plain_column_cos, ACT_COS)
PLAIN_COLUMN(plain_column_series, ACT_COUNT) /* default branch: Hermite series */

typedef void (*plain_column_fn)(const kpar *, const double *, const diagstate *,
                                const diagstate *, int, int, int, int, double *,
                                double *);

static plain_column_fn plain_column_for(int act) {
  switch (act) {
  case ACT_IDENTITY: return plain_column_identity;
  case ACT_RELU: return plain_column_relu;
  case ACT_LEAKY_RELU: return plain_column_leaky;
  case ACT_ABS: return plain_column_abs;
  case ACT_ERF: return plain_column_erf;
  case ACT_GELU: return plain_column_gelu;
  case ACT_SIN: return plain_column_sin;
  case ACT_COS: return plain_column_cos;
  default: return plain_column_series;
  }
}

/* NNGP and/or NTK for all pairs. On entry gram holds x1 x2^T (or, when sym,
 * the upper triangle of x1 x1^T); nngp / ntk may alias gram. */
void kernel_plain_worker(const kpar *kp, const double *gram, const double *q1,
                         const double *q2, int n1, int n2, int sym,
                         double *nngp, double *ntk, int nthreads) {
  diagstate s1 = diag_setup(kp, q1, n1, 0, 2), s2 = s1;
  if (!sym) s2 = diag_setup(kp, q2, n2, 0, 2);
  int nt = jntk_threads(nthreads, (double) n1 * n2 * (kp->depth + 1), JNTK_GRAIN_PAIR_LAYERS),
      ch = column_chunk(n1);
  plain_column_fn column = plain_column_for(kp->act);
  /* blocks of columns, with an interrupt check between blocks (never inside
   * the parallel region) */
  for (int j0 = 0; j0 < n2; j0 += ch) {
    int j1 = j0 + ch < n2 ? j0 + ch : n2;
JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1))
    for (int j = j0; j < j1; j++)
      column(kp, gram, &s1, &s2, n1, n2, j, sym ? j + 1 : n1, nngp, ntk);
    R_CheckUserInterrupt();
  }
  if (sym) {
    if (nngp) jntk_mirror_upper(nngp, nngp, n1, nt);
    if (ntk) jntk_mirror_upper(ntk, ntk, n1, nt);
  }
}

/* The eight scalars of the NNGP (tangent 0) or NTK (tangent 1) for every pair.
 * out is n1 x n2 x 8 (slices F, F_p, F_q, F_r, F_pp, F_pq, F_pr, F_qr); on
 * entry its first slice holds the Gram matrix (upper triangle when sym). */
void kernel_jet_worker(const kpar *kp, const double *q1, const double *q2,
                       int n1, int n2, int sym, int kind, double *out,
                       int nthreads) {
  diagstate s1 = diag_setup(kp, q1, n1, 1, 5), s2 = s1;
  if (!sym) s2 = diag_setup(kp, q2, n2, 1, 5);
  ptrdiff_t S = (ptrdiff_t) n1 * n2;
  int nt = jntk_threads(nthreads, (double) n1 * n2 * (kp->depth + 1), JNTK_GRAIN_JET_LAYERS),
      ch = column_chunk(n1) / 4 + 1;
  for (int j0 = 0; j0 < n2; j0 += ch) {
    int j1 = j0 + ch < n2 ? j0 + ch : n2;
JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1))
    for (int j = j0; j < j1; j++) {
      int iend = sym ? j + 1 : n1;
      for (int i = 0; i < iend; i++) {
        ptrdiff_t ix = i + (ptrdiff_t) j * n1;
        jet c = jconst(kp->sw2 * out[ix] / kp->d + kp->sb2);
        c.p = kp->sw2 / kp->d;
        jet th = c;
        for (int l = 0; l < kp->depth; l++) {
          jet a = jconst(s1.dv[(ptrdiff_t) l * n1 + i]), b = jconst(s2.dv[(ptrdiff_t) l * n2 + j]);
          a.q = s1.dq[(ptrdiff_t) l * n1 + i];
          b.r = s2.dq[(ptrdiff_t) l * n2 + j];
          jet G, Gd;
          dual_jet(kp, a, b, c, tab_at(kp, &s1, n1, l, i), tab_at(kp, &s2, n2, l, j), &G,
                   kind ? &Gd : NULL);
          jet cn = jaffine(G, kp->sw2, kp->sb2);
          if (kind) th = jadd(cn, jaffine(jmul(Gd, th), kp->sw2, 0.0));
          c = cn;
        }
        jet F = kind ? th : c;
        double f[8] = {F.v, F.p, F.q, F.r, F.pp, F.pq, F.pr, F.qr};
        for (int k = 0; k < 8; k++) out[ix + k * S] = kp->k2 * f[k];
      }
    }
    R_CheckUserInterrupt();
  }
  if (sym) {
    /* F(x', x) has q and r swapped: F_q <-> F_r, F_pq <-> F_pr */
    static const int swap[8] = {0, 1, 3, 2, 4, 6, 5, 7};
    for (int k = 0; k < 8; k++) jntk_mirror_upper(out + k * S, out + swap[k] * S, n1, nt);
  }
}

/* Exposed for the test hook kernels_dual(): g and gdot at (a, b, c). */
void kernel_dual_scalar(const kpar *kp, double a, double b, double c, double *g,
                        double *gd) {
  double *ta = NULL, *tb = NULL;
  if (kernel_is_series(kp)) {
    ta = (double *) R_alloc((size_t) 2 * kp->K, sizeof(double));
    tb = (double *) R_alloc((size_t) 2 * kp->K, sizeof(double));
    series_tables(kp, &a, 1, 2, ta);
    series_tables(kp, &b, 1, 2, tb);
  }
  dual_scalar(kp, a, b, c, ta, tb, g, gd);
}
