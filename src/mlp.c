/* THE finite network (mlp.h): reading an architecture and its parameters
 * from R once per call, scratch, and the four batched passes in math.md's
 * letters. Every product is an NN-form dgemm on a fixed block of inputs (the
 * weights' transposes are made explicitly, O(P), for the reverse passes), so
 * each number is computed by the same BLAS call whatever the thread count. */
#if defined(__GNUC__) && !defined(__clang__)
/* the elementwise loops of the passes (phi' times a product, the adjoint's
 * recursion) vectorise at -O2 only with the dynamic cost model; no
 * contraction, so that a loop's SIMD body and scalar remainder round alike
 * (as in plain.c) */
#pragma GCC optimize("fp-contract=off", "vect-cost-model=dynamic")
#elif defined(__clang__)
#pragma clang fp contract(off)
#endif
#include <string.h>
#include "mlp.h"

/* ---- reading ------------------------------------------------------------- */

/* 1 when every value is finite: an exponent of all ones is Inf or NaN. An
 * integer OR over the bits, without a branch or a floating-point
 * dependency chain per value (the compiler can vectorise it). */
static int all_finite(const double *x, ptrdiff_t n) {
  unsigned long long bad = 0;
  const unsigned long long e = 0x7ff0000000000000ULL;
  for (ptrdiff_t i = 0; i < n; i++) {
    unsigned long long b;
    memcpy(&b, x + i, sizeof b);
    bad |= (b & e) == e;
  }
  return bad == 0;
}

void mlp_set_theta(mlp_net *net, const double *theta) {
  for (int l = 1; l <= net->L1; l++) {
    net->W[l] = theta + net->woff[l];
    net->b[l] = theta + net->boff[l];
  }
}

