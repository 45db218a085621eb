/* vocab.c: the visual vocabulary: a two-level tree of binary centres (256 x 256 = 65,536 words)
 * trained once with k-majority on ORB descriptors of benign photos (bench/make_vocab.c,
 * data/features/ORIGIN.md) and compiled into the library from data/features/vocab.bin. A
 * descriptor's word is its nearest level-1 centre's nearest child, by Hamming distance (with AVX2
 * where the processor has it: the same words as the scalar search). */
#include <stdatomic.h>

#include "feat_int.h"

/* data/features/vocab.bin: "ADVOCAB1", then 256 level-1 centres, then 256 x 256 level-2 centres
 * (children of centre i at 256 * i), 32 bytes each. */
__asm__(".section .rodata\n"
        ".balign 64\n"
        ".global ad_feat_vocab_data\n"
        ".hidden ad_feat_vocab_data\n"
        "ad_feat_vocab_data:\n"
        ".incbin \"" AD_VOCAB_PATH "\"\n"
        ".global ad_feat_vocab_end\n"
        ".hidden ad_feat_vocab_end\n"
        "ad_feat_vocab_end:\n"
        ".previous\n");
extern const uint8_t ad_feat_vocab_data[], ad_feat_vocab_end[];

#define HEAD 8

static inline __attribute__((always_inline)) unsigned ham(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[4], y[4];
    memcpy(x, a, 32);
    memcpy(y, b, 32);
    return (unsigned)(__builtin_popcountll(x[0] ^ y[0]) + __builtin_popcountll(x[1] ^ y[1]) +
                      __builtin_popcountll(x[2] ^ y[2]) + __builtin_popcountll(x[3] ^ y[3]));
}

/* the nearest of 256 centres, and the second nearest in *second (when not NULL) */
static inline __attribute__((always_inline)) unsigned nearest2_body(const uint8_t *centres,
                                                                    const uint8_t d[32],
                                                                    unsigned *second)
{
    unsigned best = 0, bd = 257, sb = 0, sd = 257;
    for (unsigned i = 0; i < 256; i++) {
        unsigned h = ham(centres + 32 * i, d);
        if (h < bd) {
            sd = bd;
            sb = best;
            bd = h;
            best = i;
        } else if (h < sd) {
            sd = h;
            sb = i;
        }
    }
    if (second)
        *second = sb;
    return best;
}

/* Two builds of the scalar search: with the POPCNT instruction (every x86-64 since about 2008),
 * and a plain one (libgcc's popcount: several times slower). */
#if defined(__x86_64__)
__attribute__((target("popcnt"))) static unsigned nearest2_popcnt(const uint8_t *centres,
                                                                  const uint8_t d[32],
                                                                  unsigned *second)
{
    return nearest2_body(centres, d, second);
}
#endif

static unsigned nearest2_plain(const uint8_t *centres, const uint8_t d[32], unsigned *second)
{
    return nearest2_body(centres, d, second);
}

static unsigned nearest2_scalar(const uint8_t *centres, const uint8_t d[32], unsigned *second)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("popcnt"))
        return nearest2_popcnt(centres, d, second);
#endif
    return nearest2_plain(centres, d, second);
}

#if defined(__x86_64__)
#include <immintrin.h>

/* AVX2: a centre is one 256-bit register; the 256 distances are computed 4 centres at a time
 * (bytes counted with a nibble table, summed by SAD, the four sums packed into 16-bit fields),
 * then the nearest and second nearest found as the scalar search finds them: the smallest
 * distance, the lowest index among equals; then the same with the nearest left out. The same
 * answers bit for bit (tests/test_features.c, test_vocab_search). */
