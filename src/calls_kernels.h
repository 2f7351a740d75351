/* Entry points of the analytic kernels (kernels.c, jacobian_kernels.c). */
#ifndef JNTK_CALLS_KERNELS_H
#define JNTK_CALLS_KERNELS_H

#define CALLS_KERNELS

#endif