void mlp_from_R(SEXP params, SEXP par, SEXP ipar, mlp_net *net) {
  if (!Rf_isReal(par) || XLENGTH(par) < 4 || XLENGTH(par) > 4 + ACT_MAX_PAR)
    Rf_error("'par' must be c(sigma_w, sigma_b, kappa, slope, activation parameters)");
  if (!Rf_isInteger(ipar) || XLENGTH(ipar) < 4 || XLENGTH(ipar) > 100000)
    Rf_error("'ipar' must be c(activation, parametrisation, d, n_1, ..., n_L, 1)");
  const double *p = REAL(par);
  for (R_xlen_t k = 0; k < XLENGTH(par); k++)
    if (!R_FINITE(p[k])) Rf_error("'par' must be finite");
  if (!(p[0] > 0) || p[1] < 0 || !(p[2] > 0))
    Rf_error("'par' needs sigma_w > 0, sigma_b >= 0, kappa > 0");
  const int *ip = INTEGER(ipar);
  net->act = ip[0];
  net->user = R_NilValue;
  net->user_nfun = 0;
  if (net->act == ACT_USER) mlp_user_from_R(par, net);
  else if (net->act < 0 || net->act >= ACT_COUNT) Rf_error("unknown activation code");
  net->param = ip[1];
  if (net->param != MLP_NTK && net->param != MLP_STANDARD)
    Rf_error("parametrisation code must be 0 (ntk) or 1 (standard)");
  int L1 = LENGTH(ipar) - 3;
  net->L1 = L1;
  net->n = ip + 2;
  for (int l = 0; l <= L1; l++)
    if (net->n[l] < 1) Rf_error("widths must be positive whole numbers");
  if (net->n[L1] != 1) Rf_error("the output layer must have one unit");
  net->slope = p[3];
  net->ap = p + 4;
  const char *bad = act_par_check(net->act, net->ap, (int) XLENGTH(par) - 4);
  if (bad) Rf_error("activation parameters: %s", bad);
  net->kappa = p[2];
  net->sw = p[0];
  net->sb = p[1];
  /* the one place where the parametrisation sets the scales (mlp.h) */
  net->beta = net->param == MLP_NTK ? p[1] : (p[1] > 0 ? 1.0 : 0.0);
  net->a = (double *) R_alloc(L1 + 1, sizeof(double));
  net->woff = (ptrdiff_t *) R_alloc(L1 + 1, sizeof(ptrdiff_t));
  net->boff = (ptrdiff_t *) R_alloc(L1 + 1, sizeof(ptrdiff_t));
  net->W = (const double **) R_alloc(L1 + 1, sizeof(double *));
  net->b = (const double **) R_alloc(L1 + 1, sizeof(double *));
  net->a[0] = 0.0;
  net->woff[0] = net->boff[0] = 0;
  net->W[0] = net->b[0] = NULL;
  ptrdiff_t o = 0;
  for (int l = 1; l <= L1; l++) {
    net->a[l] = net->param == MLP_NTK ? p[0] / sqrt((double) net->n[l - 1]) : 1.0;
    net->woff[l] = o;
    o += (ptrdiff_t) net->n[l] * net->n[l - 1];
    net->boff[l] = o;
    o += net->n[l];
    if ((double) o > (double) R_XLEN_T_MAX) Rf_error("the network has too many parameters");
  }
  net->npar = o;

  if (Rf_isReal(params)) {
    if (XLENGTH(params) != net->npar)
      Rf_error("'theta' must have %.0f values for these widths, not %.0f", (double) net->npar,
               (double) XLENGTH(params));
    if (!all_finite(REAL(params), net->npar)) Rf_error("'theta' has a non-finite value");
    mlp_set_theta(net, REAL(params));
    return;
  }
  if (!Rf_isNewList(params) || XLENGTH(params) != 2)
    Rf_error("'params' must be list(weights, biases) or the flat parameter vector");
  SEXP weights = VECTOR_ELT(params, 0), biases = VECTOR_ELT(params, 1);
  if (!Rf_isNewList(weights) || !Rf_isNewList(biases) || XLENGTH(weights) != L1 ||
      XLENGTH(biases) != L1)
    Rf_error("'weights' and 'biases' must be lists of %d elements", L1);
  for (int l = 1; l <= L1; l++) {
    SEXP Wl = VECTOR_ELT(weights, l - 1), bl = VECTOR_ELT(biases, l - 1);
    SEXP dim = Rf_getAttrib(Wl, R_DimSymbol);
    if (!Rf_isReal(Wl) || Rf_isNull(dim) || LENGTH(dim) != 2)
      Rf_error("weights[[%d]] must be a double matrix", l);
    int nr = INTEGER(dim)[0], nc = INTEGER(dim)[1];
    if (nr != net->n[l] || nc != net->n[l - 1])
      Rf_error("weights[[%d]] is %d x %d, expected %d x %d", l, nr, nc, net->n[l], net->n[l - 1]);
    if (!all_finite(REAL(Wl), (ptrdiff_t) nr * nc))
      Rf_error("weights[[%d]] has a non-finite value", l);
    net->W[l] = REAL(Wl);
    if (!Rf_isReal(bl) || XLENGTH(bl) != net->n[l])
      Rf_error("biases[[%d]] must be %d doubles", l, net->n[l]);
    if (!all_finite(REAL(bl), net->n[l])) Rf_error("biases[[%d]] has a non-finite value", l);
    net->b[l] = REAL(bl);
  }
}

int mlp_inputs_from_R(SEXP x, const mlp_net *net, const char *name, const double **X) {
  int N, d;
  *X = jntk_real_matrix(x, name, &N, &d);
  if (d != net->n[0]) Rf_error("'%s' has %d columns but the network's input dimension is %d", name,
                               d, net->n[0]);
  if (N < 1) Rf_error("'%s' has no rows", name);
  return N;
}

void mlp_check_sizes(const mlp_net *net, int N, int k) {
  double cols = (double) N * (k > 0 ? k : 1);
  if (cols > INT_MAX)
    Rf_error("%d inputs with %d directions each exceed the BLAS size limit (%d columns)", N, k,
             INT_MAX);
  (void) net;
}

/* ---- scratch ------------------------------------------------------------- */

double *mlp_alloc(double n) {
  if (n > (double) R_XLEN_T_MAX) Rf_error("scratch of %.3g doubles is too large", n);
  return (double *) R_alloc((size_t) (n > 0 ? n : 1), sizeof(double));
}
double **mlp_ptrs(int n) {
  double **p = (double **) R_alloc(n, sizeof(double *));
  for (int i = 0; i < n; i++) p[i] = NULL;
  return p;
}

