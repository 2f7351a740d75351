/* The layer recursion of the analytic kernels over all pairs (math.md §2-4):
 * NNGP and NTK (Jacot et al. 2018, Theorem 1) and the eight per-pair
 * scalars of the Jacobian NNGP and the JNTK (Kim & Yang 2024, Theorems
 * 3.1-4.5).
 *
 * Layer-major: the pair state (covariance, tangent kernel, and the angle for
 * the kinked family) lives in the output buffers and is updated layer by
 * layer, so memory does not grow with depth and each layer's per-point data
 * (variances, series tables) is needed only while that layer runs. Columns
 * are processed in chunks sized by the work actually done (the series pairs
 * cost 1 to 1000 times a closed form), with an interrupt check between
 * chunks, never inside a parallel region.
 *
 * The first layer keeps the digits of near-parallel pairs: with
 * alpha0 = sigma_w^2/d, beta = sigma_b^2, n = |x|, m = |x'| and the input
 * angle theta0,
 *   sqrt(a1 b1) -/+ c1 = e + alpha0 n m (1 -/+ cos theta0) (+ 2 beta),
 *   e = alpha0 beta (n - m)^2 / (sqrt(a1 b1) + alpha0 n m + beta),
 * where 1 -/+ cos theta0 = |x^ -/+ x^'|^2 / 2 is computed from the inputs when
 * |rho0| > 1 - 1e-4 (the Gram matrix would cancel there). This gives the
 * pair's angle theta1 and gap D1 = a1 b1 sin^2 theta1 to full relative
 * accuracy; the kinked family carries the angle on (dual_kink_next()). */
#include <string.h>
#include "jntk.h"
#include "dual.h"
#include "series.h"
#include "kernels.h"
#include "linalg.h"
#include "plain_jet.h"

#define EPS 2.220446049250313e-16
/* work units (about 10 ns on one core) between interrupt checks */
#define WORK_CHUNK 5e6

/* ---------------------------------------------------------------------------
 * First layer
 * ------------------------------------------------------------------------- */

typedef struct {
  double a, b, c, th, D; /* variances, covariance, angle, gap */
  double n, m, rho;      /* norms and input correlation (0 at a zero norm) */
} first_layer;

static first_layer first_pair(const kpar *kp, const kside *s1, int i, const kside *s2,
                              int j, double p, double *work) {
  first_layer f;
  double al0 = kp->sw2 / kp->d, be = kp->sb2;
  f.n = sqrt(s1->q[i]);
  f.m = sqrt(s2->q[j]);
  f.a = al0 * s1->q[i] + be;
  f.b = al0 * s2->q[j] + be;
  f.c = al0 * p + be;
  double nm = f.n * f.m, omc = 1.0, opc = 1.0;
  f.rho = 0.0;
  if (f.n > 0 && f.m > 0) {
    f.rho = (p / f.n) / f.m;
    if (f.rho > 1) f.rho = 1;
    if (f.rho < -1) f.rho = -1;
    omc = 1.0 - f.rho;
    opc = 1.0 + f.rho;
    if (fabs(f.rho) > 1.0 - 1e-4 && s1->x && s2->x) {
      /* Kahan: |x^ - x^'|^2 / 2 = 1 - cos(theta0), without cancellation */
      double sm = 0.0, sp = 0.0, in = 1.0 / f.n, im = 1.0 / f.m;
      for (int k = 0; k < kp->d; k++) {
        double u = s1->x[i + (ptrdiff_t) k * s1->n] * in, w = s2->x[j + (ptrdiff_t) k * s2->n] * im;
        sm += (u - w) * (u - w);
        sp += (u + w) * (u + w);
      }
      omc = 0.5 * sm;
      opc = 0.5 * sp;
      *work += 0.2 * kp->d;
    }
  }
  double S = sqrt(f.a * f.b);
  if (!(S > 0)) {
    f.th = M_PI_2;
    f.D = 0.0;
    return f;
  }
  double dn = f.n - f.m, e = al0 * be * dn * dn / (S + al0 * nm + be);
  f.th = dual_theta(e + al0 * nm * omc, e + al0 * nm * opc + 2.0 * be);
  double sn = S * sin(f.th);
  f.D = sn * sn;
  return f;
}

