/* Closed-form duals as jets, their diagonal maps and the kinked family's
 * angle recursion (see dual.h for the scalar forms and the conventions). */
#include "dual.h"

/* sin(t) - t cos(t), by its series for small t (the subtraction loses
 * digits there): sum_{k>=1} (-1)^{k+1} 2k t^{2k+1} / (2k+1)! */
static double sin_minus_tcos(double t) {
  if (t > 0.5) return sin(t) - t * cos(t);
  double t2 = t * t, term = t * t2 / 3.0, s = term; /* k = 1: 2 t^3 / 3! */
  for (int k = 2; k < 12; k++) {
    term *= -t2 * (double) k / ((double) (k - 1) * (2.0 * k) * (2.0 * k + 1.0));
    s += term;
  }
  return s;
}

double dual_theta(double gap, double antigap) {
  if (!(gap > 0)) gap = 0.0;
  if (!(antigap > 0)) antigap = 0.0;
  if (gap == 0.0 && antigap == 0.0) return M_PI_2;
  return 2.0 * atan2(sqrt(gap), sqrt(antigap));
}

double dual_kink_next(const kpar *kp, const pairval *pv, double ra1, double rb1) {
  double a = pv->a, b = pv->b, th = pv->th;
  if (!(a * b > 0) || !(ra1 * rb1 > 0)) return M_PI_2;
  double A = kp->A1 * kp->A1, B = kp->B1 * kp->B1, alpha = kp->sw2 * (A + B), beta = kp->sb2;
  double s = pv->ra * pv->rb, s1 = ra1 * rb1, hs = pv->hs, hc = pv->hc;
  double omc = 2.0 * hs * hs, opc = 2.0 * hc * hc; /* 1 -/+ cos(theta) */
  double sn = 2.0 * hs * hc, cs = (hc - hs) * (hc + hs);
  double G = omc - TWO_OVER_PI * (th > 0.5 ? sn - th * cs : sin_minus_tcos(th));
  if (G < 0) G = 0;
  double J = sn + (M_PI_2 - th) * cs;
  double dab = pv->ra - pv->rb, e = alpha * beta * dab * dab / (s1 + alpha * s + beta);
  double gap = e + kp->sw2 * s * (A * omc + B * G);
  double anti = e + kp->sw2 * s * (A * opc + B * (1.0 + TWO_OVER_PI * J)) + 2.0 * beta;
  return dual_theta(gap, anti);
}

static void gelu_jet(const pairval *pv, jet a, jet b, jet c, jet *G, jet *Gd) {
  jet P = jmul(a, b), P1 = jmul(jaffine(a, 1.0, 1.0), jaffine(b, 1.0, 1.0));
  jet D = jsub(P, jmul(c, c));
  D.v = pv->D;
  jet d2 = jadd(jaffine(jadd(a, b), 1.0, 1.0), D);
  jet dl = jsqrt(d2), al = jatan2(c, dl);
  jet t1 = jdiv(jadd(jmul(c, c), jmul(P, d2)), jmul(P1, dl));
  *G = jadd(jaffine(c, 0.25, 0.0), jaffine(jadd(t1, jmul(c, al)), 1.0 / (2.0 * M_PI), 0.0));
  if (Gd) {
    jet br = jadd(jinv(d2), jdiv(jaffine(P, -1.0, 1.0), P1));
    br = jaffine(br, 1.0, 1.0);
    jet f1 = jmul(jdiv(c, dl), br);
    *Gd = jadd(jaffine(al, 1.0 / (2.0 * M_PI), 0.25), jaffine(f1, 1.0 / (2.0 * M_PI), 0.0));
  }
}

void dual_kink_coefs(int act, double slope, const double *ap, double *A1, double *B1) {
  double lo = 0.0, hi = 0.0; /* the slopes below and above 0 */
  switch (act) {
  case ACT_IDENTITY: lo = 1.0; hi = 1.0; break;
  case ACT_RELU: lo = 0.0; hi = 1.0; break;
  case ACT_LEAKY_RELU: lo = slope; hi = 1.0; break;
  case ACT_ABS: lo = -1.0; hi = 1.0; break;
  case ACT_ABRELU: lo = ap[0]; hi = ap[1]; break;
  default: break;
  }
  *A1 = 0.5 * (lo + hi);
  *B1 = 0.5 * (hi - lo);
}

