/* Kernels of activations without a closed form (see series.h for the two
 * methods and their error bounds). */
#include <stdlib.h>
#include <string.h>
#include "jntk.h"
#include "dual.h"
#include "series.h"

const int series_jet_ij[SERIES_NMOM][2] = {{0, 0}, {2, 0}, {0, 2}, {1, 1}, {2, 2},
                                           {3, 1}, {1, 3}, {3, 3}, {4, 2}, {2, 4}};
const int series_plain_ij[2][2] = {{0, 0}, {1, 1}};

static const double fact[9] = {1, 1, 2, 6, 24, 120, 720, 5040, 40320};
#define TWO_PI 6.283185307179586476925286766559
#define EPS 2.220446049250313e-16

/* ---------------------------------------------------------------------------
 * Gauss-Hermite rules (probabilists' weight) by Golub-Welsch: the nodes are
 * the eigenvalues of the Jacobi matrix of He_k (LAPACK dsterf), the weights
 * the Christoffel numbers 1 / sum_k h_k(z)^2, summed with rescaling so that
 * large nodes do not overflow.
 * ------------------------------------------------------------------------- */
static void gh_rule(int n, double *z, double *w) {
  double *e = (double *) R_alloc(n, sizeof(double));
  for (int i = 0; i < n; i++) {
    z[i] = 0.0;
    e[i] = sqrt((double) (i + 1));
  }
  int info = 0;
  F77_CALL(dsterf)(&n, z, e, &info);
  if (info != 0) Rf_error("Gauss-Hermite rule of %d nodes: LAPACK dsterf failed (info %d)", n, info);
  for (int i = 0; i < n / 2; i++) { /* exact symmetry */
    double t = 0.5 * (z[n - 1 - i] - z[i]);
    z[i] = -t;
    z[n - 1 - i] = t;
  }
  if (n % 2) z[n / 2] = 0.0;
  double tot = 0;
  for (int i = 0; i < n; i++) {
    double x = z[i], p0 = 1.0, p1 = x, S = 1.0 + x * x, L = 0.0;
    for (int k = 1; k + 1 < n; k++) {
      double p2 = (x * p1 - sqrt((double) k) * p0) / sqrt((double) (k + 1));
      S += p2 * p2;
      p0 = p1;
      p1 = p2;
      if (S > 1e280) {
        S *= 1e-280;
        p0 *= 1e-140;
        p1 *= 1e-140;
        L += 280.0 * M_LN10;
      }
    }
    w[i] = exp(-log(S) - L);
    tot += w[i];
  }
  for (int i = 0; i < n; i++) w[i] /= tot;
}

void series_gh_rule(int n, double *z, double *w) { gh_rule(n, z, w); }

/* H[m + k nq] = h_k(z_m), k < K: orthonormal Hermite polynomials. */
static void hermite_matrix(int nq, int K, const double *z, double *H) {
  for (int m = 0; m < nq; m++) {
    H[m] = 1.0;
    if (K > 1) H[m + nq] = z[m];
  }
  for (int k = 2; k < K; k++)
    for (int m = 0; m < nq; m++)
      H[m + (ptrdiff_t) k * nq] = (z[m] * H[m + (ptrdiff_t) (k - 1) * nq] -
                                   sqrt((double) (k - 1)) * H[m + (ptrdiff_t) (k - 2) * nq]) /
                                  sqrt((double) k);
}

