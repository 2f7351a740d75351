/* Finite-width MLPs in the NTK parametrisation (docs/math.md §1):
 *   H_1 = sw/sqrt(d) W_1 X + sb b_1,   Z_l = phi(H_l),
 *   H_{l+1} = sw/sqrt(n_l) W_{l+1} Z_l + sb b_{l+1},   f = kappa H_{L+1},
 * batched over the N inputs (one column each) with dgemm.
 *
 * Backward vectors (reverse mode): G_{L+1} = kappa, and for l = L..1
 *   R_l = a_l W_{l+1}^T G_{l+1},   G_l = phi'(H_l) * R_l      (a_l = sw/sqrt(n_l))
 * so that df/dW_l = a_{l-1} G_l Z_{l-1}^T, df/db_l = sb G_l and the input
 * Jacobian is J = a_0 W_1^T G_1: one backward pass for all d directions.
 *
 * Tangents (forward mode, needed only by the empirical JNTK), direction i:
 *   T_1 = a_0 W_1 e_i,  U_l = phi'(H_l) * T_l,  T_{l+1} = a_l W_{l+1} U_l,
 * and the directional derivatives of the backward vectors (forward-over-
 * reverse): Gam_{L+1} = 0 and
 *   Gam_l = phi''(H_l) * T_l * R_l + phi'(H_l) * (a_l W_{l+1}^T Gam_{l+1}). */
#include "network.h"
#include "calls_network.h"

/* ---- small parallel helpers (no R API inside the regions) ---- */

/* y = phi(x), d1 = phi'(x), d2 = phi''(x) over n values, split over threads */
static void par_act(const mlp_net *net, const double *x, ptrdiff_t n, double *y,
                    double *d1, double *d2, int nt) {
  int nb = jntk_threads(nt, (double) n, JNTK_GRAIN_ELEMENTS);
JNTK_OMP(parallel for num_threads(nb) schedule(static))
  for (int t = 0; t < nb; t++) {
    ptrdiff_t i0 = n * t / nb, i1 = n * (t + 1) / nb;
    act_apply(net->act, net->slope, x + i0, i1 - i0, y + i0,
              d1 ? d1 + i0 : NULL, d2 ? d2 + i0 : NULL);
  }
}

/* ---- reading the network ---- */

void mlp_net_from_R(SEXP weights, SEXP biases, SEXP act, SEXP par, mlp_net *net) {
  if (!Rf_isNewList(weights) || !Rf_isNewList(biases) || LENGTH(weights) < 1 ||
      LENGTH(weights) != LENGTH(biases))
    Rf_error("'weights' and 'biases' must be lists of the same positive length");
  if (!Rf_isReal(par) || LENGTH(par) != 4) Rf_error("'par' must be 4 doubles");
  int L1 = LENGTH(weights);
  net->L1 = L1;
  net->act = jntk_int_scalar(act, "act");
  if (net->act < 0 || net->act >= ACT_COUNT) Rf_error("unknown activation code");
  net->sw = REAL(par)[0];
  net->sb = REAL(par)[1];
  net->kappa = REAL(par)[2];
  net->slope = REAL(par)[3];
  if (!R_FINITE(net->sw) || !R_FINITE(net->sb) || !R_FINITE(net->kappa) || !R_FINITE(net->slope))
    Rf_error("'par' must be finite");
  net->n = (int *) R_alloc(L1 + 1, sizeof(int));
  net->W = (const double **) R_alloc(L1 + 1, sizeof(double *));
  net->b = (const double **) R_alloc(L1 + 1, sizeof(double *));
  net->W[0] = net->b[0] = NULL;
  for (int l = 1; l <= L1; l++) {
    int nr, nc;
    net->W[l] = jntk_real_matrix(VECTOR_ELT(weights, l - 1), "weights[[l]]", &nr, &nc);
    if (l == 1) net->n[0] = nc;
    else if (nc != net->n[l - 1]) Rf_error("weights[[%d]] has %d columns, expected %d", l, nc, net->n[l - 1]);
    if (nr < 1 || nc < 1) Rf_error("weights[[%d]] is empty", l);
    net->n[l] = nr;
    SEXP bl = VECTOR_ELT(biases, l - 1);
    if (!Rf_isReal(bl) || LENGTH(bl) != nr) Rf_error("biases[[%d]] must be %d doubles", l, nr);
    net->b[l] = REAL(bl);
  }
  if (net->n[L1] != 1) Rf_error("the output layer must have one unit");
}