/* erf's g(a, a, a) and its total derivative */
static void erf_diag(double a, double *g, double *dg) {
  double u = 1.0 + 2.0 * a, sR = sqrt(1.0 + 4.0 * a);
  *g = TWO_OVER_PI * asin_rho(2.0 * a, sR, u);
  *dg = 2.0 * TWO_OVER_PI / (u * sR);
}

/* Partials {g, g_a, g_b, g_c, g_cc, g_ac, g_bc, g_ab} of erf's g (P) and of
 * its gd (Pd, when not NULL) at (a, b, c) with gap D. With u = 1+2a,
 * w = 1+2b and R = uw - 4c^2 = 1 + 2a + 2b + 4D:
 *   g_c = (4/pi) R^-1/2 (= gdot), g_a = -(4c/pi) R^-1/2 / u,
 *   g_cc = (16c/pi) R^-3/2, g_ac = -(4w/pi) R^-3/2, g_ab = (4c/pi) R^-3/2,
 * and of gdot: gdot_a = -(4w/pi) R^-3/2, gdot_c = (16c/pi) R^-3/2,
 *   gdot_cc = (16/pi) R^-3/2 + (192 c^2/pi) R^-5/2,
 *   gdot_ac = -(48 c w/pi) R^-5/2, gdot_ab = -(8/pi) R^-3/2 + (12 uw/pi) R^-5/2 */
static void erf_partials(double av, double bv, double cv, double D, double *P, double *Pd) {
  double u = 1.0 + 2.0 * av, w = 1.0 + 2.0 * bv;
  double R = 1.0 + 2.0 * (av + bv) + 4.0 * D, r1 = 1.0 / sqrt(R), r3 = r1 / R, r5 = r3 / R,
         k = 2.0 * TWO_OVER_PI; /* 4/pi */
  double gv = TWO_OVER_PI * asin_rho(2.0 * cv, sqrt(R), sqrt(u * w));
  double Pv[8] = {gv, -k * cv * r1 / u, -k * cv * r1 / w, k * r1,
                  4.0 * k * cv * r3, -k * w * r3, -k * u * r3, k * cv * r3};
  for (int e = 0; e < 8; e++) P[e] = Pv[e];
  if (Pd) {
    double Pdv[8] = {k * r1, -k * w * r3, -k * u * r3, 4.0 * k * cv * r3,
                     4.0 * k * r3 + 48.0 * k * cv * cv * r5, -12.0 * k * cv * w * r5,
                     -12.0 * k * cv * u * r5, -2.0 * k * r3 + 3.0 * k * u * w * r5};
    for (int e = 0; e < 8; e++) Pd[e] = Pdv[e];
  }
}

/* M_k(a) = E[phi^(k)(u)] for k = 0..K (dual.h): with E[u^(2i)] =
 * (2i - 1)!! a^i, M_k = sum_i c_{k+2i} (k + 2i)! / (2^i i!) a^i. */
static void poly_M(const double *ap, double a, double *M) {
  int K = nap_poly(ap) - 1;
  const double *cf = ap + 1;
  for (int k = 0; k <= K; k++) {
    double s = 0.0;
    for (int i = (K - k) / 2; i >= 0; i--) { /* Horner in a */
      int j = k + 2 * i;
      double f = 1.0; /* j! / (2^i i!) */
      for (int t = 2; t <= j; t++) f *= t;
      for (int t = 1; t <= i; t++) f /= 2.0 * t;
      s = s * a + f * cf[j];
    }
    M[k] = s;
  }
}