void series_rule_init(series_rule *sr, int act, double slope, const double *V,
                      const double *wV, int M, const double *Vc, const double *wVc, int Mc,
                      int K, double tol) {
  if (M < 1 || M > SERIES_MMAX) Rf_error("mixture rule must have 1..%d nodes", SERIES_MMAX);
  if (Mc < 1 || Mc > SERIES_MCOEF) Rf_error("coefficient rule must have 1..%d nodes", SERIES_MCOEF);
  if (K < 8 || K > 128) Rf_error("series terms must be in 8..128");
  sr->act = act;
  sr->slope = slope;
  /* tanh(x) = E[sgn(x + V e)]; the others smooth a kink by L = 2 V e, and
   * are twice as wide as tanh (their poles are at i pi, tanh's at i pi/2) */
  double sc = act == ACT_TANH ? 1.0 : 4.0;
  sr->aeff = act == ACT_TANH ? 1.0 : 0.25;
  sr->M = M;
  for (int m = 0; m < M; m++) {
    sr->s[m] = sc * V[m] * V[m];
    sr->w[m] = wV[m];
  }
  sr->Mc = Mc;
  for (int m = 0; m < Mc; m++) {
    sr->sc[m] = sc * Vc[m] * Vc[m];
    sr->wc[m] = wVc[m];
  }
  /* E[relu^(p)(y) h_k(y)] = sqrt((k+p)!/k!) r_{k+p}, r_j = E[relu(y) h_j(y)]:
   * r_0 = 1/sqrt(2 pi), r_1 = 1/2, r_j = phi(0) He_{j-2}(0) / sqrt(j!) */
  double r[SERIES_KMIX + 8];
  r[0] = 0.398942280401432677939946059934;
  r[1] = 0.5;
  for (int j = 2; j < SERIES_KMIX + 8; j++) {
    if (j % 2) r[j] = 0.0;
    else if (j == 2) r[j] = r[0] / sqrt(2.0);
    else r[j] = r[j - 2] * (-(double) (j - 3)) / sqrt((double) j * (j - 1));
  }
  for (int k = 0; k < SERIES_KMIX; k++)
    for (int p = 0; p < 7; p++) {
      double f = 1.0;
      for (int t = 1; t <= p; t++) f *= (double) (k + t);
      sr->cr[k][p] = sqrt(f) * r[k + p];
    }
  sr->K = K;
  /* rule sizes and the largest a_eff each keeps accurate to ~3e-14
   * (calibrated against 3000-node rules; tests check the kernels) */
  static const int nq[SERIES_NLAD] = {128, 256, 512, 1024};
  static const double amax[SERIES_NLAD] = {0.2, 0.6, 1.5, 4.0};
  for (int r = 0; r < SERIES_NLAD; r++) {
    sr->nq[r] = nq[r];
    sr->amax[r] = amax[r];
    sr->z[r] = sr->wq[r] = sr->H[r] = NULL; /* built on first use */
  }
  sr->tau = 1e-3 * tol;
  sr->log_tau = log(sr->tau);
  sr->eps_mehler = 5e-14;
  sr->eps_mix = 3e-14;
  sr->fail_tol = 0.1 * tol;
  sr->ufun = R_NilValue;
  sr->ugiven = 0;
  for (int k = 0; k < SERIES_KUSER; k++) {
    double f = 1.0;
    for (int t = 0; t < 5; t++) {
      sr->cs[t][k] = sqrt(f);
      f *= (double) (k + t + 1);
    }
  }
}

/* The Gauss-Hermite rules are built once per process (on the main thread,
 * before any parallel region) and kept: 30 kB for the four sizes. */
static double *gh_cache_z[SERIES_NLAD], *gh_cache_w[SERIES_NLAD];

static void rule_build(series_rule *sr, int r) {
  if (sr->z[r]) return;
  int nq = sr->nq[r];
  if (!gh_cache_z[r]) {
    double *z = (double *) R_alloc(nq, sizeof(double)), *w = (double *) R_alloc(nq, sizeof(double));
    gh_rule(nq, z, w);
    double *cz = (double *) malloc(sizeof(double) * nq), *cw = (double *) malloc(sizeof(double) * nq);
    if (!cz || !cw) {
      free(cz);
      free(cw);
      Rf_error("cannot allocate a Gauss-Hermite rule of %d nodes", nq);
    }
    memcpy(cz, z, sizeof(double) * nq);
    memcpy(cw, w, sizeof(double) * nq);
    gh_cache_z[r] = cz;
    gh_cache_w[r] = cw;
  }
  sr->z[r] = gh_cache_z[r];
  sr->wq[r] = gh_cache_w[r];
  sr->H[r] = (double *) R_alloc((size_t) nq * sr->K, sizeof(double));
  hermite_matrix(nq, sr->K, sr->z[r], sr->H[r]);
}

