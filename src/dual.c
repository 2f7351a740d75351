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
  double al = kink_alpha(kp->act, kp->slope), A1 = 0.5 * (1.0 + al), B1 = 0.5 * (1.0 - al);
  double A = A1 * A1, B = B1 * B1, alpha = kp->sw2 * (A + B), beta = kp->sb2;
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

void dual_diag(const kpar *kp, double a, double *g, double *dg) {
  switch (kp->act) {
  case ACT_IDENTITY:
  case ACT_RELU:
  case ACT_LEAKY_RELU:
  case ACT_ABS: {
    double al = kink_alpha(kp->act, kp->slope), A1 = 0.5 * (1.0 + al), B1 = 0.5 * (1.0 - al);
    *g = (A1 * A1 + B1 * B1) * a;
    *dg = A1 * A1 + B1 * B1;
    return;
  }
  case ACT_ERF: {
    double u = 1.0 + 2.0 * a, sR = sqrt(1.0 + 4.0 * a);
    *g = TWO_OVER_PI * asin_rho(2.0 * a, sR, u);
    *dg = 2.0 * TWO_OVER_PI / (u * sR);
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
  double al = kink_alpha(kp->act, kp->slope), A1 = 0.5 * (1.0 + al), B1 = 0.5 * (1.0 - al);
  double A = A1 * A1, B = B1 * B1, a = pv->a, b = pv->b;
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
    kinked_jet(kp, pv, an, bm, c, G, Gd);
    return;
  case ACT_ERF: {
    /* Partials of g = (2/pi) asin(2c / sqrt(uw)), u = 1+2a, w = 1+2b, with
     * R = uw - 4c^2 = 1 + 2a + 2b + 4D:
     *   g_c = (4/pi) R^-1/2 (= gdot), g_a = -(4c/pi) R^-1/2 / u,
     *   g_cc = (16c/pi) R^-3/2, g_ac = -(4w/pi) R^-3/2, g_ab = (4c/pi) R^-3/2,
     * and of gdot: gdot_a = -(4w/pi) R^-3/2, gdot_c = (16c/pi) R^-3/2,
     *   gdot_cc = (16/pi) R^-3/2 + (192 c^2/pi) R^-5/2,
     *   gdot_ac = -(48 c w/pi) R^-5/2, gdot_ab = -(8/pi) R^-3/2 + (12 uw/pi) R^-5/2 */
    double av = pv->a, bv = pv->b, cv = c.v, u = 1.0 + 2.0 * av, w = 1.0 + 2.0 * bv;
    double R = 1.0 + 2.0 * (av + bv) + 4.0 * pv->D, r1 = 1.0 / sqrt(R), r3 = r1 / R,
           r5 = r3 / R, k = 2.0 * TWO_OVER_PI; /* 4/pi */
    double gv = TWO_OVER_PI * asin_rho(2.0 * cv, sqrt(R), sqrt(u * w));
    double P[8] = {gv, -k * cv * r1 / u, -k * cv * r1 / w, k * r1,
                   4.0 * k * cv * r3, -k * w * r3, -k * u * r3, k * cv * r3};
    *G = jcompose3_pair(an, bm, c, P);
    if (Gd) {
      double Pd[8] = {k * r1, -k * w * r3, -k * u * r3, 4.0 * k * cv * r3,
                      4.0 * k * r3 + 48.0 * k * cv * cv * r5, -12.0 * k * cv * w * r5,
                      -12.0 * k * cv * u * r5, -2.0 * k * r3 + 3.0 * k * u * w * r5};
      *Gd = jcompose3_pair(an, bm, c, Pd);
    }
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
