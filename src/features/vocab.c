/* vocab.c: the visual vocabulary: a two-level tree of binary centres (256 x 256 = 65,536 words)
 * trained once with k-majority on ORB descriptors of benign photos (bench/make_vocab.c,
 * data/features/ORIGIN.md) and compiled into the library from data/features/vocab.bin. A
 * descriptor's word is its nearest level-1 centre's nearest child, by Hamming distance. */
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

/* Two builds of the search: with the POPCNT instruction (every x86-64 since about 2008), chosen
 * at run time, and a plain one (libgcc's popcount: several times slower). */
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

static unsigned nearest2(const uint8_t *centres, const uint8_t d[32], unsigned *second)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("popcnt"))
        return nearest2_popcnt(centres, d, second);
#endif
    return nearest2_plain(centres, d, second);
}

static unsigned nearest(const uint8_t *centres, const uint8_t d[32])
{
    return nearest2(centres, d, NULL);
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