void series_rule_prepare(series_rule *sr) {
  for (int r = 0; r < SERIES_NLAD; r++) rule_build(sr, r);
}

/* ---------------------------------------------------------------------------
 * Relu moments M(p, q) = E[relu^(p)(U) relu^(q)(W)], (U, W) ~ N(0, [[A, c],
 * [c, B]]), D = AB - c^2 > 0, p = q mod 2. Low orders in closed form (Price's
 * theorem on the arc-cosine kernel); for p, q >= 2 the derivatives of the
 * bivariate density at the origin, from the Taylor coefficients of
 * exp(-(B x^2 - 2c xy + A y^2) / 2D):
 *   D_{m,n} = m! n! (-1/2D)^k / (2 pi sqrt D)
 *             sum_j B^i (-2c)^j A^l / (i! j! l!),  k = (m+n)/2,
 *   i = (m - j)/2, l = (n - j)/2, j = m mod 2, ..., min(m, n).
 * ------------------------------------------------------------------------- */
static double ipow(double x, int k) {
  double r = 1.0;
  for (int i = 0; i < k; i++) r *= x;
  return r;
}

static double relu_D(int m, int n, double A, double B, double c, double D, double sD) {
  int k = (m + n) / 2, jm = m < n ? m : n;
  double sum = 0.0;
  for (int j = m & 1; j <= jm; j += 2) {
    int i = (m - j) / 2, l = (n - j) / 2;
    sum += ipow(B, i) * ipow(-2.0 * c, j) * ipow(A, l) / (fact[i] * fact[j] * fact[l]);
  }
  return fact[m] * fact[n] * ipow(-0.5 / D, k) * sum / (TWO_PI * sD);
}

typedef struct {
  double A, B, c, D, sD, asr;
} node;

static double relu_M(int p, int q, const node *x) {
  double A = x->A, B = x->B, c = x->c, sD = x->sD;
  if (p < q) {
    int t = p;
    p = q;
    q = t;
    A = x->B;
    B = x->A;
  }
  if (q >= 2) return relu_D(p - 2, q - 2, A, B, c, x->D, sD);
  if (q == 0) {
    if (p == 0) return (sD + c * (M_PI_2 + x->asr)) / TWO_PI;
    if (p == 2) return sD / (TWO_PI * A);
    return (2.0 * c * c - A * B) / (TWO_PI * A * A * sD); /* p = 4 */
  }
  if (p == 1) return 0.25 + x->asr / TWO_PI;
  if (p == 3) return -c / (TWO_PI * A * sD);
  return c * (3.0 * A * B - 2.0 * c * c) / (TWO_PI * A * A * x->D * sD); /* p = 5 */
}

/* relu moments needed for activation moment (i, j): up to four (p, q) with
 * coefficients 1, -t, -s, st (silu) */
static int relu_terms(int act, int i, int j, int (*pq)[2]) {
  switch (act) {
  case ACT_SOFTPLUS:
    pq[0][0] = i; pq[0][1] = j;
    return 1;
  case ACT_SIGMOID:
  case ACT_TANH:
    pq[0][0] = i + 1; pq[0][1] = j + 1;
    return 1;
  default: /* silu */
    pq[0][0] = i; pq[0][1] = j;
    pq[1][0] = i; pq[1][1] = j + 2;
    pq[2][0] = i + 2; pq[2][1] = j;
    pq[3][0] = i + 2; pq[3][1] = j + 2;
    return 4;
  }
}

