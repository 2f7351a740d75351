/* Full-batch gradient descent for a finite MLP with a Jacobian-norm
 * regulariser (Kim & Yang 2024, "robust training"; math.md section 5):
 *
 *   L(theta) = 1/(2N) sum_a [ (f(x_a) - y_a)^2 + lambda |grad_x f(x_a)|^2 ],
 *
 * on top of the passes of src/mlp.h (letters as there). Only the loss, its
 * adjoint and the descent loop live here.
 *
 * Gradient of the data term, with e_a = (f_a - y_a)/N: the usual backprop,
 * whose adjoint of h^l is P^l = g^l diag(e), so
 *   dW^l = a_l P^l z^{l-1 T},   db^l = beta P^l 1.
 *
 * Gradient of R = lambda/(2N) sum_a |J_a|^2 (double backprop). With
 * V = dR/dJ = (lambda/N) J held fixed, dR/dtheta = d/dtheta S with
 * S = sum_a V_a . J_a = the sum over inputs of the directional derivative
 * of f at x_a along V_a: one tangent sweep along u^0 = V^T (mlp_tangent,
 * one direction per input). Reverse through (primal, tangent) together: the
 * adjoint of the tangent t^l is g^l again, and t^l's factor phi'(h^l)
 * depends on h^l, which adds d2 * t * r to the adjoint of h^l; with the data
 * term's adjoint kappa e^T at the output, the total adjoint of h^l is the
 * forward-over-reverse recursion of mlp_fwd_over_rev with seed kappa e:
 *   P^{L1} = kappa e^T,
 *   P^l = d1^l (.) (a_{l+1} W^{(l+1)T} P^{l+1}) + d2^l (.) t^l (.) r^l,
 * and (W^l enters the primal with input z^{l-1} and the tangent with input
 * u^{l-1}; biases only the primal)
 *   dW^l = a_l (P^l z^{l-1 T} + g^l u^{l-1 T}) = a_l [P^l g^l] [z^{l-1} u^{l-1}]^T,
 *   db^l = beta P^l 1,
 * one NN-form dgemm with inner dimension 2N (N for lambda = 0) against the
 * explicitly transposed [z u]^T.
 *
 * Cost per layer of width n (inner layers, N inputs): forward, reverse,
 * tangent, adjoint n^2 N each and the weight gradient 2 n^2 N multiply-adds
 * (6 n^2 N; 3 n^2 N for lambda = 0, where P^l = g^l diag(e) costs no
 * product). The input dimension only enters the first layer. Kinked
 * activations (relu, leaky_relu, abs) have phi'' = 0 almost everywhere,
 * which is what automatic differentiation uses too.
 *
 * Threads: a step is one parallel region. The passes split the batch into
 * fixed blocks of inputs; the gradient products split their columns into
 * fixed blocks, shared by the threads in proportion to their work. No inner
 * sum is ever split and no block depends on the thread count, so every
 * number is the same whatever the number of threads (with any BLAS).
 * An activation given as an R function runs its forward pass before the
 * step's parallel region (mlp_user_forward, src/mlp_user.c). */
#if defined(__GNUC__) && !defined(__clang__)
/* the elementwise loops (descent update, bias sums, adjoint seeds) vectorise
 * at -O2 only with the dynamic cost model; no contraction, so that a loop's
 * SIMD body and scalar remainder round alike (as in plain.c) */
#pragma GCC optimize("fp-contract=off", "vect-cost-model=dynamic")
#elif defined(__clang__)
#pragma clang fp contract(off)
#endif
#include <string.h>
#include "mlp.h"
#include "calls_training.h"