/* ---------------------------------------------------------------------------
 * Per-layer, per-point data
 * ------------------------------------------------------------------------- */

typedef struct {
  double *v, *dv;     /* variances entering this layer and d/dn (jets) */
  double *vn, *dvn;   /* the next layer's */
  double *r, *rn;     /* their square roots (kinked family) */
  series_side sd;     /* series tables (series activations) */
  int n;
} layer_side;

static void side_alloc(layer_side *ls, int n, int jets) {
  ls->n = n;
  ls->v = (double *) R_alloc(n, sizeof(double));
  ls->vn = (double *) R_alloc(n, sizeof(double));
  ls->dv = jets ? (double *) R_alloc(n, sizeof(double)) : NULL;
  ls->dvn = jets ? (double *) R_alloc(n, sizeof(double)) : NULL;
  ls->r = (double *) R_alloc(n, sizeof(double));
  ls->rn = (double *) R_alloc(n, sizeof(double));
}

static void side_first(const kpar *kp, const kside *s, layer_side *ls) {
  double al0 = kp->sw2 / kp->d;
  for (int i = 0; i < ls->n; i++) {
    ls->v[i] = al0 * s->q[i] + kp->sb2;
    ls->r[i] = sqrt(ls->v[i]);
    if (ls->dv) ls->dv[i] = 2.0 * al0 * sqrt(s->q[i]);
  }
}

/* Data for the layer at variances v: series tables of K terms, next
 * variances; in blocks of points with an interrupt check between them. */
static void side_layer(const kpar *kp, layer_side *ls, int nord, int K, int nthreads) {
  int n = ls->n;
  if (kp->sr) {
    series_side_alloc(&ls->sd, n, nord, K);
    const int blk = 256;
    for (int i0 = 0; i0 < n; i0 += blk) {
      int i1 = i0 + blk < n ? i0 + blk : n;
      series_side_fill(kp, ls->v, ls->dv, i0, i1, &ls->sd, ls->vn, ls->dvn, nthreads);
      if (i1 < n) R_CheckUserInterrupt();
    }
    series_side_finish(&ls->sd);
    for (int i = 0; i < n; i++) ls->rn[i] = sqrt(ls->vn[i] > 0 ? ls->vn[i] : 0.0);
    return;
  }
  for (int i = 0; i < n; i++) {
    double g, dg;
    dual_diag(kp, ls->v[i], &g, &dg);
    ls->vn[i] = kp->sw2 * g + kp->sb2;
    ls->rn[i] = sqrt(ls->vn[i]);
    if (ls->dv) ls->dvn[i] = kp->sw2 * dg * ls->dv[i];
  }
}

/* The largest |rho| over the pairs of a layer (the diagonal of a symmetric
 * kernel excluded), from the covariances cv (at the first layer the Gram
 * matrix, mapped by alpha0 p + beta): the Hermite tables need no more terms
 * than Mehler's sum does there (series_terms_for()). */
static double layer_rho_max(const kpar *kp, const double *cv, int layer, const layer_side *l1,
                            const layer_side *l2, int n1, int n2, int sym, double *pending) {
  double al0 = kp->sw2 / kp->d, be = kp->sb2, rmax = 0.0;
  for (int j = 0; j < n2; j++) {
    int iend = sym ? j : n1;
    double vj = l2->v[j];
    for (int i = 0; i < iend; i++) {
      double c = cv[i + (ptrdiff_t) j * n1], ab = l1->v[i] * vj;
      if (layer == 0) c = al0 * c + be;
      if (ab > 0 && c * c > rmax * rmax * ab) rmax = fabs(c) / sqrt(ab);
    }
    *pending += 0.2 * iend;
    if (*pending >= WORK_CHUNK) {
      R_CheckUserInterrupt();
      *pending = 0.0;
    }
  }
  return rmax > 1 ? 1.0 : rmax;
}