double series_mixture(const series_rule *sr, double a, double b, double c, double D,
                      double Derr, int nm, const int (*ij)[2], double *mo,
                      const double *scale, const double *ref) {
  int M = sr->M, act = sr->act;
  double sa[SERIES_MMAX], sb[SERIES_MMAX], acc[SERIES_NMOM + 8], mag[SERIES_NMOM + 8];
  /* sensitivity to the gap: M(p, q) ~ D^-(p+q-3)/2 for p, q >= 2; the low
   * orders depend on D through sqrt(D) (relative error <= 0.75 dD/D) */
  int need[7][7] = {{0}};
  double sens = 0.75;
  for (int t = 0; t < nm; t++) {
    int pq[4][2], nt = relu_terms(act, ij[t][0], ij[t][1], pq);
    for (int u = 0; u < nt; u++) {
      need[pq[u][0]][pq[u][1]] = 1;
      double e = 0.5 * (pq[u][0] + pq[u][1] - 3);
      if (pq[u][0] >= 2 && pq[u][1] >= 2 && e > sens) sens = e;
    }
    acc[t] = mag[t] = 0.0;
  }
  if (!(a > 0)) a = 0.0; /* a variance computed by cancellation may be -0 or -1e-30 */
  if (!(b > 0)) b = 0.0;
  if (c * c > a * b) c = c > 0 ? sqrt(a * b) : -sqrt(a * b);
  if (D < 0) D = 0;
  for (int m = 0; m < M; m++) {
    sa[m] = sqrt(a + sr->s[m]);
    sb[m] = sqrt(b + sr->s[m]);
  }
  double R[7][7];
  for (int m = 0; m < M; m++) {
    for (int n = 0; n < M; n++) {
      double s1 = sr->s[m], s2 = sr->s[n], W = sr->w[m] * sr->w[n];
      node x;
      x.A = a + s1;
      x.B = b + s2;
      x.c = c;
      x.D = D + a * s2 + b * s1 + s1 * s2; /* AB - c^2 without cancellation */
      x.sD = sqrt(x.D);
      x.asr = asin_rho(c, x.sD, sa[m] * sb[n]);
      for (int p = 0; p < 7; p++)
        for (int q = 0; q < 7; q++)
          if (need[p][q]) R[p][q] = relu_M(p, q, &x);
      for (int t = 0; t < nm; t++) {
        int i = ij[t][0], j = ij[t][1];
        double v;
        if (act == ACT_SOFTPLUS) v = R[i][j];
        else if (act == ACT_SILU)
          v = R[i][j] - s2 * R[i][j + 2] - s1 * R[i + 2][j] + s1 * s2 * R[i + 2][j + 2];
        else if (act == ACT_TANH && i == 0 && j == 0)
          v = x.asr / TWO_PI; /* 4 M(1,1) - 1 = (2/pi) asin: no cancellation */
        else v = R[i + 1][j + 1];
        acc[t] += W * v;
        mag[t] += W * (act == ACT_SILU ? fabs(R[i][j]) + s2 * fabs(R[i][j + 2]) +
                                              s1 * fabs(R[i + 2][j]) +
                                              s1 * s2 * fabs(R[i + 2][j + 2])
                                        : fabs(v));
      }
    }
  }
  /* error per moment: the quadrature's (relative to the integrand's size),
   * the rounding of the sum and of D when it came from a subtraction */
  double smin = sr->s[0];
  for (int m = 1; m < M; m++) smin = sr->s[m] < smin ? sr->s[m] : smin;
  double Dmin = D + (a + b) * smin + smin * smin, rel = 0.0;
  double per = sr->eps_mix + 32.0 * EPS + sens * Derr / Dmin;
  for (int t = 0; t < nm; t++) {
    mo[t] = acc[t];
    double err = per * mag[t];
    if (act == ACT_TANH) {
      mo[t] = 4.0 * acc[t];
      err = 4.0 * err;
    }
    double sc = scale ? scale[t] : fabs(mo[t]);
    if (scale && !(sc > 0)) { /* |E[f g]| <= sqrt(E[f^2] E[g^2]) = 0 */
      mo[t] = 0.0;
      continue;
    }
    double rf = ref ? ref[t] : sc;
    double r = rf > 0 ? err / rf : 0.0;
    if (r > rel) rel = r;
  }
  return rel;
}

