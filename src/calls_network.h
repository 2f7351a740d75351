/* Entry points of the network routines: prototypes and registration rows
 * (CALLDEF(name, arity),) used by init.c. */
#ifndef JNTK_CALLS_NETWORK_H
#define JNTK_CALLS_NETWORK_H

#define CALLS_NETWORK

#endif