typedef struct {
  mlp_net net;
  int N, nb, tangent;  /* tangent: lambda > 0 and a gradient is wanted */
  double lambda;
  const double *X, *y; /* N x d inputs, N targets */
  mlp_work w;
  double **PG;         /* PG[l]: n_l x 2N, [P^l | g^l] */
  double **ZU;         /* ZU[l]: n_{l-1} x 2N, [z^{l-1} | u^{l-1}] (z, u point into it) */
  double **ZT;         /* ZT[l] = ZU[l]^T (only with explicit transposes, linalg.h) */
  double *e, *r2, *j2; /* N each: (f - y)/N, (f - y)^2, |J|^2 */
  int ntask;           /* gradient tasks: (layer, column block), with work */
  int *task_l, *task_b, *task_nb, *task_owner;
} tr_state;


/* Scratch laid out for the gradient products: g^l and P^l side by side in
 * PG[l]; the directions u^0 = V^T its own d x N buffer. */
static void tr_alloc_state(tr_state *s, int want_grad, int nt) {
  const mlp_net *net = &s->net;
  int L1 = net->L1, N = s->N, d = net->n[0];
  mlp_work *w = &s->w;
  s->tangent = want_grad && s->lambda > 0;
  mlp_work_init(net, w, N, s->tangent ? 1 : 0, 0);
  s->PG = mlp_ptrs(L1 + 1);
  s->ZT = mlp_ptrs(L1 + 1);
  s->ZU = mlp_ptrs(L1 + 1);
  int ex = jntk_transposes_pay(N);
  for (int l = 1; l <= L1; l++) {
    double m = (double) net->n[l] * N, mp = (double) net->n[l - 1] * N;
    s->PG[l] = mlp_alloc(2 * m);
    w->gam[l] = s->PG[l];
    w->g[l] = s->PG[l] + (ptrdiff_t) m;
    w->r[l - 1] = mlp_alloc(mp);
    /* z^{l-1} and its tangent u^{l-1} side by side, as the gradient reads them */
    s->ZU[l] = mlp_alloc(s->tangent ? 2 * mp : mp);
    w->z[l - 1] = s->ZU[l];
    if (s->tangent) w->u[l - 1] = s->ZU[l] + (ptrdiff_t) mp;
    if (want_grad && ex) s->ZT[l] = mlp_alloc(2 * mp);
    if (l == L1) continue;
    w->d1[l] = mlp_alloc(m);
    if (ex) w->WT[l] = mlp_alloc((double) net->n[l] * net->n[l - 1]);
    if (s->tangent) {
      w->d2[l] = mlp_alloc(m);
      w->t[l] = mlp_alloc(m);
    }
  }
  s->e = mlp_alloc(N);
  s->r2 = mlp_alloc(N);
  s->j2 = mlp_alloc(N);
  s->nb = mlp_input_blocks(N);
  /* inputs, once: z^0 = X^T for the passes, X as the top of ZT[1] */
  mlp_set_inputs(net, w, s->X);
  if (want_grad && ex)
    for (int i = 0; i < d; i++)
      for (int a = 0; a < N; a++) s->ZT[1][a + (ptrdiff_t) i * 2 * N] = s->X[a + (ptrdiff_t) i * N];
  /* gradient tasks, owned by threads in proportion to their work */
  s->ntask = 0;
  if (!want_grad) return;
  int inner = s->tangent ? 2 * N : N, cap = 0;
  for (int l = 1; l <= L1; l++) cap += jntk_col_blocks(net->n[l - 1], (double) net->n[l] * inner);
  s->task_l = (int *) R_alloc(cap, sizeof(int));
  s->task_b = (int *) R_alloc(cap, sizeof(int));
  s->task_nb = (int *) R_alloc(cap, sizeof(int));
  s->task_owner = (int *) R_alloc(cap, sizeof(int));
  double total = 0, *work = (double *) R_alloc(cap, sizeof(double));
  for (int l = 1; l <= L1; l++) {
    int nb = jntk_col_blocks(net->n[l - 1], (double) net->n[l] * inner);
    for (int b = 0; b < nb; b++) {
      int lo, hi;
      jntk_block_range(net->n[l - 1], nb, b, &lo, &hi);
      s->task_l[s->ntask] = l;
      s->task_b[s->ntask] = b;
      s->task_nb[s->ntask] = nb;
      work[s->ntask] = (double) net->n[l] * inner * (hi - lo);
      total += work[s->ntask++];
    }
  }
  double cum = 0;
  for (int i = 0; i < s->ntask; i++) {
    int o = (int) ((cum + 0.5 * work[i]) / total * nt);
    s->task_owner[i] = o < nt ? o : nt - 1;
    cum += work[i];
  }
}