/* ---------------------------------------------------------------------------
 * Per-point tables and diagonal moments
 * ------------------------------------------------------------------------- */

void series_side_finish(series_side *sd) {
  for (int o = 0; o < sd->nord; o++) {
    double m = 0.0;
    for (int i = 0; i < sd->n; i++) m = sd->nrm[i * sd->nord + o] > m ? sd->nrm[i * sd->nord + o] : m;
    sd->nmax[o] = m;
  }
}

int series_terms_for(const series_rule *sr, double rmax) {
  /* an R-function activation sums its diagonal pairs by Mehler too */
  if (!(rmax < 1.0) || sr->act == ACT_USER) return sr->K;
  double t = rmax < 1e-300 ? 1.0 : sr->log_tau / log(rmax) + 2.0;
  int K = t > sr->K ? sr->K : (int) t;
  return K < 16 ? (16 < sr->K ? 16 : sr->K) : K;
}

double series_side_doubles(int n, int nord, int K) {
  return (double) n * nord * (K + 3);
}

void series_side_alloc(series_side *sd, int n, int nord, int K) {
  sd->n = n;
  sd->nord = nord;
  sd->K = K;
  sd->tab = (double *) R_alloc((size_t) n * nord * K, sizeof(double));
  sd->nrm = (double *) R_alloc((size_t) n * nord, sizeof(double));
  sd->tail = (double *) R_alloc((size_t) n * nord * SERIES_NCHK, sizeof(double));
  sd->tabbed = (int *) R_alloc(n, sizeof(int));
  sd->cerr = NULL;
}

