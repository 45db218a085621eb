/* kern_scalar.c: the portable kernels (plain C popcount), for CPUs without AVX2. */
#include "ix_internal.h"

#define AD_KLEVEL 0
#define AD_KNAME scalar
#include "kern_impl.h"