/* The passes and the adjoint for inputs lo..hi-1. want: 1 = outputs,
 * Jacobian and per-input loss pieces; 2 = also the adjoints P^l and the
 * transposes [z u]^T that the gradient products read. */
static void tr_block(tr_state *s, int want, int lo, int hi) {
  const mlp_net *net = &s->net;
  mlp_work *w = &s->w;
  const int L1 = net->L1, N = s->N, d = net->n[0];
  mlp_reverse(net, w, lo, hi);
  const double *J = w->r[0]; /* d x N */
  for (int a = lo; a < hi; a++) {
    double r = w->f[a] - s->y[a], sj = 0.0;
    s->r2[a] = r * r;
    for (int i = 0; i < d; i++) sj += J[i + (ptrdiff_t) a * d] * J[i + (ptrdiff_t) a * d];
    s->j2[a] = sj;
  }
  if (want < 2) return;
  /* the data term's adjoint at the output: P^{L1} = kappa e */
  double *seed = s->PG[L1];
  for (int a = lo; a < hi; a++) {
    s->e[a] = (w->f[a] - s->y[a]) / N;
    seed[a] = net->kappa * s->e[a];
  }
  if (s->tangent) {
    /* u^0 = V^T = (lambda/N) J^T, then the tangent and adjoint sweeps */
    double c = s->lambda / N;
    for (ptrdiff_t i = (ptrdiff_t) lo * d; i < (ptrdiff_t) hi * d; i++) w->u[0][i] = c * J[i];
    mlp_tangent(net, w, lo, hi);
    mlp_fwd_over_rev(net, w, seed, lo, hi);
  } else {
    /* lambda = 0: P^l = g^l diag(e), no further products */
    for (int l = 1; l < L1; l++) {
      int m = net->n[l];
      double *P = s->PG[l], *g = w->g[l];
      for (int a = lo; a < hi; a++)
        for (int i = 0; i < m; i++)
          P[(ptrdiff_t) a * m + i] = g[(ptrdiff_t) a * m + i] * s->e[a];
    }
  }
  /* [z^{l-1 T} ; u^{l-1 T}] for the gradient products (rows lo..hi-1) */
  if (!s->ZT[1]) return;
  int N2 = 2 * N;
  if (s->tangent) jntk_transpose(d, lo, hi, w->u[0], d, s->ZT[1] + N, N2);
  for (int l = 2; l <= L1; l++) {
    int np = net->n[l - 1];
    jntk_transpose(np, lo, hi, w->z[l - 1], np, s->ZT[l], N2);
    if (s->tangent) jntk_transpose(np, lo, hi, w->u[l - 1], np, s->ZT[l] + N, N2);
  }
}

/* Thread tid's gradient tasks: dW^l = a_l [P g] [z u]^T over its column
 * blocks, and its rows of db^l = beta P^l 1 (each summed in input order). */
