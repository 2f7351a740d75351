/* Entry points of the analytic kernels (kernels_call.c). */
#ifndef JNTK_CALLS_KERNELS_H
#define JNTK_CALLS_KERNELS_H

SEXP kernels_plain(SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP rule, SEXP what,
                   SEXP threads);
SEXP kernels_scalars(SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP rule, SEXP kind,
                     SEXP threads);
SEXP kernels_assemble(SEXP F, SEXP x1, SEXP x2, SEXP threads);
SEXP kernels_matvec(SEXP F, SEXP x1, SEXP x2, SEXP v, SEXP rho);
SEXP kernels_cosines(SEXP x1, SEXP x2);
SEXP kernels_dual(SEXP par, SEXP ipar, SEXP rule, SEXP abc);
SEXP kernels_moments(SEXP par, SEXP ipar, SEXP rule, SEXP abc, SEXP method);
SEXP kernels_diag(SEXP x, SEXP par, SEXP ipar, SEXP rule);
SEXP kernels_build_info(SEXP layout);

#define CALLS_KERNELS                                                          \
  CALLDEF(kernels_plain, 7),                                                   \
  CALLDEF(kernels_scalars, 7),                                                 \
  CALLDEF(kernels_assemble, 4),                                                \
  CALLDEF(kernels_matvec, 5),                                                  \
  CALLDEF(kernels_cosines, 2),                                                 \
  CALLDEF(kernels_dual, 4),                                                    \
  CALLDEF(kernels_moments, 5),                                                 \
  CALLDEF(kernels_diag, 4),                                                    \
  CALLDEF(kernels_build_info, 1),

#endif
