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

#include "jntk_omp.h"

#include "activation.h"
#include "kinds.h"

/* Small numerical helpers in hot loops: inline even where gcc's heuristics
 * would not. */
#if defined(__GNUC__)
#define JNTK_INLINE static inline __attribute__((always_inline))
#else
#define JNTK_INLINE static inline
#endif

/* Argument checks shared by the .Call entry points (errors, never crashes). */
double *jntk_real_matrix(SEXP x, const char *name, int *nrow, int *ncol);
double jntk_real_scalar(SEXP x, const char *name);
int jntk_int_scalar(SEXP x, const char *name);

#endif