/* 2^-(p+q) sum_m c^m / m! M_{m+r+2p}(a) M_{m+r+2q}(b) */
static double poly_S(int K, const double *Ma, const double *Mb, double c, int p, int q, int r) {
  double s = 0.0, t = 1.0;
  for (int m = 0; m + r + 2 * (p > q ? p : q) <= K; m++) {
    s += t * Ma[m + r + 2 * p] * Mb[m + r + 2 * q];
    t *= c / (m + 1);
  }
  return ldexp(s, -(p + q));
}

void dual_poly(const kpar *kp, double a, double b, double c, double *g, double *gd) {
  double Ma[ACT_MAX_PAR], Mb[ACT_MAX_PAR];
  int K = nap_poly(kp->ap) - 1;
  poly_M(kp->ap, a, Ma);
  poly_M(kp->ap, b, Mb);
  *g = poly_S(K, Ma, Mb, c, 0, 0, 0);
  if (gd) *gd = poly_S(K, Ma, Mb, c, 0, 0, 1);
}

/* The partials {g, g_a, g_b, g_c, g_cc, g_ac, g_bc, g_ab} of g (P) and of
 * gd = g_c (Pd) of a polynomial. */
static void poly_partials(const kpar *kp, double a, double b, double c, double *P, double *Pd) {
  static const int pqr[8][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1},
                                {0, 0, 2}, {1, 0, 1}, {0, 1, 1}, {1, 1, 0}};
  double Ma[ACT_MAX_PAR], Mb[ACT_MAX_PAR];
  int K = nap_poly(kp->ap) - 1;
  poly_M(kp->ap, a, Ma);
  poly_M(kp->ap, b, Mb);
  for (int e = 0; e < 8; e++) {
    P[e] = poly_S(K, Ma, Mb, c, pqr[e][0], pqr[e][1], pqr[e][2]);
    if (Pd) Pd[e] = poly_S(K, Ma, Mb, c, pqr[e][0], pqr[e][1], pqr[e][2] + 1);
  }
}

/* x^n for a whole n >= 0 */
static inline double pow_int(double x, int n) {
  double r = 1.0;
  for (int t = 0; t < n; t++) r *= x;
  return r;
}

/* F_n = J_n(theta) / (2 pi) for n = 0..nmax (dual.h), from sin and cos of
 * theta. */
static void relu_power_F(double th, double sn, double cs, int nmax, double *F) {
  double J0 = M_PI - th, J1 = sn + J0 * cs;
  F[0] = J0;
  if (nmax >= 1) F[1] = J1;
  for (int n = 2; n <= nmax; n++)
    F[n] = (2.0 * n - 1.0) * cs * F[n - 1] + (n - 1.0) * (n - 1.0) * sn * sn * F[n - 2];
  for (int n = 0; n <= nmax; n++) F[n] /= 2.0 * M_PI;
}

/* sin, cos and the angle of a pair from c and its gap D = ab - c^2 */
static double relu_power_angle(const pairval *pv, double c, double *sn, double *cs) {
  double s = pv->ra * pv->rb, sD = sqrt(pv->D), th = atan2(sD, c);
  *sn = sD / s;
  *cs = c / s;
  if (*cs > 1) *cs = 1;
  if (*cs < -1) *cs = -1;
  return th;
}

void dual_relu_power(const kpar *kp, const pairval *pv, double *g, double *gd) {
  int k = (int) kp->ap[0];
  double s = pv->ra * pv->rb, sn, cs, F[10];
  if (!(s > 0)) {
    *g = 0.0;
    if (gd) *gd = 0.0;
    return;
  }
  double th = relu_power_angle(pv, pv->c, &sn, &cs);
  relu_power_F(th, sn, cs, k, F);
  *g = pow_int(s, k) * F[k];
  if (gd) *gd = k * k * pow_int(s, k - 1) * F[k - 1];
}

/* The jet of F_n(rho) (s^n F_n is E[relu^n(u) relu^n(v)]): F_n' = n^2
 * F_{n-1} and F_n'' = n^2 (n-1)^2 F_{n-2} by Price's theorem, with F_0' =
 * 1/(2 pi sin theta) and F_1'' = F_0' (relu's divergent J'', as in
 * kinked_jet(): it multiplies derivatives of rho that vanish on the
 * diagonal, where it is dropped). */
