/* kern_avx512.c: the kernels compiled for AVX-512 VPOPCNTDQ (selected at run time, see cpu.c).
 * The instruction set is given to this file alone by CMakeLists.txt (-m flags), for GCC and clang. */
#include <immintrin.h>

#include "ix_internal.h"

#define AD_KLEVEL 2
#define AD_KNAME avx512
#include "kern_impl.h"