static void tr_gradient(tr_state *s, double *grad, int tid, int nt) {
  const mlp_net *net = &s->net;
  int N = s->N, inner = s->tangent ? 2 * N : N;
  for (int i = 0; i < s->ntask; i++) {
    if (s->task_owner[i] != tid) continue;
    int l = s->task_l[i], m = net->n[l], np = net->n[l - 1], lo, hi;
    jntk_block_range(np, s->task_nb[i], s->task_b[i], &lo, &hi);
    /* NN against [z u]^T, or NT when the BLAS reads [z u] transposed */
    if (s->ZT[l])
      jntk_gemm_cols_range('N', 'N', m, lo, hi, inner, net->a[l], s->PG[l], m, s->ZT[l], 2 * N, 0.0,
                           grad + net->woff[l], m);
    else
      jntk_gemm_cols_range('N', 'T', m, lo, hi, inner, net->a[l], s->PG[l], m, s->ZU[l], np, 0.0,
                           grad + net->woff[l], m);
  }
  for (int l = 1; l <= net->L1; l++) {
    int m = net->n[l], r0, r1;
    jntk_thread_blocks(m, tid, nt, &r0, &r1);
    const double *P = s->PG[l];
    double *gb = grad + net->boff[l];
    /* every row summed over the inputs in input order, columns read whole */
    for (int i = r0; i < r1; i++) gb[i] = 0.0;
    for (int a = 0; a < N; a++) {
      const double *Pa = P + (ptrdiff_t) a * m;
      for (int i = r0; i < r1; i++) gb[i] += Pa[i];
    }
    for (int i = r0; i < r1; i++) gb[i] *= net->beta;
  }
}

/* theta_new = theta - lr grad over n values; 1 when a value of theta_new is
 * not finite: v - v is exactly 0 for a finite v and NaN for +-Inf and NaN.
 * One pass that the compiler vectorises (a select in double lanes; neither
 * a branch nor a bit reinterpretation nor an int flag, which GCC 12 does not
 * vectorise next to doubles). */
static int descent_update(const double *theta, const double *grad, double lr, double *theta_new,
                          ptrdiff_t n) {
  double bad = 0.0;
  for (ptrdiff_t p = 0; p < n; p++) {
    double v = theta[p] - lr * grad[p];
    theta_new[p] = v;
    bad = (v - v) == 0.0 ? bad : 1.0;
  }
  return bad != 0.0;
}

/* Outputs, Jacobian and loss pieces (want 1), plus the gradient (want 2) at
 * the parameters the network points to; with theta_new, also the descent
 * update theta_new = theta - lr grad, whose finiteness goes to *finite. */
static void tr_evaluate(tr_state *s, int want, double *grad, const double *theta,
                        double *theta_new, double lr, int *finite, int nt) {
  const mlp_net *net = &s->net;
  mlp_work *w = &s->w;
  int N = s->N, nb = s->nb;
  int *bad = (int *) R_alloc(nt, sizeof(int));
  /* an R-function activation: the forward pass first, R called between
   * parallel regions (mlp_user.c) */
  int user = net->act == ACT_USER;
  if (user) mlp_user_forward(net, w, nt);
JNTK_OMP(parallel num_threads(nt))
  {
    int tid = jntk_thread_id(), b0, b1, lo, hi;
    jntk_thread_blocks(nb, tid, nt, &b0, &b1);
    mlp_transpose_weights(net, w, tid, nt);
    for (int b = b0; b < b1 && !user; b++) {
      mlp_block(N, nb, b, &lo, &hi);
      mlp_forward(net, w, lo, hi);
    }
JNTK_OMP(barrier)
    for (int b = b0; b < b1; b++) {
      mlp_block(N, nb, b, &lo, &hi);
      tr_block(s, want, lo, hi);
    }
    if (want >= 2) {
JNTK_OMP(barrier)
      tr_gradient(s, grad, tid, nt);
    }
    if (theta_new) {
JNTK_OMP(barrier)
      ptrdiff_t p0 = net->npar * tid / nt, p1 = net->npar * (tid + 1) / nt;
      bad[tid] = descent_update(theta + p0, grad + p0, lr, theta_new + p0, p1 - p0);
    }
  }
  if (theta_new) {
    int any = 0;
    for (int t = 0; t < nt; t++) any |= bad[t];
    *finite = !any;
  }
}

/* Loss terms from the per-input pieces, summed in input order:
 * fit_loss = sum (f - y)^2 / (2N); jac2 = sum |J_a|^2 / N (the penalty term
 * of the loss is lambda/2 * jac2). */
static void tr_sum_loss(const tr_state *s, double *fit_loss, double *jac2) {
  double sf = 0.0, sj = 0.0;
  for (int a = 0; a < s->N; a++) {
    sf += s->r2[a];
    sj += s->j2[a];
  }
  *fit_loss = sf / (2.0 * s->N);
  *jac2 = sj / s->N;
}