static void side_advance(layer_side *ls) {
  double *t = ls->v;
  ls->v = ls->vn;
  ls->vn = t;
  t = ls->r;
  ls->r = ls->rn;
  ls->rn = t;
  t = ls->dv;
  ls->dv = ls->dvn;
  ls->dvn = t;
}

/* ---------------------------------------------------------------------------
 * Failure records (one per thread, merged after each region)
 * ------------------------------------------------------------------------- */

JNTK_INLINE void fail_note(kfail *f, int layer, double a, double b, double est) {
  if (!f->failed || est > f->estimate) {
    f->failed = 1;
    f->layer = layer;
    f->variance = a > b ? a : b;
    f->estimate = est;
  }
}

static void fail_merge(kfail *to, const kfail *from, int nt) {
  for (int t = 0; t < nt; t++) {
    const kfail *f = from + t;
    if (f->overflow) to->overflow = 1;
    if (f->failed && (!to->failed || f->estimate > to->estimate ||
                      (f->estimate == to->estimate && f->layer < to->layer))) {
      to->failed = 1;
      to->layer = f->layer;
      to->variance = f->variance;
      to->estimate = f->estimate;
    }
  }
}

/* Columns [j0, j1) holding about `pairs` pairs (sym: column j has j + 1). */
static int chunk_end(int j0, int n2, int n1, int sym, double pairs) {
  double acc = 0;
  int j = j0;
  while (j < n2) {
    acc += sym ? (double) (j + 1) : (double) n1;
    j++;
    if (acc >= pairs) break;
  }
  return j;
}

/* ---------------------------------------------------------------------------
 * Plain kernels
 * ------------------------------------------------------------------------- */

typedef struct {
  const kpar *kp;
  const kside *s1, *s2;
  layer_side *l1, *l2;
  double *c, *th, *ang; /* pair state: covariance, tangent, angle */
  int n1, sym, layer;
} plain_ctx;

/* Column j (rows 0..iend-1) at one layer; ACT is a compile-time constant in
 * each instance, so the dispatch folds away. */
