/* Entry points of the training routines (training.c): prototypes and
 * registration rows (CALLDEF(name, arity),) used by init.c. The network
 * travels as params (the flat theta, or list(weights, biases)), par, ipar
 * (src/mlp.h, as for every finite-network routine). */
#ifndef JNTK_CALLS_TRAINING_H
#define JNTK_CALLS_TRAINING_H

#include "jntk.h"

SEXP training_loss_grad(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP y, SEXP lambda,
                        SEXP want_grad, SEXP threads);
SEXP training_gd(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP y, SEXP lambda, SEXP lr,
                 SEXP steps, SEXP threads);
SEXP training_blas_floor(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP y, SEXP lambda,
                         SEXP reps);

#define CALLS_TRAINING                   \
  CALLDEF(training_loss_grad, 8),        \
  CALLDEF(training_gd, 9),               \
  CALLDEF(training_blas_floor, 7),

#endif