void mlp_work_init(const mlp_net *net, mlp_work *w, int N, int k, int unit) {
  int L1 = net->L1;
  mlp_check_sizes(net, N, k);
  w->N = N;
  w->k = k;
  w->unit = unit;
  w->f = mlp_alloc(N);
  w->z = mlp_ptrs(L1 + 1);
  w->d1 = mlp_ptrs(L1 + 1);
  w->d2 = mlp_ptrs(L1 + 1);
  w->g = mlp_ptrs(L1 + 1);
  w->r = mlp_ptrs(L1 + 1);
  w->t = mlp_ptrs(L1 + 1);
  w->u = mlp_ptrs(L1 + 1);
  w->gam = mlp_ptrs(L1 + 1);
  w->WT = mlp_ptrs(L1 + 1);
}

void mlp_work_alloc(const mlp_net *net, mlp_work *w, int N, int k, int unit, int flags) {
  int L1 = net->L1, d = net->n[0];
  double Nk = (double) N * k;
  mlp_work_init(net, w, N, (flags & MLP_TANGENT) ? k : 0, unit);
  w->z[0] = mlp_alloc((double) d * N);
  for (int l = 1; l < L1; l++) {
    double m = (double) net->n[l] * N;
    w->z[l] = mlp_alloc(m);
    if (flags & (MLP_D1 | MLP_REVERSE | MLP_TANGENT)) w->d1[l] = mlp_alloc(m);
    if (flags & MLP_D2) w->d2[l] = mlp_alloc(m);
    if (flags & MLP_TANGENT) {
      w->t[l] = mlp_alloc(net->n[l] * Nk);
      w->u[l] = mlp_alloc(net->n[l] * Nk);
    }
    if (flags & MLP_FOR) w->gam[l] = mlp_alloc(net->n[l] * Nk);
  }
  if ((flags & MLP_TANGENT) && !unit) w->u[0] = mlp_alloc(d * Nk);
  if (flags & MLP_REVERSE) {
    for (int l = 1; l <= L1; l++) {
      w->g[l] = mlp_alloc((double) net->n[l] * N);
      w->r[l - 1] = mlp_alloc((double) net->n[l - 1] * N);
      if (l < L1 && jntk_transposes_pay((double) N * (k > 0 ? k : 1)))
        w->WT[l] = mlp_alloc((double) net->n[l] * net->n[l - 1]);
    }
  }
}

void mlp_work_view(const mlp_net *net, const mlp_work *w, int lo, int n, mlp_work *v) {
  int L1 = net->L1, k = w->k > 0 ? w->k : 1;
  mlp_work_init(net, v, n, w->k, w->unit);
  v->f = w->f + lo;
#define VIEW(field, per) if (w->field[l]) v->field[l] = w->field[l] + (ptrdiff_t) lo * (per)
  for (int l = 0; l <= L1; l++) {
    int nl = net->n[l];
    VIEW(z, nl);
    VIEW(d1, nl);
    VIEW(d2, nl);
    VIEW(g, nl);
    VIEW(r, nl);
    VIEW(t, (ptrdiff_t) nl * k);
    VIEW(u, (ptrdiff_t) nl * k);
    VIEW(gam, (ptrdiff_t) nl * k);
    v->WT[l] = w->WT[l];
  }
#undef VIEW
}

void mlp_set_inputs(const mlp_net *net, mlp_work *w, const double *X) {
  jntk_transpose(w->N, 0, net->n[0], X, w->N, w->z[0], net->n[0]);
}

void mlp_transpose_weights(const mlp_net *net, mlp_work *w, int tid, int nt) {
  if (!w->WT[1] && net->L1 > 1) return; /* the BLAS reads W transposed */
  for (int l = 1; l < net->L1; l++) {
    int c0, c1;
    jntk_thread_blocks(net->n[l - 1], tid, nt, &c0, &c1);
    jntk_transpose(net->n[l], c0, c1, net->W[l], net->n[l], w->WT[l], net->n[l - 1]);
  }
  /* the output layer is one row: its transpose is the same memory */
  if (tid == 0) w->WT[net->L1] = (double *) net->W[net->L1];
}

/* ---- the passes ---------------------------------------------------------- */

/* C (n_{l-1} x cols) = a_l W^{lT} B: NN against the explicit transpose, or
 * TN when the BLAS reads W transposed (linalg.h) */
static void mlp_gemm_wt(const mlp_net *net, const mlp_work *w, int l, int cols, const double *B,
                        double *C) {
  int nl = net->n[l], np = net->n[l - 1];
  if (w->WT[l]) jntk_gemm('N', 'N', np, cols, nl, net->a[l], w->WT[l], np, B, nl, 0.0, C, np);
  else jntk_gemm('T', 'N', np, cols, nl, net->a[l], net->W[l], nl, B, nl, 0.0, C, np);
}