#define PLAIN_COLUMN(NAME, ACT)                                                \
  static void NAME(const void *ctx, int j, int iend, kfail *fl, double *work) { \
    const plain_ctx *x = (const plain_ctx *) ctx;                              \
    const kpar *kp = x->kp;                                                    \
    for (int i = 0; i < iend; i++) {                                           \
    ptrdiff_t ix = i + (ptrdiff_t) j * x->n1;                                  \
    const int kink = dual_is_kinked(ACT), ser = dual_is_series(ACT);           \
    pairval pv;                                                                \
    double thv, Derr = 0.0;                                                    \
    if (x->layer == 0) {                                                       \
      first_layer f = first_pair(kp, x->s1, i, x->s2, j, x->c[ix], work);      \
      pv.a = f.a; pv.b = f.b; pv.c = f.c; pv.D = f.D; pv.th = f.th;            \
      pv.ra = x->l1->r[i]; pv.rb = x->l2->r[j];                                \
      /* standard: Theta^1 = x.x' + bt (c still holds the Gram matrix) */    \
      thv = kp->std ? x->c[ix] + kp->bt : f.c;                                 \
      if (kink) pair_half_angle(&pv);                                          \
    } else {                                                                   \
      pv.a = x->l1->v[i]; pv.b = x->l2->v[j]; pv.c = x->c[ix];                 \
      pv.ra = x->l1->r[i]; pv.rb = x->l2->r[j];                                \
      thv = x->th ? x->th[ix] : 0.0;                                           \
      if (kink) {                                                              \
        pv.th = x->ang[ix];                                                    \
        pair_half_angle(&pv);                                                  \
        double sn = 2.0 * pv.ra * pv.rb * pv.hs * pv.hc;                       \
        pv.D = sn * sn;                                                        \
      } else {                                                                 \
        pv.th = 0.0;                                                           \
        pv.D = pv.a * pv.b - pv.c * pv.c;                                      \
        if (pv.D < 0) pv.D = 0;                                                \
        /* a point with itself stays on the diagonal: D = 0 exactly */         \
        Derr = x->sym && i == j ? 0.0 : 4.0 * EPS * pv.a * pv.b;               \
      }                                                                        \
    }                                                                          \
    double g, gd;                                                              \
    if (ser) {                                                                 \
      double mo[2];                                                            \
      double est = series_pair(kp->sr, &x->l1->sd, i, &x->l2->sd, j, pv.a,     \
                               pv.b, pv.c, pv.D, Derr, 2, series_plain_ij, mo); \
      *work += est > kp->sr->tau + kp->sr->eps_mehler ? 300.0 : 8.0;           \
      if (est > kp->sr->fail_tol) fail_note(fl, x->layer + 1, pv.a, pv.b, est); \
      g = mo[0];                                                               \
      gd = mo[1];                                                              \
    } else {                                                                   \
      dual_closed(ACT, kp, &pv, &g, x->th ? &gd : NULL);                       \
      *work += 4.0;                                                            \
    }                                                                          \
    double cn = kp->sw2 * g + kp->sb2;                                         \
    if (x->th) x->th[ix] = (kp->std ? kp->wd[x->layer] * g + kp->bt : cn)     \
                           + kp->sw2 * gd * thv;                               \
    x->c[ix] = cn;                                                             \
    if (kink) x->ang[ix] = dual_kink_next(kp, &pv, x->l1->rn[i], x->l2->rn[j]); \
    }                                                                          \
  }

PLAIN_COLUMN(plain_identity, ACT_IDENTITY)
PLAIN_COLUMN(plain_relu, ACT_RELU)
PLAIN_COLUMN(plain_leaky, ACT_LEAKY_RELU)
PLAIN_COLUMN(plain_abs, ACT_ABS)
PLAIN_COLUMN(plain_erf, ACT_ERF)
PLAIN_COLUMN(plain_gelu, ACT_GELU)
PLAIN_COLUMN(plain_sin, ACT_SIN)
PLAIN_COLUMN(plain_cos, ACT_COS)
PLAIN_COLUMN(plain_tanh, ACT_TANH) /* any series activation: the code is the same */
PLAIN_COLUMN(plain_closed, kp->act) /* the other closed forms, dispatched per pair */

/* Column function: one column j, rows 0..iend-1, of one layer. */
typedef void (*column_fn)(const void *, int, int, kfail *, double *);

static column_fn plain_for(int act) {
  switch (act) {
  case ACT_IDENTITY: return plain_identity;
  case ACT_RELU: return plain_relu;
  case ACT_LEAKY_RELU: return plain_leaky;
  case ACT_ABS: return plain_abs;
  case ACT_ERF: return plain_erf;
  case ACT_GELU: return plain_gelu;
  case ACT_SIN: return plain_sin;
  case ACT_COS: return plain_cos;
  default: return dual_is_series(act) ? plain_tanh : plain_closed;
  }
}