__attribute__((target("avx2"))) static unsigned first_min_avx2(const uint16_t dist[256])
{
    __m256i m = _mm256_load_si256((const __m256i *)dist);
    for (unsigned j = 16; j < 256; j += 16)
        m = _mm256_min_epu16(m, _mm256_load_si256((const __m256i *)(dist + j)));
    __m128i h = _mm_min_epu16(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    unsigned mv = (unsigned)_mm_cvtsi128_si32(_mm_minpos_epu16(h)) & 0xffff;
    const __m256i want = _mm256_set1_epi16((short)mv);
    for (unsigned j = 0;; j += 16) {
        __m256i v = _mm256_load_si256((const __m256i *)(dist + j));
        unsigned mask = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, want));
        if (mask)
            return j + (unsigned)__builtin_ctz(mask) / 2;
    }
}

__attribute__((target("avx2"))) static unsigned nearest2_avx2(const uint8_t *centres,
                                                              const uint8_t d[32],
                                                              unsigned *second)
{
    _Alignas(32) uint16_t dist[256];
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1,
                                           1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    const __m256i q = _mm256_loadu_si256((const __m256i *)d);
    for (unsigned i = 0; i < 256; i += 4) {
        __m256i s[4];
        for (unsigned k = 0; k < 4; k++) {
            __m256i x =
                _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(centres + 32 * (i + k))), q);
            __m256i c = _mm256_add_epi8(
                _mm256_shuffle_epi8(table, _mm256_and_si256(x, low)),
                _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
            s[k] = _mm256_sad_epu8(c, zero); /* four 64-bit sums, each <= 64 */
        }
        __m256i t = _mm256_or_si256(_mm256_or_si256(s[0], _mm256_slli_epi64(s[1], 16)),
                                    _mm256_or_si256(_mm256_slli_epi64(s[2], 32),
                                                    _mm256_slli_epi64(s[3], 48)));
        t = _mm256_add_epi16(t, _mm256_permute4x64_epi64(t, 0x4e));
        t = _mm256_add_epi16(t, _mm256_shuffle_epi32(t, 0x4e));
        _mm_storel_epi64((__m128i *)(dist + i), _mm256_castsi256_si128(t));
    }
    unsigned best = first_min_avx2(dist);
    if (second) {
        dist[best] = UINT16_MAX; /* distances are at most 256 */
        *second = first_min_avx2(dist);
    }
    return best;
}
#endif

static atomic_int scalar_only; /* ad_feat_vocab_simd(0): the tests' comparison */

static unsigned nearest2(const uint8_t *centres, const uint8_t d[32], unsigned *second)
{
#if defined(__x86_64__)
    if (!atomic_load_explicit(&scalar_only, memory_order_relaxed) &&
        __builtin_cpu_supports("avx2"))
        return nearest2_avx2(centres, d, second);
#endif
    return nearest2_scalar(centres, d, second);
}

static unsigned nearest(const uint8_t *centres, const uint8_t d[32])
{
    return nearest2(centres, d, NULL);
}

int ad_feat_vocab_simd(int on)
{
    atomic_store_explicit(&scalar_only, !on, memory_order_relaxed);
#if defined(__x86_64__)
    return on && __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

int ad_feat_vocab_ok(void)
{
    return ad_feat_vocab_end - ad_feat_vocab_data == HEAD + 32 * (256 + 65536) &&
           !memcmp(ad_feat_vocab_data, "ADVOCAB1", HEAD);
}

uint32_t ad_feat_word(const uint8_t desc[32])
{
    const uint8_t *l1 = ad_feat_vocab_data + HEAD, *l2 = l1 + 32 * 256;
    unsigned a = nearest(l1, desc);
    return a * 256 + nearest(l2 + 32 * 256 * a, desc);
}

uint32_t ad_feat_words(const uint8_t desc[32], uint32_t alt[AD_FEAT_ALT])
{
    const uint8_t *l1 = ad_feat_vocab_data + HEAD, *l2 = l1 + 32 * 256;
    unsigned a2, b2;
    unsigned a = nearest2(l1, desc, &a2);
    unsigned b = nearest2(l2 + 32 * 256 * a, desc, &b2);
    alt[0] = a * 256 + b2;
    alt[1] = a2 * 256 + nearest(l2 + 32 * 256 * a2, desc);
    return a * 256 + b;
}