void series_side_fill(const kpar *kp, const double *v, const double *dv, int i0, int i1,
                      series_side *sd, double *vn, double *dvn, int nthreads) {
  series_rule *sr = kp->sr;
  if (sr->act == ACT_USER) {
    series_user_fill(kp, v, dv, i0, i1, sd, vn, dvn, nthreads);
    return;
  }
  int K = sd->K, nord = sd->nord, n = i1 - i0;
  if (n <= 0) return;
  int *cls = (int *) R_alloc(n, sizeof(int));
  double *e02 = (double *) R_alloc(n, sizeof(double)); /* E[phi phi''] */
  /* the smallest rule that keeps a point's coefficients accurate */
  for (int i = i0; i < i1; i++) {
    double ae = sr->aeff * (v[i] > 0 ? v[i] : 0.0);
    int cl = -1;
    for (int r = SERIES_NLAD - 1; r >= 0; r--)
      if (ae <= sr->amax[r]) cl = r;
    cls[i - i0] = cl;
    sd->tabbed[i] = cl >= 0 ? K : (SERIES_KMIX < K ? SERIES_KMIX : K);
  }
  /* points beyond the tables: exact diagonal moments E[phi^(o)^2] and
   * E[phi phi''] by the mixture */
  int nt = jntk_threads(nthreads, (double) n * sr->M * sr->M * nord, JNTK_GRAIN_TABLE_FLOPS);
  JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 16))
  for (int i = i0; i < i1; i++) {
    if (cls[i - i0] >= 0) continue;
    int ij[7][2], cnt = 0;
    for (int o = 0; o < nord; o++) {
      ij[cnt][0] = o;
      ij[cnt][1] = o;
      cnt++;
    }
    ij[cnt][0] = 0;
    ij[cnt][1] = 2;
    cnt++;
    double mo[8], a = v[i] > 0 ? v[i] : 0.0;
    series_mixture(sr, a, a, a, 0.0, 0.0, cnt, (const int (*)[2]) ij, mo, NULL, NULL);
    for (int o = 0; o < nord; o++) sd->nrm[i * nord + o] = sqrt(mo[o] > 0 ? mo[o] : 0.0);
    e02[i - i0] = mo[nord];
    /* the first SERIES_KMIX Hermite coefficients from the mixture: with
     * R(x; s) = E[relu(x + sqrt(s) e)] and r = sqrt(a / (a + s)),
     * E[R^(p)(sqrt(a) z) h_k(z)] = r^k (a + s)^((1-p)/2) E[relu^(p) h_k] */
    int kt = SERIES_KMIX < K ? SERIES_KMIX : K;
    for (int o = 0; o < nord; o++) {
      double *t = sd->tab + ((ptrdiff_t) i * nord + o) * K;
      for (int k = 0; k < K; k++) t[k] = 0.0;
      for (int m = 0; m < sr->Mc; m++) {
        double s = sr->sc[m], As = a + s, rk = 1.0, rr = sqrt(a / As), w = sr->wc[m];
        double p0 = pow(As, 0.5 * (1 - o)), p1 = p0 / sqrt(As), p2 = p1 / sqrt(As);
        for (int k = 0; k < kt; k++) {
          double c;
          switch (sr->act) {
          case ACT_SOFTPLUS: c = p0 * sr->cr[k][o]; break;
          case ACT_SIGMOID: c = p1 * sr->cr[k][o + 1]; break;
          case ACT_TANH: c = 2.0 * p1 * sr->cr[k][o + 1]; break;
          default: c = p0 * sr->cr[k][o] - s * p2 * sr->cr[k][o + 2]; /* silu */
          }
          t[k] += w * rk * c;
          rk *= rr;
        }
      }
      if (sr->act == ACT_TANH && o == 0) t[0] -= 1.0;
    }
  }
  /* tables, class by class, in blocks of points (one dgemm per block); the
   * diagonal moments of these points on the same nodes (so that the tails
   * below are discrete-Parseval consistent) */
  const int B = 32;
  int *idx = (int *) R_alloc(n, sizeof(int));
  for (int r = 0; r < SERIES_NLAD; r++) {
    int cnt = 0;
    for (int i = 0; i < n; i++)
      if (cls[i] == r) idx[cnt++] = i0 + i;
    if (!cnt) continue;
    rule_build(sr, r);
    int nq = sr->nq[r], nblock = (cnt + B - 1) / B;
    int ntb = jntk_threads(nthreads, (double) cnt * nq * K * nord, JNTK_GRAIN_TABLE_FLOPS);
    double *Phi = (double *) R_alloc((size_t) nq * B * nord * ntb, sizeof(double));
    double *Tb = (double *) R_alloc((size_t) K * B * nord * ntb, sizeof(double));
    const double *z = sr->z[r], *wq = sr->wq[r], *H = sr->H[r];
    JNTK_OMP(parallel for num_threads(ntb) schedule(dynamic, 1))
    for (int ib = 0; ib < nblock; ib++) {
      int tid = jntk_thread_id();
      double *P = Phi + (ptrdiff_t) tid * nq * B * nord, *T = Tb + (ptrdiff_t) tid * K * B * nord;
      double one = 1.0, zero = 0.0, o5[5];
      int i0b = ib * B, nb = cnt - i0b < B ? cnt - i0b : B, cols = nb * nord, KK = K, NQ = nq;
      for (int u = 0; u < nb; u++) {
        int i = idx[i0b + u];
        double sa = sqrt(v[i] > 0 ? v[i] : 0.0), E[5] = {0, 0, 0, 0, 0}, E02 = 0.0;
        for (int m = 0; m < nq; m++) {
          act_derivs(sr->act, sr->slope, sa * z[m], nord - 1, o5);
          for (int e = 0; e < nord; e++) {
            P[m + (ptrdiff_t) (u * nord + e) * nq] = wq[m] * o5[e];
            E[e] += wq[m] * o5[e] * o5[e];
          }
          E02 += wq[m] * o5[0] * o5[2];
        }
        for (int e = 0; e < nord; e++) sd->nrm[i * nord + e] = sqrt(E[e]);
        e02[i - i0] = E02;
      }
      F77_CALL(dgemm)("T", "N", &KK, &cols, &NQ, &one, H, &NQ, P, &NQ, &zero, T, &KK FCONE FCONE);
      for (int u = 0; u < nb; u++)
        memcpy(sd->tab + (ptrdiff_t) idx[i0b + u] * nord * K, T + (ptrdiff_t) u * nord * K,
               sizeof(double) * nord * K);
    }
  }
  for (int i = i0; i < i1; i++) {
    /* next variances: sigma_w^2 E[phi^2] + sigma_b^2 and the derivative
     * sigma_w^2 (E[phi'^2] + E[phi phi'']) dv (Price's theorem) */
    double e00 = sd->nrm[i * nord], e11 = sd->nrm[i * nord + 1];
    vn[i] = kp->sw2 * e00 * e00 + kp->sb2;
    if (dvn) dvn[i] = kp->sw2 * (e11 * e11 + e02[i - i0]) * dv[i];
    /* L2 tails after 16, 32, 64 and K terms: the discrete norm minus the
     * tabulated squares, floored at the rounding of that difference */
    for (int o = 0; o < nord; o++) {
      double E = sd->nrm[i * nord + o], S = 0.0, fl;
      E *= E;
      fl = 16.0 * EPS * E;
      double *T = sd->tail + ((ptrdiff_t) i * nord + o) * SERIES_NCHK;
      const double *t = sd->tab + ((ptrdiff_t) i * nord + o) * K;
      int k = 0;
      for (int c = 0; c < SERIES_NCHK; c++) {
        int kc = c < SERIES_NCHK - 1 ? (16 << c) : K;
        if (kc > K) kc = K;
        for (; k < kc && k < sd->tabbed[i]; k++) S += t[k] * t[k];
        double T2 = E - S;
        T[c] = sqrt(T2 > fl ? T2 : fl);
      }
    }
  }
}

