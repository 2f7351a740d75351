/* Umbrella header of jntk's C core: include first in every .c file. */
#ifndef JNTK_H
#define JNTK_H

#define R_NO_REMAP
#ifndef USE_FC_LEN_T
#define USE_FC_LEN_T
#endif
#include <R.h>
#include <Rinternals.h>
#include <R_ext/BLAS.h>
#include <R_ext/Lapack.h>
#include <R_ext/Utils.h>
#include <math.h>
#include <stddef.h>
#ifndef FCONE
#define FCONE
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#include "activation.h"

/* Small numerical helpers in hot loops: inline even where gcc's heuristics
 * would not. */
#if defined(__GNUC__)
#define JNTK_INLINE static inline __attribute__((always_inline))
#else
#define JNTK_INLINE static inline
#endif

/* Clamp a requested thread count to [1, work]. */
static inline int jntk_threads(int requested, ptrdiff_t work) {
  int nt = requested < 1 ? 1 : requested;
  if (work < nt) nt = work < 1 ? 1 : (int) work;
#ifndef _OPENMP
  nt = 1;
#endif
  return nt;
}

/* Threads for `work` units when one thread should get at least `grain` of
 * them: small problems stay on one thread (a parallel region costs a barrier,
 * and a time slice when the machine is busy). */
static inline int jntk_threads_grain(int requested, double work, double grain) {
  double w = work / grain;
  return jntk_threads(requested, w < 1 ? 1 : (w > 1e9 ? (ptrdiff_t) 1000000000 : (ptrdiff_t) w));
}

/* Argument checks shared by the .Call entry points (errors, never crashes). */
double *jntk_real_matrix(SEXP x, const char *name, int *nrow, int *ncol);
double jntk_real_scalar(SEXP x, const char *name);
int jntk_int_scalar(SEXP x, const char *name);

#endif
