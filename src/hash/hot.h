/* hot.h: AD_HOT, for hot loops that get an AVX2 clone chosen at run time (internal). Results are
 * identical on every path. Not under the sanitizers: their runtimes start after the clones'
 * ifunc resolvers run. */
#ifndef AD_HASH_HOT_H
#define AD_HASH_HOT_H

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define AD_HOT __attribute__((target_clones("avx2", "default")))
#else
#define AD_HOT
#endif

#endif