int mlp_inputs_from_R(SEXP xt, const mlp_net *net, const char *name) {
  int d, N;
  jntk_real_matrix(xt, name, &d, &N);
  if (d != net->n[0]) Rf_error("'%s' has %d rows (input dimension), expected %d", name, d, net->n[0]);
  if (N < 1) Rf_error("'%s' has no inputs", name);
  return N;
}

/* ---- the passes ---- */

static double *alloc_dbl(ptrdiff_t n) {
  return (double *) R_alloc(n > 0 ? n : 1, sizeof(double));
}

void mlp_pass_run(const mlp_net *net, const double *X, int N, int level,
                  mlp_pass *p, int nt) {
  int L1 = net->L1, d = net->n[0];
  ptrdiff_t Nd = (ptrdiff_t) N * d;
  p->N = N;
  p->Z = (double **) R_alloc(L1 + 1, sizeof(double *));
  p->D1 = (double **) R_alloc(L1 + 1, sizeof(double *));
  p->D2 = (double **) R_alloc(L1 + 1, sizeof(double *));
  p->G = (double **) R_alloc(L1 + 1, sizeof(double *));
  p->T = (double **) R_alloc(L1 + 1, sizeof(double *));
  p->U = (double **) R_alloc(L1 + 1, sizeof(double *));
  p->Gam = (double **) R_alloc(L1 + 1, sizeof(double *));
  for (int l = 0; l <= L1; l++)
    p->Z[l] = p->D1[l] = p->D2[l] = p->G[l] = p->T[l] = p->U[l] = p->Gam[l] = NULL;
  p->Z[0] = (double *) X;
  p->f = alloc_dbl(N);

  /* forward: H = a W Z + sb b, then phi and its derivatives in place */
  for (int l = 1; l <= L1; l++) {
    int nl = net->n[l], np = net->n[l - 1];
    double a = mlp_scale(net, l);
    double *H = l < L1 ? alloc_dbl((ptrdiff_t) nl * N) : p->f;
    jntk_dgemm_cols("N", nl, N, np, a, net->W[l], nl, p->Z[l - 1], np, 0.0, H, nl, nt);
    const double *bl = net->b[l];
    double sb = net->sb;
    for (ptrdiff_t j = 0; j < N; j++)
      for (int i = 0; i < nl; i++) H[i + j * nl] += sb * bl[i];
    if (l < L1) {
      ptrdiff_t m = (ptrdiff_t) nl * N;
      if (level >= 1) p->D1[l] = alloc_dbl(m);
      if (level == 2) p->D2[l] = alloc_dbl(m);
      p->Z[l] = H; /* act_apply reads x[i] before writing y[i]: in place is safe */
      par_act(net, H, m, H, p->D1[l], p->D2[l], nt);
    } else {
      for (int j = 0; j < N; j++) p->f[j] *= net->kappa;
    }
    R_CheckUserInterrupt();
  }
  p->G[L1] = alloc_dbl(N);
  for (int j = 0; j < N; j++) p->G[L1][j] = net->kappa;
  if (level < 1) return;

  /* tangents T_l, U_l (levels 2, 3): T_1 column (a, i) = a_0 W_1[, i] */
  if (level >= 2 && L1 >= 2) {
    for (int l = 1; l < L1; l++) {
      int nl = net->n[l];
      ptrdiff_t m = (ptrdiff_t) nl * Nd;
      p->T[l] = alloc_dbl(m);
      p->U[l] = alloc_dbl(m);
      if (l == 1) {
        double a0 = mlp_scale(net, 1);
        const double *W1 = net->W[1];
        for (ptrdiff_t c = 0; c < Nd; c++) {
          int i = (int) (c % d);
          for (int r = 0; r < nl; r++) p->T[1][r + c * nl] = a0 * W1[r + (ptrdiff_t) i * nl];
        }
      } else {
        int np = net->n[l - 1];
        jntk_dgemm_cols("N", nl, (int) Nd, np, mlp_scale(net, l), net->W[l], nl,
                  p->U[l - 1], np, 0.0, p->T[l], nl, nt);
      }
      const double *D1 = p->D1[l];
      double *T = p->T[l], *U = p->U[l];
      int ntl = jntk_threads(nt, (double) Nd * nl, JNTK_GRAIN_ELEMENTS);
JNTK_OMP(parallel for num_threads(ntl) schedule(static))
      for (ptrdiff_t c = 0; c < Nd; c++) {
        const double *dcol = D1 + (c / d) * nl;
        for (int r = 0; r < nl; r++) U[r + c * nl] = dcol[r] * T[r + c * nl];
      }
      R_CheckUserInterrupt();
    }
  }

  /* backward: G_{L+1} = kappa; R_l = a_l W_{l+1}^T G_{l+1}; G_l = D1 * R_l;
   * Gam_l = D2 * T_l * R_l + D1 * (a_l W_{l+1}^T Gam_{l+1}) */
  if (level == 3) return;
  for (int l = L1 - 1; l >= 1; l--) {
    int nl = net->n[l], nn = net->n[l + 1];
    double a = mlp_scale(net, l + 1);
    ptrdiff_t m = (ptrdiff_t) nl * N;
    double *R = alloc_dbl(m);
    jntk_dgemm_cols("T", nl, N, nn, a, net->W[l + 1], nn, p->G[l + 1], nn, 0.0, R, nl, nt);
    p->G[l] = alloc_dbl(m);
    for (ptrdiff_t i = 0; i < m; i++) p->G[l][i] = p->D1[l][i] * R[i];
    if (level == 2) {
      ptrdiff_t mm = (ptrdiff_t) nl * Nd;
      double *Gm = p->Gam[l] = alloc_dbl(mm);
      if (l + 1 < L1) {
        jntk_dgemm_cols("T", nl, (int) Nd, nn, a, net->W[l + 1], nn, p->Gam[l + 1], nn, 0.0, Gm, nl, nt);
      } else {
        for (ptrdiff_t i = 0; i < mm; i++) Gm[i] = 0.0;
      }
      const double *D1 = p->D1[l], *D2 = p->D2[l], *T = p->T[l];
      int ntl = jntk_threads(nt, (double) Nd * nl, JNTK_GRAIN_ELEMENTS);
JNTK_OMP(parallel for num_threads(ntl) schedule(static))
      for (ptrdiff_t c = 0; c < Nd; c++) {
        ptrdiff_t off = (c / d) * nl;
        for (int r = 0; r < nl; r++) {
          ptrdiff_t k = r + c * nl;
          Gm[k] = D2[off + r] * T[k] * R[off + r] + D1[off + r] * Gm[k];
        }
      }
    }
    R_CheckUserInterrupt();
  }
}

