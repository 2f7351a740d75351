/* Tables of an activation given as an R function (mlp(activation = <function>)).
 *
 * The series machinery (series.h, method 1) needs, per point of variance a
 * and order o, the Hermite coefficients A_{o,k} = E[phi^(o)(sqrt(a) z) h_k(z)],
 * the norm E[phi^(o)(sqrt(a) z)^2] and the L2 tails of the table. Here phi
 * (and the derivatives the user supplied) are evaluated by R, once per rule
 * and layer for all points of a block, on the nodes sqrt(a) z_m of a
 * Gauss-Hermite rule; the discrete transform of all nq coefficients gives
 * the table, the norm (discrete Parseval) and the tails exactly for the
 * interpolant. Orders the user did not supply follow from the highest
 * supplied order p by Gaussian integration by parts,
 *   E[phi'(sqrt(a) z) h_k(z)] = sqrt((k + 1) / a) E[phi(sqrt(a) z) h_{k+1}(z)],
 * so A_{o,k} = cs[s][k] a^(-s/2) A_{p,k+s}, s = o - p (series.h).
 *
 * Error estimate: each point starts on the 256-node rule and is compared
 * with the next rule (512, 1024, 2048 nodes); it settles on the finer of
 * the first two consecutive rules whose coefficients agree to rounding (or
 * on the finest), and the largest difference between those two, floored at
 * the rounding of a coefficient, bounds the error of every coefficient of
 * the supplied orders; integration by parts multiplies it by
 * cs[s][k] a^(-s/2), which series_pair() carries through Mehler's sum. An
 * order derived at a = 0 cannot be had from phi: its error is infinite, and
 * the kernels stop with the accuracy error (supply the derivatives). There
 * is no second method for the pairs whose tail bound Mehler's sum cannot
 * meet (large variances next to the diagonal): they get K terms and the
 * bound on the rest, and the call stops if that exceeds the tolerance. */
#include <string.h>
#include "jntk.h"
#include "series.h"

#define EPS 2.220446049250313e-16
#define NU 4 /* user ladder: 256, 512, 1024, 2048 nodes */

void series_user_attach(series_rule *sr, SEXP fun, int given) {
  if (!Rf_isFunction(fun)) Rf_error("'rule[[5]]' must be the activation's evaluator (a function)");
  if (given < 1 || given > 5) Rf_error("'rule[[6]]' (orders supplied) must be in 1..5");
  sr->ufun = fun;
  sr->ugiven = given;
  sr->K = SERIES_KUSER; /* no second method: more terms instead */
}

int series_user_shift(const series_rule *sr, int o) {
  int p = o < sr->ugiven - 1 ? o : sr->ugiven - 1;
  return o - p;
}

/* Gauss-Hermite rules of the ladder and psi_k(z_m) = sqrt(w_m) h_k(z_m)
 * (the rows of an orthogonal matrix, so they neither overflow nor lose the
 * small weights), nq x nq, built per call on first use (main thread). */
typedef struct {
  int nq;
  double *z, *sw, *Psi;
} user_rule;

static void user_rule_build(user_rule *ur, int nq) {
  if (ur->Psi) return;
  ur->nq = nq;
  ur->z = (double *) R_alloc(nq, sizeof(double));
  ur->sw = (double *) R_alloc(nq, sizeof(double));
  double *w = (double *) R_alloc(nq, sizeof(double));
  series_gh_rule(nq, ur->z, w);
  for (int m = 0; m < nq; m++) ur->sw[m] = sqrt(w[m]);
  ur->Psi = (double *) R_alloc((size_t) nq * nq, sizeof(double));
  double *P = ur->Psi;
  for (int m = 0; m < nq; m++) {
    P[m] = ur->sw[m];
    if (nq > 1) P[m + nq] = ur->z[m] * ur->sw[m];
  }
  for (int k = 2; k < nq; k++)
    for (int m = 0; m < nq; m++)
      P[m + (ptrdiff_t) k * nq] = (ur->z[m] * P[m + (ptrdiff_t) (k - 1) * nq] -
                                   sqrt((double) (k - 1)) * P[m + (ptrdiff_t) (k - 2) * nq]) /
                                  sqrt((double) k);
}

/* phi^(o), o < G, at sqrt(v_i) z_m for the cnt points idx, by the R
 * closure: out[(u G + o) nq + m] (so that each column of nq values is one
 * point's order), scaled by sqrt(w_m) for the transform. */
