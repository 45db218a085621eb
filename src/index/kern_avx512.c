/* kern_avx512.c: the kernels compiled for AVX-512 VPOPCNTDQ (selected at run time, see cpu.c). */
#include <immintrin.h>

#include "ix_internal.h"

#pragma GCC push_options
#pragma GCC target("popcnt,avx2,bmi,bmi2,avx512f,avx512vl,avx512bw,avx512vpopcntdq")
#define AD_KLEVEL 2
#define AD_KNAME avx512
#include "kern_impl.h"
#pragma GCC pop_options