static jet relu_power_Fjet(jet rho, int n, const double *F, double sn) {
  double Fm1 = sn > 1e-200 ? 1.0 / (2.0 * M_PI * sn) : 0.0; /* "F_{-1}" = F_0' */
  double d1 = n >= 1 ? n * n * F[n - 1] : Fm1;
  double d2 = n >= 2 ? n * n * (n - 1.0) * (n - 1.0) * F[n - 2] : (n == 1 ? Fm1 : 0.0);
  return junary(rho, F[n], d1, d2);
}

/* (ab)^(n/2) as a jet from the relative derivatives ra, rb of sqrt(a),
 * sqrt(b) (no n-n or m-m entries: jet.h) */
static jet relu_power_sjet(double s, int n, double ra, double rb) {
  double sn = pow_int(s, n);
  jet z = {sn, 0, n * sn * ra, n * sn * rb, 0, 0, 0, n * n * sn * ra * rb};
  return z;
}

static void relu_power_jet(const kpar *kp, const pairval *pv, double an, double bm, jet c,
                           jet *G, jet *Gd) {
  int k = (int) kp->ap[0];
  double a = pv->a, b = pv->b, s = pv->ra * pv->rb, F[10], sn, cs;
  if (!(a * b > 0)) { /* phi(0) = 0: the pair's kernel and its derivatives vanish */
    *G = jconst(0.0);
    if (Gd) *Gd = jconst(0.0);
    return;
  }
  double ra = 0.5 * an / a, rb = 0.5 * bm / b, is = 1.0 / s;
  jet si = {is, 0, -is * ra, -is * rb, 0, 0, 0, is * ra * rb};
  jet rho = jmul(c, si);
  double th = relu_power_angle(pv, c.v, &sn, &cs);
  relu_power_F(th, sn, cs, k, F);
  *G = jmul(relu_power_sjet(s, k, ra, rb), relu_power_Fjet(rho, k, F, sn));
  if (Gd)
    *Gd = jaffine(jmul(relu_power_sjet(s, k - 1, ra, rb), relu_power_Fjet(rho, k - 1, F, sn)),
                  (double) k * k, 0.0);
}

void dual_diag(const kpar *kp, double a, double *g, double *dg) {
  switch (kp->act) {
  case ACT_IDENTITY:
  case ACT_RELU:
  case ACT_LEAKY_RELU:
  case ACT_ABS:
  case ACT_ABRELU:
    *g = (kp->A1 * kp->A1 + kp->B1 * kp->B1) * a;
    *dg = kp->A1 * kp->A1 + kp->B1 * kp->B1;
    return;
  case ACT_ERF:
    erf_diag(a, g, dg);
    return;
  case ACT_ERF_ABC: {
    double al2 = kp->ap[0] * kp->ap[0], be2 = kp->ap[1] * kp->ap[1];
    erf_diag(be2 * a, g, dg);
    *g = al2 * *g + kp->ap[2] * kp->ap[2];
    *dg *= al2 * be2;
    return;
  }
  case ACT_RELU_POWER: {
    /* E[relu(u)^(2k)] = (2k - 1)!! a^k / 2 */
    int k = (int) kp->ap[0];
    double f = 0.5;
    for (int t = 3; t <= 2 * k - 1; t += 2) f *= t;
    *g = f * pow_int(a, k);
    *dg = k * f * pow_int(a, k - 1);
    return;
  }
  case ACT_POLYNOMIAL: {
    /* d/da g(a, a, a) = g_a + g_b + g_c */
    double P[8];
    poly_partials(kp, a, a, a, P, NULL);
    *g = P[0];
    *dg = P[1] + P[2] + P[3];
    return;
  }
  case ACT_SIN:
    *g = -0.5 * expm1(-2.0 * a);
    *dg = exp(-2.0 * a);
    return;
  case ACT_COS:
    *g = 0.5 * (1.0 + exp(-2.0 * a));
    *dg = -exp(-2.0 * a);
    return;
  case ACT_SIGN:
    *g = a > 0 ? 1.0 : 0.0;
    *dg = 0.0;
    return;
  case ACT_STEP:
    *g = a > 0 ? 0.5 : 0.0;
    *dg = 0.0;
    return;
  case ACT_EXP:
    *g = exp(2.0 * a);
    *dg = 2.0 * *g;
    return;
  case ACT_GAUSSIAN: {
    double R = 1.0 + 4.0 * a;
    *g = 1.0 / sqrt(R);
    *dg = -2.0 * *g / R;
    return;
  }
  case ACT_RBF:
    *g = 1.0;
    *dg = 0.0;
    return;
  case ACT_GELU: {
    /* total derivative: a jet whose n-entry is d/da, for a, b and c alike */
    jet x = jconst(a), G;
    x.n = 1.0;
    pairval pv = {a, a, a, 0.0, 0.0, 0.0, 1.0, sqrt(a), sqrt(a)};
    gelu_jet(&pv, x, x, x, &G, NULL);
    *g = G.v;
    *dg = G.n;
    return;
  }
  default:
    *g = *dg = NAN;
  }
}