static void user_eval(const series_rule *sr, const user_rule *ur, const double *v,
                      const int *idx, int cnt, int G, double *out) {
  int nq = ur->nq;
  R_xlen_t nx = (R_xlen_t) cnt * nq;
  SEXP x = PROTECT(Rf_allocVector(REALSXP, nx));
  double *px = REAL(x);
  for (int u = 0; u < cnt; u++) {
    double sa = sqrt(v[idx[u]] > 0 ? v[idx[u]] : 0.0);
    for (int m = 0; m < nq; m++) px[(ptrdiff_t) u * nq + m] = sa * ur->z[m];
  }
  SEXP g = PROTECT(Rf_ScalarInteger(G));
  SEXP call = PROTECT(Rf_lang3(sr->ufun, x, g));
  SEXP y = PROTECT(Rf_eval(call, R_GlobalEnv));
  if (!Rf_isReal(y) || XLENGTH(y) != nx * G)
    Rf_error("the activation's evaluator must return %.0f doubles", (double) nx * G);
  const double *py = REAL(y);
  for (int u = 0; u < cnt; u++)
    for (int o = 0; o < G; o++)
      for (int m = 0; m < nq; m++) {
        double f = py[(ptrdiff_t) o * nx + (ptrdiff_t) u * nq + m];
        if (!R_FINITE(f)) Rf_error("the activation returned a non-finite value");
        out[((ptrdiff_t) u * G + o) * nq + m] = ur->sw[m] * f;
      }
  UNPROTECT(4);
}