/* ---- .Call entry points ------------------------------------------------- */

static int tr_setup(tr_state *s, SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP y, SEXP lambda,
                    SEXP threads) {
  mlp_from_R(params, par, ipar, &s->net);
  s->N = mlp_inputs_from_R(x, &s->net, "x", &s->X);
  mlp_check_sizes(&s->net, s->N, 2);
  if (!Rf_isReal(y) || XLENGTH(y) != s->N)
    Rf_error("'y' must be a double vector of length %d", s->N);
  s->y = REAL(y);
  for (int a = 0; a < s->N; a++)
    if (!R_FINITE(s->y[a])) Rf_error("'y' has a non-finite value");
  s->lambda = jntk_real_scalar(lambda, "lambda");
  if (s->lambda < 0) Rf_error("'lambda' must be >= 0");
  int nt = jntk_int_scalar(threads, "threads");
  double work = 0;
  for (int l = 1; l <= s->net.L1; l++) work += (double) s->net.n[l] * s->net.n[l - 1];
  nt = jntk_threads(nt, work * s->N, JNTK_GRAIN_FLOPS);
  return jntk_threads(nt, mlp_input_blocks(s->N), JNTK_GRAIN_ONE);
}

static SEXP named_list(int n, const char **names, SEXP *vals) {
  SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, n));
  for (int i = 0; i < n; i++) {
    SET_VECTOR_ELT(out, i, vals[i]);
    SET_STRING_ELT(nms, i, Rf_mkChar(names[i]));
  }
  Rf_setAttrib(out, R_NamesSymbol, nms);
  UNPROTECT(2);
  return out;
}

/* Outputs, input Jacobian (N x d), loss terms and optionally the gradient at
 * the parameters: list(f, jacobian, fit_loss, jac2, gradient). */
SEXP training_loss_grad(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP y, SEXP lambda,
                        SEXP want_grad, SEXP threads) {
  tr_state s;
  int nt = tr_setup(&s, params, par, ipar, x, y, lambda, threads);
  if (!Rf_isLogical(want_grad) || XLENGTH(want_grad) != 1 || LOGICAL(want_grad)[0] == NA_LOGICAL)
    Rf_error("'want_grad' must be TRUE or FALSE");
  int wg = LOGICAL(want_grad)[0];
  int N = s.N, d = s.net.n[0];
  tr_alloc_state(&s, wg, nt);
  SEXP grad = PROTECT(Rf_allocVector(REALSXP, wg ? s.net.npar : 0));
  tr_evaluate(&s, wg ? 2 : 1, wg ? REAL(grad) : NULL, NULL, NULL, 0.0, NULL, nt);
  double fl, j2;
  tr_sum_loss(&s, &fl, &j2);
  SEXP fv = PROTECT(Rf_allocVector(REALSXP, N));
  SEXP J = PROTECT(Rf_allocMatrix(REALSXP, N, d));
  for (int a = 0; a < N; a++) REAL(fv)[a] = s.w.f[a];
  jntk_transpose(d, 0, N, s.w.r[0], d, REAL(J), N);
  SEXP vals[5] = {fv, J, PROTECT(Rf_ScalarReal(fl)), PROTECT(Rf_ScalarReal(j2)), grad};
  const char *nm[5] = {"f", "jacobian", "fit_loss", "jac2", "gradient"};
  SEXP out = named_list(5, nm, vals);
  UNPROTECT(5);
  return out;
}

/* Ctrl-C without a long jump: TRUE when an interrupt is pending (it is then
 * consumed; the caller returns what it has and R says it was interrupted). */
static void check_interrupt_fn(void *dummy) {
  (void) dummy;
  R_CheckUserInterrupt();
}
static int interrupt_pending(void) { return !R_ToplevelExec(check_interrupt_fn, NULL); }

/* At most this many steps per call (the loss history is 16 bytes a step);
 * R's driver records longer runs in chunks. */