/* Run fn over all columns of one layer in work-sized chunks of columns. */
static void sweep(const void *ctx, column_fn fn, int n1, int n2, int sym, int nthreads,
                  double guess, kfail *fail, double *pending) {
  int nt = jntk_threads(nthreads, (double) n1 * n2, JNTK_GRAIN_PAIR_LAYERS);
  kfail *fl = (kfail *) R_alloc(nt, sizeof(kfail));
  double *wk = (double *) R_alloc(nt, sizeof(double));
  memset(fl, 0, sizeof(kfail) * nt);
  double per_pair = guess; /* running estimate of work per pair: start at the
                            * most expensive method, then measure */
  int j0 = 0;
  while (j0 < n2) {
    double budget = WORK_CHUNK - *pending;
    if (budget < WORK_CHUNK / 8) budget = WORK_CHUNK / 8;
    int j1 = chunk_end(j0, n2, n1, sym, budget / per_pair);
    for (int t = 0; t < nt; t++) wk[t] = 0.0;
    JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1))
    for (int j = j0; j < j1; j++) {
      int tid = jntk_thread_id();
      fn(ctx, j, sym ? j + 1 : n1, fl + tid, wk + tid);
    }
    double w = 0.0, np = 0.0;
    for (int t = 0; t < nt; t++) w += wk[t];
    for (int j = j0; j < j1; j++) np += sym ? j + 1 : n1;
    if (np > 0 && w > 0) per_pair = w / np;
    *pending += w;
    if (*pending >= WORK_CHUNK) {
      R_CheckUserInterrupt();
      *pending = 0.0;
    }
    j0 = j1;
  }
  fail_merge(fail, fl, nt);
}

void kernel_plain_worker(const kpar *kp, const kside *s1, const kside *s2, int sym,
                         double *c, double *th, kfail *fail, int nthreads) {
  int n1 = s1->n, n2 = s2->n, L = kp->depth;
  ptrdiff_t S = (ptrdiff_t) n1 * n2;
  layer_side l1, l2;
  side_alloc(&l1, n1, 0);
  side_first(kp, s1, &l1);
  if (!sym) {
    side_alloc(&l2, n2, 0);
    side_first(kp, s2, &l2);
  }
  plain_ctx x = {kp, s1, s2, &l1, sym ? &l1 : &l2, c, th, NULL, n1, sym, 0};
  if (dual_is_kinked(kp->act) && L > 0) x.ang = (double *) R_alloc(S, sizeof(double));
  double pending = 0.0;
  if (L == 0) { /* the affine kernel */
    double al0 = kp->sw2 / kp->d;
    for (int j = 0; j < n2; j++) {
      int iend = sym ? j + 1 : n1;
      for (int i = 0; i < iend; i++) {
        ptrdiff_t ix = i + (ptrdiff_t) j * n1;
        double p = c[ix];
        c[ix] = al0 * p + kp->sb2;
        if (th) th[ix] = kp->std ? p + kp->bt : c[ix];
      }
    }
  }
  for (int l = 0; l < L; l++) {
    int K = kp->sr ? series_terms_for(kp->sr, layer_rho_max(kp, c, l, &l1, sym ? &l1 : &l2, n1,
                                                            n2, sym, &pending))
                   : 0;
    side_layer(kp, &l1, 2, K, nthreads);
    if (!sym) side_layer(kp, &l2, 2, K, nthreads);
    x.layer = l;
    sweep(&x, plain_for(kp->act), n1, n2, sym, nthreads, kp->sr ? 300.0 : 8.0, fail, &pending);
    side_advance(&l1);
    if (!sym) side_advance(&l2);
    pending += (double) (n1 + n2);
    if (pending >= WORK_CHUNK) {
      R_CheckUserInterrupt();
      pending = 0.0;
    }
  }
  int nt = jntk_threads(nthreads, (double) S, JNTK_GRAIN_ELEMENTS);
  int over = 0;
  JNTK_OMP(parallel for num_threads(nt) schedule(static) reduction(|| : over))
  for (int j = 0; j < n2; j++) {
    int iend = sym ? j + 1 : n1;
    for (int i = 0; i < iend; i++) {
      ptrdiff_t ix = i + (ptrdiff_t) j * n1;
      c[ix] *= kp->k2;
      if (th) th[ix] *= kp->k2;
      if (!R_FINITE(c[ix]) || (th && !R_FINITE(th[ix]))) over = 1;
    }
  }
  if (over) fail->overflow = 1;
  if (sym) {
    jntk_mirror_upper(c, c, n1, nt);
    if (th) jntk_mirror_upper(th, th, n1, nt);
  }
}