/* ---- .Call entry points ---- */

/* Outputs f (column 1) and, when jac is TRUE, the input Jacobian (columns
 * 2..d+1, J = a_0 W_1^T G_1) at the N inputs given transposed (d x N). */
SEXP network_outputs(SEXP weights, SEXP biases, SEXP act, SEXP par, SEXP xt,
                     SEXP jac, SEXP threads) {
  mlp_net net;
  mlp_net_from_R(weights, biases, act, par, &net);
  int N = mlp_inputs_from_R(xt, &net, "xt");
  int want_jac = Rf_asLogical(jac);
  if (want_jac == NA_LOGICAL) Rf_error("'jac' must be TRUE or FALSE");
  int nt = jntk_int_scalar(threads, "threads");
  int d = net.n[0];
  mlp_pass p;
  mlp_pass_run(&net, REAL(xt), N, want_jac ? 1 : 0, &p, nt);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, N, want_jac ? d + 1 : 1));
  double *o = REAL(out);
  for (int j = 0; j < N; j++) o[j] = p.f[j];
  if (want_jac) {
    double *J = alloc_dbl((ptrdiff_t) d * N);
    int n1 = net.n[1];
    jntk_dgemm_cols("T", d, N, n1, mlp_scale(&net, 1), net.W[1], n1, p.G[1], n1, 0.0, J, d, nt);
    for (int a = 0; a < N; a++)
      for (int i = 0; i < d; i++) o[(ptrdiff_t) N * (i + 1) + a] = J[i + (ptrdiff_t) a * d];
  }
  UNPROTECT(1);
  return out;
}