/* The kinked family with the angle carried separately: rho = c / sqrt(ab)
 * as a jet through relative derivatives of sqrt(a), sqrt(b) (no 1/a^3/2
 * terms that overflow at tiny variances), J(rho) by the chain rule with
 * J' = asin(rho) = pi/2 - theta and J'' = 1/sin(theta). J'' diverges on the
 * diagonal, but it multiplies derivatives of rho that vanish there; in the
 * polar jet variables the product is carried by the S scalar, which the
 * Jacobian assembly multiplies by the two small vectors x^ ' - rho x^ and
 * x^ - rho x^ ' (jacobian_kernels.c), so no term of size 1/theta is ever
 * cancelled. On the exact diagonal (theta = 0) the term is 0. */
static void kinked_jet(const kpar *kp, const pairval *pv, double an, double bm, jet c,
                       jet *G, jet *Gd) {
  double A = kp->A1 * kp->A1, B = kp->B1 * kp->B1, a = pv->a, b = pv->b;
  if (B == 0.0 || !(a * b > 0)) {
    *G = jaffine(c, A, 0.0);
    if (Gd) *Gd = jconst(A);
    return;
  }
  double s = pv->ra * pv->rb, ra = 0.5 * an / a, rb = 0.5 * bm / b, is = 1.0 / s;
  jet sj = {s, 0, s * ra, s * rb, 0, 0, 0, s * ra * rb};
  jet si = {is, 0, -is * ra, -is * rb, 0, 0, 0, is * ra * rb};
  jet rho = jmul(c, si);
  double th = pv->th, sn = 2.0 * pv->hs * pv->hc, cs = (pv->hc - pv->hs) * (pv->hc + pv->hs);
  double J1 = M_PI_2 - th, J0 = sn + J1 * cs, J2 = sn > 1e-200 ? 1.0 / sn : 0.0;
  jet J = junary(rho, J0, J1, J2);
  *G = jadd(jaffine(c, A, 0.0), jaffine(jmul(sj, J), B * TWO_OVER_PI, 0.0));
  if (Gd) { /* only for the (refused) kinked JNTK: finite, by the same clip */
    double K2 = sn > 1e-100 ? J2 : 0.0;
    *Gd = junary(rho, A + B * (1.0 - TWO_OVER_PI * th), B * TWO_OVER_PI * K2,
                 B * TWO_OVER_PI * cs * K2 * K2 * K2);
  }
}