void mlp_forward_pre(const mlp_net *net, mlp_work *w, int l, int lo, int hi) {
  const int cols = hi - lo, nl = net->n[l], np = net->n[l - 1];
  if (cols <= 0) return;
  const double *zin = w->z[l - 1] + (ptrdiff_t) lo * np;
  if (l < net->L1) {
    jntk_gemm('N', 'N', nl, cols, np, net->a[l], net->W[l], nl, zin, np, 0.0,
              w->z[l] + (ptrdiff_t) lo * nl, nl);
  } else {
    double *f = w->f + lo;
    jntk_gemm('N', 'N', 1, cols, np, net->a[l], net->W[l], 1, zin, np, 0.0, f, 1);
    for (int c = 0; c < cols; c++) f[c] = net->kappa * (f[c] + net->beta * net->b[l][0]);
  }
}

void mlp_forward(const mlp_net *net, mlp_work *w, int lo, int hi) {
  const int L1 = net->L1, cols = hi - lo;
  if (cols <= 0) return;
  for (int l = 1; l <= L1; l++) {
    mlp_forward_pre(net, w, l, lo, hi);
    if (l == L1) break;
    int nl = net->n[l];
    double *H = w->z[l] + (ptrdiff_t) lo * nl;
    ptrdiff_t o = (ptrdiff_t) lo * nl;
    /* z = phi(h + beta b) in place, with phi' and phi'' */
    for (int c = 0; c < cols; c++) {
      ptrdiff_t oc = (ptrdiff_t) c * nl;
      act_layer(net->act, net->slope, net->ap, H + oc, nl, net->b[l], net->beta,
                w->d1[l] ? w->d1[l] + o + oc : NULL, w->d2[l] ? w->d2[l] + o + oc : NULL);
    }
  }
}

void mlp_reverse(const mlp_net *net, mlp_work *w, int lo, int hi) {
  const int L1 = net->L1, cols = hi - lo;
  if (cols <= 0) return;
  for (int c = lo; c < hi; c++) w->g[L1][c] = net->kappa;
  for (int l = L1; l >= 1; l--) {
    int nl = net->n[l], np = net->n[l - 1];
    double *R = w->r[l - 1] + (ptrdiff_t) lo * np;
    /* r^{l-1} = a_l W^{lT} g^l */
    mlp_gemm_wt(net, w, l, cols, w->g[l] + (ptrdiff_t) lo * nl, R);
    if (l - 1 >= 1) {
      const double *D1 = w->d1[l - 1] + (ptrdiff_t) lo * np;
      double *G = w->g[l - 1] + (ptrdiff_t) lo * np;
      ptrdiff_t len = (ptrdiff_t) np * cols;
      for (ptrdiff_t i = 0; i < len; i++) G[i] = D1[i] * R[i];
    }
  }
}

/* U = D1 (.) T where column c of T (n x cols) goes with column c / k of D1 */
static void times_d1(const double *D1, const double *T, double *U, int n, ptrdiff_t cols, int k) {
  for (ptrdiff_t c = 0; c < cols; c++) {
    const double *dc = D1 + (c / k) * n;
    const double *tc = T + c * n;
    double *uc = U + c * n;
    for (int i = 0; i < n; i++) uc[i] = dc[i] * tc[i];
  }
}

void mlp_tangent(const mlp_net *net, mlp_work *w, int lo, int hi) {
  const int L1 = net->L1, k = w->k, d = net->n[0];
  if (hi <= lo || k <= 0) return;
  ptrdiff_t c0 = (ptrdiff_t) lo * k, cols = (ptrdiff_t) (hi - lo) * k;
  for (int l = 1; l < L1; l++) {
    int nl = net->n[l], np = net->n[l - 1];
    double *T = w->t[l] + c0 * nl;
    if (l == 1 && w->unit) {
      /* t^1 along e_i is a_1 W^1[, i], the same at every input */
      const double *W1 = net->W[1];
      double a1 = net->a[1];
      for (ptrdiff_t c = 0; c < cols; c++) {
        const double *wi = W1 + (ptrdiff_t) (c % d) * nl;
        for (int i = 0; i < nl; i++) T[c * nl + i] = a1 * wi[i];
      }
    } else {
      jntk_gemm('N', 'N', nl, (int) cols, np, net->a[l], net->W[l], nl, w->u[l - 1] + c0 * np, np,
                0.0, T, nl);
    }
    times_d1(w->d1[l] + (ptrdiff_t) lo * nl, T, w->u[l] + c0 * nl, nl, cols, k);
  }
}

