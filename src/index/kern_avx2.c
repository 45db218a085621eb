/* kern_avx2.c: the kernels compiled for AVX2 + POPCNT (selected at run time, see cpu.c). */
#include <immintrin.h>

#include "ix_internal.h"

#pragma GCC push_options
#pragma GCC target("popcnt,avx2,bmi,bmi2")
#define AD_KLEVEL 1
#define AD_KNAME avx2
#include "kern_impl.h"
#pragma GCC pop_options