void series_user_fill(const kpar *kp, const double *v, const double *dv, int i0, int i1,
                      series_side *sd, double *vn, double *dvn, int nthreads) {
  const series_rule *sr = kp->sr;
  int K = sd->K, nord = sd->nord, n = i1 - i0, G = sr->ugiven;
  if (n <= 0) return;
  if (G > nord) G = nord;
  int need = nord > 3 ? nord : 3; /* E[phi phi''] for the diagonal's derivative */
  if (!sd->cerr) sd->cerr = (double *) R_alloc((size_t) sd->n * nord, sizeof(double));
  user_rule ur[NU];
  for (int r = 0; r < NU; r++) ur[r].Psi = NULL;
  int *act = (int *) R_alloc(n, sizeof(int));
  double *prev = NULL, *eps_p = (double *) R_alloc((size_t) n * G, sizeof(double));
  int nprev = 0, cnt = n;
  for (int u = 0; u < n; u++) act[u] = i0 + u;
  double *coef = NULL; /* the settled coefficients: per point, G x nq */
  for (int r = 0; r < NU && cnt > 0; r++) {
    int nq = 256 << r;
    user_rule_build(&ur[r], nq);
    double *P = (double *) R_alloc((size_t) nq * cnt * G, sizeof(double));
    double *C = (double *) R_alloc((size_t) nq * cnt * G, sizeof(double));
    user_eval(sr, &ur[r], v, act, cnt, G, P);
    int cols = cnt * G, NQ = nq;
    double one = 1.0, zero = 0.0;
    F77_CALL(dgemm)("T", "N", &NQ, &cols, &NQ, &one, ur[r].Psi, &NQ, P, &NQ, &zero, C, &NQ FCONE FCONE);
    /* compare with the previous rule: settle the points that agree */
    int keep = 0;
    double *keepP = r + 1 < NU ? (double *) R_alloc((size_t) nq * cnt * G, sizeof(double)) : NULL;
    int *keepi = (int *) R_alloc(cnt, sizeof(int));
    for (int u = 0; u < cnt; u++) {
      int i = act[u], settle = r == NU - 1, ok = r > 0;
      const double *c = C + (ptrdiff_t) u * G * nq;
      double e[5];
      for (int o = 0; o < G; o++) {
        const double *cn = c + (ptrdiff_t) o * nq;
        double E = 0.0, dm = 0.0;
        for (int k = 0; k < nq; k++) E += cn[k] * cn[k];
        if (r > 0) {
          const double *cp = prev + ((ptrdiff_t) u * G + o) * nprev;
          for (int k = 0; k < nprev; k++) {
            double d = fabs(cn[k] - cp[k]);
            if (d > dm) dm = d;
          }
          for (int k = nprev; k < nq; k++) dm = fabs(cn[k]) > dm ? fabs(cn[k]) : dm;
        }
        double fl = 4.0 * EPS * sqrt((double) nq) * sqrt(E);
        e[o] = dm > fl ? dm : fl;
        if (!(dm <= fl)) ok = 0;
      }
      if (ok || settle) {
        if (!coef) coef = (double *) R_alloc((size_t) n * G * (256 << (NU - 1)), sizeof(double));
        /* stored with this rule's stride; remember it in tabbed for now */
        memcpy(coef + (ptrdiff_t) (i - i0) * G * (256 << (NU - 1)), c, sizeof(double) * G * nq);
        sd->tabbed[i] = nq;
        for (int o = 0; o < G; o++) eps_p[(ptrdiff_t) (i - i0) * G + o] = r > 0 ? e[o] : INFINITY;
      } else {
        keepi[keep] = i;
        if (keepP) memcpy(keepP + (ptrdiff_t) keep * G * nq, c, sizeof(double) * G * nq);
        keep++;
      }
    }
    memcpy(act, keepi, sizeof(int) * keep);
    cnt = keep;
    prev = keepP;
    nprev = nq;
  }
  /* tables, norms, tails and the next variances from the settled
   * coefficients, orders beyond the supplied ones by integration by parts */
  int stride = 256 << (NU - 1);
  int nt = jntk_threads(nthreads, (double) n * need * stride, JNTK_GRAIN_TABLE_FLOPS);
  double *work = (double *) R_alloc((size_t) nt * need * stride, sizeof(double));
  JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 4))
  for (int i = i0; i < i1; i++) {
    double *D = work + (ptrdiff_t) jntk_thread_id() * need * stride;
    int nq = sd->tabbed[i];
    double a = v[i] > 0 ? v[i] : 0.0, ra = sqrt(a);
    const double *c = coef + (ptrdiff_t) (i - i0) * G * stride;
    double En[5];
    for (int o = 0; o < need; o++) {
      int s = o - (o < G - 1 ? o : G - 1), p = o - s, len = nq - s;
      double *Do = D + (ptrdiff_t) o * stride, f = 1.0, E = 0.0;
      for (int t = 0; t < s; t++) f /= ra; /* Inf at a = 0: caught below */
      for (int k = 0; k < len; k++) {
        double fk = 1.0;
        if (s) {
          if (k < SERIES_KUSER) fk = sr->cs[s][k];
          else
            for (int t = 1; t <= s; t++) fk *= sqrt((double) (k + t));
        }
        Do[k] = s && !(a > 0) ? 0.0 : fk * f * c[(ptrdiff_t) p * nq + k + s];
        E += Do[k] * Do[k];
      }
      for (int k = len; k < nq; k++) Do[k] = 0.0;
      En[o] = E;
      if (o >= nord) continue;
      double ep = eps_p[(ptrdiff_t) (i - i0) * G + p];
      sd->cerr[(ptrdiff_t) i * nord + o] = s && !(a > 0) ? INFINITY : ep * f;
      sd->nrm[(ptrdiff_t) i * nord + o] = sqrt(E);
      memcpy(sd->tab + ((ptrdiff_t) i * nord + o) * K, Do, sizeof(double) * K);
      /* L2 tails after the checkpoints, summed from the end (no
       * cancellation), floored like the built-in tables' */
      double *T = sd->tail + ((ptrdiff_t) i * nord + o) * SERIES_NCHK, S = 0.0;
      int kc[SERIES_NCHK];
      for (int q = 0; q < SERIES_NCHK; q++) {
        kc[q] = q < SERIES_NCHK - 1 ? (16 << q) : K;
        if (kc[q] > K) kc[q] = K;
      }
      int k = nq - 1;
      for (int q = SERIES_NCHK - 1; q >= 0; q--) {
        for (; k >= kc[q]; k--) S += Do[k] * Do[k];
        double fl = 16.0 * EPS * E;
        T[q] = sqrt(S > fl ? S : fl);
      }
    }
    double e02 = 0.0;
    for (int k = 0; k < nq; k++) e02 += D[k] * D[2 * (ptrdiff_t) stride + k];
    vn[i] = kp->sw2 * En[0] + kp->sb2;
    if (dvn) dvn[i] = kp->sw2 * (En[1] + e02) * dv[i];
  }
  for (int i = i0; i < i1; i++) sd->tabbed[i] = K;
}