/* ---------------------------------------------------------------------------
 * Jacobian kernels: jets in the polar variables (rho, |x|, |x'|), or the
 * cartesian ones (x.x', |x|, |x'|) where a norm vanishes (jet.h)
 * ------------------------------------------------------------------------- */


typedef struct {
  const kpar *kp;
  const kside *s1, *s2;
  layer_side *l1, *l2;
  const double *gram;
  double *c, *th, *ang; /* state: 8 slices each (th may be NULL), angle */
  int n1, sym, layer;
  ptrdiff_t S;
} jet_ctx;

JNTK_INLINE jet jet_load(const double *F, ptrdiff_t ix, ptrdiff_t S) {
  jet z = {F[ix], F[ix + S], F[ix + 2 * S], F[ix + 3 * S],
           F[ix + 4 * S], F[ix + 5 * S], F[ix + 6 * S], F[ix + 7 * S]};
  return z;
}

JNTK_INLINE void jet_store(double *F, ptrdiff_t ix, ptrdiff_t S, jet z) {
  F[ix] = z.v; F[ix + S] = z.w; F[ix + 2 * S] = z.n; F[ix + 3 * S] = z.m;
  F[ix + 4 * S] = z.ww; F[ix + 5 * S] = z.wn; F[ix + 6 * S] = z.wm; F[ix + 7 * S] = z.nm;
}

/* The first layer's jet of al x.x' + const, whose value is v: x.x' is
 * rho n m in the polar variables, w in the cartesian ones. */
static jet first_jet(const first_layer *f, double v, double al) {
  jet c = jconst(v);
  if (pair_cartesian(f->n, f->m)) {
    c.w = al;
  } else {
    c.w = al * f->n * f->m;
    c.n = al * f->rho * f->m;
    c.m = al * f->rho * f->n;
    c.wn = al * f->m;
    c.wm = al * f->n;
    c.nm = al * f->rho;
  }
  return c;
}

/* The first layer's tangent jet: Sigma^1's (ntk), or x.x' + bt (standard). */
static jet first_tangent(const kpar *kp, const first_layer *f, double p, jet c) {
  return kp->std ? first_jet(f, p + kp->bt, 1.0) : c;
}