#define TR_MAX_STEPS 10000000

/* `steps` full-batch gradient-descent steps theta <- theta - lr grad L(theta).
 * Returns list(theta, fit_loss, jac2, status): fit_loss[s], jac2[s] are the
 * loss terms at the parameters before update s (s = 1..steps taken); status
 * 0: all steps taken; 1: the loss, the gradient or the updated parameters
 * became non-finite at the last recorded step (theta is then the parameter
 * vector at that step, before the failed update, so it is finite); 2: the
 * user interrupted (theta after the steps taken). theta is checked once; the
 * input is not modified. */
SEXP training_gd(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP y, SEXP lambda, SEXP lr,
                 SEXP steps, SEXP threads) {
  tr_state s;
  int nt = tr_setup(&s, params, par, ipar, x, y, lambda, threads);
  if (!Rf_isReal(params)) Rf_error("'params' must be the flat parameter vector theta");
  double eta = jntk_real_scalar(lr, "lr");
  if (!(eta > 0)) Rf_error("'lr' must be > 0");
  int ns = jntk_int_scalar(steps, "steps");
  if (ns < 0 || ns > TR_MAX_STEPS)
    Rf_error("'steps' must be between 0 and %d per call (record longer runs in chunks)",
             TR_MAX_STEPS);
  ptrdiff_t np = s.net.npar;
  tr_alloc_state(&s, 1, nt);
  SEXP th = PROTECT(Rf_allocVector(REALSXP, np));
  double *cur = REAL(th), *next = mlp_alloc(np), *g = mlp_alloc(np);
  memcpy(cur, REAL(params), np * sizeof(double));
  double *flb = mlp_alloc(ns), *j2b = mlp_alloc(ns);
  int status = 0, taken = 0;
  for (int st = 0; st < ns; st++) {
    if (interrupt_pending()) {
      status = 2;
      break;
    }
    mlp_set_theta(&s.net, cur);
    int finite = 1;
    tr_evaluate(&s, 2, g, cur, next, eta, &finite, nt);
    tr_sum_loss(&s, flb + st, j2b + st);
    taken++;
    /* stop before an update that would leave theta non-finite */
    if (!finite || !R_FINITE(flb[st] + 0.5 * s.lambda * j2b[st])) {
      status = 1;
      break;
    }
    double *tmp = cur;
    cur = next;
    next = tmp;
  }
  if (cur != REAL(th)) memcpy(REAL(th), cur, np * sizeof(double));
  SEXP fl = PROTECT(Rf_allocVector(REALSXP, taken));
  SEXP j2 = PROTECT(Rf_allocVector(REALSXP, taken));
  memcpy(REAL(fl), flb, taken * sizeof(double));
  memcpy(REAL(j2), j2b, taken * sizeof(double));
  SEXP vals[4] = {th, fl, j2, PROTECT(Rf_ScalarInteger(status))};
  const char *nm[4] = {"theta", "fit_loss", "jac2", "status"};
  SEXP out = named_list(4, nm, vals);
  UNPROTECT(4);
  return out;
}

/* The BLAS floor of one gradient evaluation (benchmarks): one evaluation on
 * one thread with its BLAS calls logged, then `reps` replays of those calls
 * alone, on the same operands. Returns NULL; time it from R. */
SEXP training_blas_floor(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP y, SEXP lambda,
                         SEXP reps) {
  tr_state s;
  SEXP one = PROTECT(Rf_ScalarInteger(1));
  tr_setup(&s, params, par, ipar, x, y, lambda, one);
  int r = jntk_int_scalar(reps, "reps");
  if (r < 0 || r > 10000) Rf_error("'reps' must be between 0 and 10000");
  tr_alloc_state(&s, 1, 1);
  double *g = mlp_alloc(s.net.npar);
  jntk_blas_log_open();
  tr_evaluate(&s, 2, g, NULL, NULL, 0.0, NULL, 1);
  jntk_blas_log_close();
  jntk_blas_replay(r);
  UNPROTECT(1);
  return R_NilValue;
}