void mlp_fwd_over_rev(const mlp_net *net, mlp_work *w, const double *seed, int lo, int hi) {
  const int L1 = net->L1, k = w->k;
  if (hi <= lo || k <= 0) return;
  ptrdiff_t c0 = (ptrdiff_t) lo * k, cols = (ptrdiff_t) (hi - lo) * k;
  for (int l = L1 - 1; l >= 1; l--) {
    int nl = net->n[l], nn = net->n[l + 1];
    ptrdiff_t o = (ptrdiff_t) lo * nl;
    double *G = w->gam[l] + c0 * nl;
    const double *T = w->t[l] + c0 * nl;
    const double *D1 = w->d1[l] + o, *D2 = w->d2[l] + o, *R = w->r[l] + o;
    const double *src = l + 1 < L1 ? w->gam[l + 1] + c0 * nn : (seed ? seed + c0 : NULL);
    if (src) {
      mlp_gemm_wt(net, w, l + 1, (int) cols, src, G);
      for (ptrdiff_t c = 0; c < cols; c++) {
        ptrdiff_t oc = (c / k) * nl;
        for (int i = 0; i < nl; i++) {
          ptrdiff_t q = c * nl + i;
          G[q] = D2[oc + i] * T[q] * R[oc + i] + D1[oc + i] * G[q];
        }
      }
    } else {
      for (ptrdiff_t c = 0; c < cols; c++) {
        ptrdiff_t oc = (c / k) * nl;
        for (int i = 0; i < nl; i++) G[c * nl + i] = D2[oc + i] * T[c * nl + i] * R[oc + i];
      }
    }
  }
}

/* ---- blocks and the threaded driver -------------------------------------- */

/* Fixed blocks of at least 64 inputs (an optimised BLAS repacks the weights
 * for every call), two from 32 inputs on so that small batches still use two
 * threads, at most 64: a function of N alone. */
int mlp_input_blocks(int N) {
  int nb = N / 64;
  if (nb < 2 && N >= 32) nb = 2;
  if (nb > 64) nb = 64;
  return nb < 1 ? 1 : nb;
}

void mlp_block(int N, int nb, int b, int *lo, int *hi) { jntk_block_range(N, nb, b, lo, hi); }

void mlp_run(const mlp_net *net, mlp_work *w, int nt) {
  int N = w->N, nb = mlp_input_blocks(N);
  int reverse = w->g[net->L1] != NULL, tangent = w->k > 0, forrev = w->gam[1] != NULL;
  double work = 0;
  for (int l = 1; l <= net->L1; l++) work += (double) net->n[l] * net->n[l - 1];
  work *= (double) N * (1 + reverse + (tangent + forrev) * (w->k > 0 ? w->k : 1));
  nt = jntk_threads(nt, work, JNTK_GRAIN_FLOPS);
  nt = jntk_threads(nt, nb, JNTK_GRAIN_ONE);
  if (reverse) {
JNTK_OMP(parallel num_threads(nt))
    mlp_transpose_weights(net, w, jntk_thread_id(), nt);
  }
  /* an R-function activation: the forward pass layer by layer, R called
   * between the parallel regions (mlp_user.c) */
  int user = net->act == ACT_USER;
  if (user) mlp_user_forward(net, w, nt);
  /* the blocks are independent: rounds of nt blocks, one per thread, with a
   * check for interrupts between rounds (outside the parallel regions) */
  for (int r0 = 0; r0 < nb; r0 += nt) {
    int r1 = r0 + nt < nb ? r0 + nt : nb;
JNTK_OMP(parallel for num_threads(nt) schedule(static, 1))
    for (int b = r0; b < r1; b++) {
      int lo, hi;
      mlp_block(N, nb, b, &lo, &hi);
      if (!user) mlp_forward(net, w, lo, hi);
      if (reverse) mlp_reverse(net, w, lo, hi);
      if (tangent) mlp_tangent(net, w, lo, hi);
      if (forrev) mlp_fwd_over_rev(net, w, NULL, lo, hi);
    }
    R_CheckUserInterrupt();
  }
}