static void jet_pair(const jet_ctx *x, int i, int j, kfail *fl, double *work) {
  const kpar *kp = x->kp;
  ptrdiff_t ix = i + (ptrdiff_t) j * x->n1, S = x->S;
  const int kink = dual_is_kinked(kp->act), ser = dual_is_series(kp->act);
  pairval pv;
  jet c, th = jconst(0.0);
  double Derr = 0.0;
  if (x->layer == 0) {
    first_layer f = first_pair(kp, x->s1, i, x->s2, j, x->gram[ix], work);
    double al0 = kp->sw2 / kp->d;
    pv.a = f.a; pv.b = f.b; pv.c = f.c; pv.D = f.D; pv.th = f.th;
    pv.ra = x->l1->r[i]; pv.rb = x->l2->r[j];
    if (kink) pair_half_angle(&pv);
    c = first_jet(&f, f.c, al0);
    th = first_tangent(kp, &f, x->gram[ix], c);
  } else {
    c = jet_load(x->c, ix, S);
    if (x->th) th = jet_load(x->th, ix, S);
    pv.a = x->l1->v[i]; pv.b = x->l2->v[j]; pv.c = c.v;
    pv.ra = x->l1->r[i]; pv.rb = x->l2->r[j];
    if (kink) {
      pv.th = x->ang[ix];
      pair_half_angle(&pv);
      double sn = 2.0 * pv.ra * pv.rb * pv.hs * pv.hc;
      pv.D = sn * sn;
    } else {
      pv.th = 0.0;
      pv.D = pv.a * pv.b - pv.c * pv.c;
      if (pv.D < 0) pv.D = 0;
      Derr = x->sym && i == j ? 0.0 : 4.0 * EPS * pv.a * pv.b;
    }
  }
  double an = x->l1->dv[i], bm = x->l2->dv[j];
  jet G, Gd;
  if (ser) {
    double mo[SERIES_NMOM];
    int nm = x->th ? SERIES_NMOM : 7;
    double est = series_pair(kp->sr, &x->l1->sd, i, &x->l2->sd, j, pv.a, pv.b, pv.c, pv.D,
                             Derr, nm, series_jet_ij, mo);
    *work += est > kp->sr->tau + kp->sr->eps_mehler ? 1500.0 : 40.0;
    if (est > kp->sr->fail_tol) fail_note(fl, x->layer + 1, pv.a, pv.b, est);
    /* Price's theorem: dE[F]/dc = E[F_uv], dE[F]/da = E[F_uu]/2;
     * {g, ga, gb, gc, gcc, gac, gbc, gab} */
    double P[8] = {mo[0], 0.5 * mo[1], 0.5 * mo[2], mo[3], mo[4], 0.5 * mo[5], 0.5 * mo[6],
                   0.25 * mo[4]};
    G = jcompose3_pair(an, bm, c, P);
    if (x->th) {
      double Pd[8] = {mo[3], 0.5 * mo[5], 0.5 * mo[6], mo[4], mo[7], 0.5 * mo[8],
                      0.5 * mo[9], 0.25 * mo[7]};
      Gd = jcompose3_pair(an, bm, c, Pd);
    }
  } else {
    dual_jet(kp, &pv, an, bm, c, &G, x->th ? &Gd : NULL);
    *work += 30.0;
  }
  jet cn = jaffine(G, kp->sw2, kp->sb2);
  if (x->th) {
    jet own = kp->std ? jaffine(G, kp->wd[x->layer], kp->bt) : cn;
    jet_store(x->th, ix, S, jadd(own, jaffine(jmul(Gd, th), kp->sw2, 0.0)));
  }
  if (x->c) jet_store(x->c, ix, S, cn);
  if (kink) x->ang[ix] = dual_kink_next(kp, &pv, x->l1->rn[i], x->l2->rn[j]);
}

static void jet_column(const void *ctx, int j, int iend, kfail *fl, double *work) {
  for (int i = 0; i < iend; i++) jet_pair((const jet_ctx *) ctx, i, j, fl, work);
}

/* The jets of the first layer alone (depth 0). */
static void jet_first_pair(const jet_ctx *x, int i, int j, double *work) {
  ptrdiff_t ix = i + (ptrdiff_t) j * x->n1;
  first_layer f = first_pair(x->kp, x->s1, i, x->s2, j, x->gram[ix], work);
  jet c = first_jet(&f, f.c, x->kp->sw2 / x->kp->d);
  if (x->c) jet_store(x->c, ix, x->S, c);
  if (x->th) jet_store(x->th, ix, x->S, first_tangent(x->kp, &f, x->gram[ix], c));
}

static void jet_first_column(const void *ctx, int j, int iend, kfail *fl, double *work) {
  (void) fl;
  for (int i = 0; i < iend; i++) jet_first_pair((const jet_ctx *) ctx, i, j, work);
}

/* Whether options(jntk.scalar_jets = TRUE) forces this file's jets where
 * plain_jet.c's would run (the tests compare the two). */
static int scalar_jets_forced(void) {
  SEXP o = Rf_GetOption1(Rf_install("jntk.scalar_jets"));
  return Rf_isLogical(o) && XLENGTH(o) == 1 && LOGICAL(o)[0] == TRUE;
}

/* The layer-outer sweep of the jets (every activation) and the stored
 * scalars of the pairs i <= j when sym. */
