/* kern_avx2.c: the kernels compiled for AVX2 + POPCNT (selected at run time, see cpu.c).
 * The instruction set is given to this file alone by CMakeLists.txt (-m flags), for GCC and clang. */
#include <immintrin.h>

#include "ix_internal.h"

#define AD_KLEVEL 1
#define AD_KNAME avx2
#include "kern_impl.h"