void dual_jet(const kpar *kp, const pairval *pv, double an, double bm, jet c, jet *G,
              jet *Gd) {
  switch (kp->act) {
  case ACT_IDENTITY:
  case ACT_RELU:
  case ACT_LEAKY_RELU:
  case ACT_ABS:
  case ACT_ABRELU:
    kinked_jet(kp, pv, an, bm, c, G, Gd);
    return;
  case ACT_ERF: {
    double P[8], Pd[8];
    erf_partials(pv->a, pv->b, c.v, pv->D, P, Gd ? Pd : NULL);
    *G = jcompose3_pair(an, bm, c, P);
    if (Gd) *Gd = jcompose3_pair(an, bm, c, Pd);
    return;
  }
  case ACT_ERF_ABC: {
    /* g(a, b, c) = al^2 g_erf(be^2 a, be^2 b, be^2 c) + ga^2: each partial
     * brings a factor be^2; gd = al^2 be^2 gd_erf(...) */
    double al2 = kp->ap[0] * kp->ap[0], be2 = kp->ap[1] * kp->ap[1], P[8], Pd[8];
    erf_partials(be2 * pv->a, be2 * pv->b, be2 * c.v, be2 * be2 * pv->D, P, Gd ? Pd : NULL);
    double f0 = al2, f1 = al2 * be2, f2 = f1 * be2, f3 = f2 * be2;
    for (int e = 0; e < 8; e++) {
      double s1 = e == 0 ? f0 : (e < 4 ? f1 : f2);
      P[e] *= s1;
      if (Gd) Pd[e] *= e == 0 ? f1 : (e < 4 ? f2 : f3);
    }
    P[0] += kp->ap[2] * kp->ap[2];
    *G = jcompose3_pair(an, bm, c, P);
    if (Gd) *Gd = jcompose3_pair(an, bm, c, Pd);
    return;
  }
  case ACT_RELU_POWER:
    relu_power_jet(kp, pv, an, bm, c, G, Gd);
    return;
  case ACT_POLYNOMIAL: {
    double P[8], Pd[8];
    poly_partials(kp, pv->a, pv->b, c.v, P, Gd ? Pd : NULL);
    *G = jcompose3_pair(an, bm, c, P);
    if (Gd) *Gd = jcompose3_pair(an, bm, c, Pd);
    return;
  }
  case ACT_GELU: {
    jet a = jconst(pv->a), b = jconst(pv->b);
    a.n = an;
    b.m = bm;
    gelu_jet(pv, a, b, c, G, Gd);
    return;
  }
  case ACT_SIN:
  case ACT_COS: {
    /* E = e^{-(a+b)/2}: S = E sinh c, C = E cosh c; dS/da = -S/2, dS/dc = C,
     * d2S/dc2 = S, d2S/dadc = -C/2, d2S/dadb = S/4, and the same with S and C
     * exchanged for C. */
    double Sv, Cv;
    sincos_dual(pv->a, pv->b, c.v, &Sv, &Cv);
    double PS[8] = {Sv, -0.5 * Sv, -0.5 * Sv, Cv, Sv, -0.5 * Cv, -0.5 * Cv, 0.25 * Sv};
    double PC[8] = {Cv, -0.5 * Cv, -0.5 * Cv, Sv, Cv, -0.5 * Sv, -0.5 * Sv, 0.25 * Cv};
    int is_sin = kp->act == ACT_SIN;
    *G = jcompose3_pair(an, bm, c, is_sin ? PS : PC);
    if (Gd) *Gd = jcompose3_pair(an, bm, c, is_sin ? PC : PS);
    return;
  }
  case ACT_EXP: {
    /* g = gd = e^{(a + b)/2 + c}: g_a = g_b = g/2, g_c = g_cc = g,
     * g_ac = g_bc = g/2, g_ab = g/4 */
    double e = exp(0.5 * (pv->a + pv->b) + c.v);
    double P[8] = {e, 0.5 * e, 0.5 * e, e, e, 0.5 * e, 0.5 * e, 0.25 * e};
    *G = jcompose3_pair(an, bm, c, P);
    if (Gd) *Gd = *G;
    return;
  }
  case ACT_GAUSSIAN: {
    /* g = R^-1/2, R = u w - 4c^2 = 1 + 2a + 2b + 4D, u = 1 + 2a, w = 1 + 2b
     * (erf's gdot up to the factor 4/pi):
     *   g_a = -w R^-3/2, g_c = 4c R^-3/2, g_cc = 4 R^-3/2 + 48 c^2 R^-5/2,
     *   g_ac = -12 c w R^-5/2, g_ab = -2 R^-3/2 + 3 u w R^-5/2;
     * gd = g_c = 4c R^-3/2:
     *   gd_a = -12 c w R^-5/2, gd_c = 4 R^-3/2 + 48 c^2 R^-5/2,
     *   gd_cc = 144 c R^-5/2 + 960 c^3 R^-7/2,
     *   gd_ac = -12 w R^-5/2 - 240 c^2 w R^-7/2,
     *   gd_ab = -24 c R^-5/2 + 60 c u w R^-7/2 */
    double av = pv->a, bv = pv->b, cv = c.v, u = 1.0 + 2.0 * av, w = 1.0 + 2.0 * bv;
    double R = 1.0 + 2.0 * (av + bv) + 4.0 * pv->D, r1 = 1.0 / sqrt(R), r3 = r1 / R,
           r5 = r3 / R, r7 = r5 / R, c2 = cv * cv;
    double P[8] = {r1, -w * r3, -u * r3, 4.0 * cv * r3, 4.0 * r3 + 48.0 * c2 * r5,
                   -12.0 * cv * w * r5, -12.0 * cv * u * r5, -2.0 * r3 + 3.0 * u * w * r5};
    *G = jcompose3_pair(an, bm, c, P);
    if (Gd) {
      double Pd[8] = {4.0 * cv * r3, -12.0 * cv * w * r5, -12.0 * cv * u * r5,
                      4.0 * r3 + 48.0 * c2 * r5, 144.0 * cv * r5 + 960.0 * c2 * cv * r7,
                      -12.0 * w * r5 - 240.0 * c2 * w * r7, -12.0 * u * r5 - 240.0 * c2 * u * r7,
                      -24.0 * cv * r5 + 60.0 * cv * u * w * r7};
      *Gd = jcompose3_pair(an, bm, c, Pd);
    }
    return;
  }
  case ACT_RBF: {
    /* g = e^{-(a + b - 2c)}: g_a = g_b = -g, g_c = 2g, g_cc = 4g,
     * g_ac = g_bc = -2g, g_ab = g; gd = 2g */
    double e = exp(-dual_rbf_exponent(pv->a, pv->b, c.v, pv->D));
    double P[8] = {e, -e, -e, 2.0 * e, 4.0 * e, -2.0 * e, -2.0 * e, e};
    *G = jcompose3_pair(an, bm, c, P);
    if (Gd) *Gd = jaffine(*G, 2.0, 0.0);
    return;
  }
  default: /* sign, step (NNGP only: no Jacobian kernels) and series */
    *G = jconst(NAN);
    if (Gd) *Gd = jconst(NAN);
  }
}

void dual_diag_moments(const kpar *kp, double a, double *out5) {
  if (dual_is_nngp_only(kp->act)) {
    /* E[phi^2]; the derivative moments are infinite (delta functions) */
    double dg;
    dual_diag(kp, a, &out5[0], &dg);
    for (int e = 1; e < 5; e++) out5[e] = INFINITY;
    return;
  }
  pairval pv = {a, a, a, 0.0, 0.0, 0.0, 1.0, sqrt(a), sqrt(a)};
  /* seeds: c.w = 1 reads g_c and g_cc off G (and gd_c, gd_cc off Gd);
   * an = 1 with c.n = 0 reads g_a */
  jet c = jconst(a), G, Gd, Ga;
  c.w = 1.0;
  dual_jet(kp, &pv, 0.0, 0.0, c, &G, &Gd);
  jet c0 = jconst(a);
  dual_jet(kp, &pv, 1.0, 0.0, c0, &Ga, NULL);
  out5[0] = G.v;
  out5[1] = Ga.n;
  out5[2] = G.w;
  out5[3] = G.ww;
  out5[4] = Gd.ww;
}