static void jet_layers(const kpar *kp, const kside *s1, const kside *s2, int sym,
                       const double *gram, double *out0, double *out1, kfail *fail,
                       int nthreads) {
  int n1 = s1->n, n2 = s2->n, L = kp->depth;
  ptrdiff_t S = (ptrdiff_t) n1 * n2;
  layer_side l1, l2;
  side_alloc(&l1, n1, 1);
  side_first(kp, s1, &l1);
  if (!sym) {
    side_alloc(&l2, n2, 1);
    side_first(kp, s2, &l2);
  }
  /* the covariance state is needed even for the JNTK alone */
  double *cst = out0 ? out0 : (double *) R_alloc((size_t) 8 * S, sizeof(double));
  jet_ctx x = {kp, s1, s2, &l1, sym ? &l1 : &l2, gram, cst, out1, NULL, n1, sym, 0, S};
  if (dual_is_kinked(kp->act) && L > 0) x.ang = (double *) R_alloc(S, sizeof(double));
  double pending = 0.0;
  if (L == 0) sweep(&x, jet_first_column, n1, n2, sym, nthreads, 8.0, fail, &pending);
  for (int l = 0; l < L; l++) {
    int K = kp->sr ? series_terms_for(kp->sr, layer_rho_max(kp, l == 0 ? gram : cst, l, &l1,
                                                            sym ? &l1 : &l2, n1, n2, sym,
                                                            &pending))
                   : 0;
    side_layer(kp, &l1, 5, K, nthreads);
    if (!sym) side_layer(kp, &l2, 5, K, nthreads);
    x.layer = l;
    sweep(&x, jet_column, n1, n2, sym, nthreads, kp->sr ? 1500.0 : 30.0, fail, &pending);
    side_advance(&l1);
    if (!sym) side_advance(&l2);
  }
  /* kappa^2 and the stored scalars */
  int nt = jntk_threads(nthreads, (double) S * 8, JNTK_GRAIN_ELEMENTS), over = 0;
  JNTK_OMP(parallel for num_threads(nt) schedule(static) reduction(|| : over))
  for (int j = 0; j < n2; j++) {
    int iend = sym ? j + 1 : n1;
    for (int i = 0; i < iend; i++) {
      ptrdiff_t ix = i + (ptrdiff_t) j * n1;
      double n = sqrt(s1->q[i]), m = sqrt(s2->q[j]), rho = 0.0;
      if (n > 0 && m > 0) {
        rho = (gram[ix] / n) / m;
        rho = rho > 1 ? 1 : (rho < -1 ? -1 : rho);
      }
      for (int k = 0; k < 2; k++) {
        double *o = k == 0 ? out0 : out1, *st = k == 0 ? cst : out1;
        if (!o) continue;
        jet F = jaffine(jet_load(st, ix, S), kp->k2, 0.0);
        jacobian_scalars_from_jet(F, n, m, rho, o, ix, S);
        for (int e = 0; e < 8; e++)
          if (!R_FINITE(o[ix + e * S])) over = 1;
      }
    }
  }
  if (over) fail->overflow = 1;
}

void kernel_jet_worker(const kpar *kp, const kside *s1, const kside *s2, int sym,
                       const double *gram, double *out0, double *out1, kfail *fail,
                       int nthreads) {
  int n1 = s1->n;
  ptrdiff_t S = (ptrdiff_t) n1 * s2->n;
  /* the column-outer vectorised jets where they apply (plain_jet.c) */
  if (plain_jet_handles(kp, n1, out1 != NULL) && !scalar_jets_forced())
    plain_jet_kernel(kp, s1, s2, sym, gram, out0, out1, fail, nthreads);
  else
    jet_layers(kp, s1, s2, sym, gram, out0, out1, fail, nthreads);
  if (sym) {
    /* K(x', x) has the two radial variables swapped: Q <-> R, Tq <-> Tr */
    static const int swap[8] = {0, 1, 3, 2, 4, 6, 5, 7};
    int nt = jntk_threads(nthreads, (double) S * 8, JNTK_GRAIN_ELEMENTS);
    for (int k = 0; k < 2; k++) {
      double *o = k == 0 ? out0 : out1;
      if (!o) continue;
      for (int e = 0; e < 8; e++) jntk_mirror_upper(o + e * S, o + swap[e] * S, n1, nt);
    }
  }
}