/* ---------------------------------------------------------------------------
 * One pair
 * ------------------------------------------------------------------------- */

double series_pair(const series_rule *sr, const series_side *s1, int i,
                   const series_side *s2, int j, double a, double b, double c, double D,
                   double Derr, int nm, const int (*ij)[2], double *mo) {
  {
    /* both sides' tables hold at least K terms */
    int nord = s1->nord, K = s1->tabbed[i] < s2->tabbed[j] ? s1->tabbed[i] : s2->tabbed[j];
    int Kt = s1->K;                 /* the tables' stride */
    double rho = (a > 0 && b > 0) ? c / sqrt(a * b) : 0.0;
    if (rho > 1) rho = 1;
    if (rho < -1) rho = -1;
    double ar = fabs(rho);
    int nt = K + 1;
    if (ar < 1e-300) nt = 1;
    else if (ar < 1.0) {
      double t = sr->log_tau / log(ar) + 1.0;
      if (t < K) nt = (int) t + 1;
    }
    /* the Cauchy-Schwarz bound on the tail: the first checkpoint where
     * |rho|^n T_A(n) T_B(n) <= tau |A| |B| for every moment */
    const double *n1 = s1->nrm + (ptrdiff_t) i * nord, *n2 = s2->nrm + (ptrdiff_t) j * nord;
    double r2 = ar * ar, r4 = r2 * r2, r8 = r4 * r4, rp = r8 * r8; /* |rho|^16 */
    for (int c = 0; c < SERIES_NCHK; c++) {
      /* the checkpoints of the tables (series_side_fill()), within both
       * sides' valid terms */
      int kc = c < SERIES_NCHK - 1 ? (16 << c) : Kt;
      if (kc > Kt) kc = Kt;
      if (kc > K || kc >= nt) break;
      double rK = kc == (16 << c) ? rp : pow(ar, kc);
      rp *= rp;
      int ok = 1;
      for (int t = 0; t < nm && ok; t++) {
        int o = ij[t][0], p = ij[t][1];
        const double *t1 = s1->tail + ((ptrdiff_t) i * nord + o) * SERIES_NCHK,
                     *t2 = s2->tail + ((ptrdiff_t) j * nord + p) * SERIES_NCHK;
        if (!(rK * t1[c] * t2[c] <= sr->tau * n1[o] * n2[p])) ok = 0;
      }
      if (ok) {
        nt = kc;
        break;
      }
    }
    /* an R-function activation has no second method: K terms and the
     * bound on the rest */
    int over = 0;
    if (nt > K && sr->act == ACT_USER) {
      over = 1;
      nt = K;
    }
    if (nt <= K) {
      const double *A = s1->tab + (ptrdiff_t) i * nord * Kt, *Bt = s2->tab + (ptrdiff_t) j * nord * Kt;
      const double *ce1 = s1->cerr ? s1->cerr + (ptrdiff_t) i * nord : NULL,
                   *ce2 = s2->cerr ? s2->cerr + (ptrdiff_t) j * nord : NULL;
      double rk[SERIES_KUSER]; /* K <= 128, SERIES_KUSER for R functions */
      rk[0] = 1.0;
      for (int k = 1; k < nt; k++) rk[k] = rk[k - 1] * rho;
      double acc[SERIES_NMOM];
      for (int t = 0; t < nm; t++) { /* dot products: vectorised */
        const double *x = A + ij[t][0] * Kt, *y = Bt + ij[t][1] * Kt;
        double s0 = 0.0, s1v = 0.0;
        int k = 0;
        for (; k + 1 < nt; k += 2) {
          s0 += x[k] * y[k] * rk[k];
          s1v += x[k + 1] * y[k + 1] * rk[k + 1];
        }
        if (k < nt) s0 += x[k] * y[k] * rk[k];
        acc[t] = s0 + s1v;
      }
      double uerr[SERIES_NMOM];
      for (int t = 0; t < nm; t++) uerr[t] = 0.0;
      if (ce1 && ce2) {
        /* the coefficients' own errors, |dA_k| <= e1 cs[s1][k] (and B's),
         * through the sum: sum_k (|dA_k| |B_k| + |A_k| |dB_k| + |dA_k dB_k|) |rho|^k */
        for (int t = 0; t < nm; t++) {
          int o = ij[t][0], p = ij[t][1];
          const double *x = A + o * Kt, *y = Bt + p * Kt;
          const double *c1 = sr->cs[series_user_shift(sr, o)], *c2 = sr->cs[series_user_shift(sr, p)];
          double e1 = ce1[o], e2 = ce2[p], s = 0.0;
          for (int k = 0; k < nt; k++)
            s += (e1 * c1[k] * (fabs(y[k]) + e2 * c2[k]) + e2 * c2[k] * fabs(x[k])) * fabs(rk[k]);
          uerr[t] = s;
          if (over)
            uerr[t] += pow(ar, Kt) * s1->tail[((ptrdiff_t) i * nord + o) * SERIES_NCHK + SERIES_NCHK - 1] *
                       s2->tail[((ptrdiff_t) j * nord + p) * SERIES_NCHK + SERIES_NCHK - 1];
        }
      }
      double rel = 0.0;
      for (int t = 0; t < nm; t++) {
        mo[t] = acc[t];
        double sc = s1->nrm[(ptrdiff_t) i * nord + ij[t][0]] * s2->nrm[(ptrdiff_t) j * nord + ij[t][1]],
               mx = s1->nmax[ij[t][0]] * s2->nmax[ij[t][1]];
        double r = mx > 0 ? ((sr->tau + sr->eps_mehler) * sc + uerr[t]) / mx : 0.0;
        if (!(uerr[t] <= 1e300)) r = INFINITY; /* an order that cannot be derived */
        if (r > rel) rel = r;
      }
      return rel;
    }
  }
  double scale[SERIES_NMOM], mx[SERIES_NMOM];
  for (int t = 0; t < nm; t++) {
    scale[t] = s1->nrm[(ptrdiff_t) i * s1->nord + ij[t][0]] * s2->nrm[(ptrdiff_t) j * s2->nord + ij[t][1]];
    mx[t] = s1->nmax[ij[t][0]] * s2->nmax[ij[t][1]];
  }
  return series_mixture(sr, a, b, c, D, Derr, nm, ij, mo, scale, mx);
}
