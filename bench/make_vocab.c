/* make_vocab: trains the visual vocabulary of the local features (data/features/vocab.bin,
 * data/features/ORIGIN.md): ORB descriptors of benign photos, each photo reduced to 512, 1024
 * 2048 and 4096 pixels on its long side and cut into 512-pixel tiles (so that one photo gives the
 * detail of several), then k-majority (k-means for bits: a centre is the majority of its
 * members' bits) in two levels of 256. Deterministic: files in the order given, fixed seeds.
 *   make_vocab OUT.bin PHOTO... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/feat_int.h"

#define MAX_DESC 800000
#define ITER 10

static uint8_t *all;
static size_t nall;

static unsigned ham(const uint8_t *a, const uint8_t *b)
{
    unsigned h = 0;
    for (int i = 0; i < 32; i++)
        h += (unsigned)__builtin_popcount(a[i] ^ b[i]);
    return h;
}

static void add_tile(const uint8_t *g, int w, int h, size_t stride)
{
    struct ad_feat_raw r;
    if (ad_feat_orb(g, w, h, stride, 1000, &r, NULL))
        return;
    for (size_t i = 0; i < r.n && nall < MAX_DESC; i++)
        memcpy(all + 32 * nall++, r.desc + 32 * i, 32);
    ad_feat_raw_free(&r);
}

/* area-averaged reduction by an integer-free factor (nearest box) to long side `side` */
static uint8_t *reduce(const uint8_t *g, int w, int h, int side, int *ow, int *oh)
{
    double s = (double)side / (w > h ? w : h);
    *ow = (int)(w * s);
    *oh = (int)(h * s);
    uint8_t *o = malloc((size_t)*ow * (size_t)*oh);
    for (int y = 0; y < *oh; y++)
        for (int x = 0; x < *ow; x++) {
            int x0 = (int)(x / s), x1 = (int)((x + 1) / s), y0 = (int)(y / s), y1 = (int)((y + 1) / s);
            unsigned sum = 0, n = 0;
            for (int yy = y0; yy < y1 && yy < h; yy++)
                for (int xx = x0; xx < x1 && xx < w; xx++, n++)
                    sum += g[(size_t)yy * w + xx];
            o[(size_t)y * *ow + x] = (uint8_t)(n ? sum / n : 0);
        }
    return o;
}

static void photo(ad_magic *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len);
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(buf);
        return;
    }
    fclose(f);
    char mime[64];
    ad_media_type t = ad_media_probe(m, buf, (size_t)len, mime, sizeof mime);
    uint8_t *g;
    int w, h;
    if (ad_feat_decode_grey(t, buf, (size_t)len, NULL, 0, &g, &w, &h, NULL)) {
        free(buf);
        fprintf(stderr, "make_vocab: %s: not decoded\n", path);
        return;
    }
    free(buf);
    size_t before = nall;
    for (int side = 512; side <= 4096; side *= 2) {
        if (side > (w > h ? w : h))
            break;
        int rw, rh;
        uint8_t *r = reduce(g, w, h, side, &rw, &rh);
        for (int y = 0; y + 256 <= rh; y += 512)
            for (int x = 0; x + 256 <= rw; x += 512) {
                int tw = rw - x < 512 ? rw - x : 512, th = rh - y < 512 ? rh - y : 512;
                add_tile(r + (size_t)y * rw + x, tw, th, (size_t)rw);
            }
        free(r);
    }
    free(g);
    fprintf(stderr, "make_vocab: %s: %zu descriptors\n", path, nall - before);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* k-majority of the descriptors idx[0..n) into k centres */
static void kmaj(const uint32_t *idx, size_t n, int k, uint8_t *centres)
{
    if (!n) {
        memset(centres, 0, 32 * (size_t)k);
        return;
    }
    for (int c = 0; c < k; c++) /* seeds: random members */
        memcpy(centres + 32 * c, all + 32 * (size_t)idx[next() % n], 32);
    uint32_t *cnt = malloc(sizeof *cnt * (size_t)k * 256);
    uint32_t *members = malloc(sizeof *members * (size_t)k);
    uint8_t *assign = malloc(n);
    for (int it = 0; it < ITER; it++) {
        memset(cnt, 0, sizeof *cnt * (size_t)k * 256);
        memset(members, 0, sizeof *members * (size_t)k);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *d = all + 32 * (size_t)idx[i];
            unsigned bd = 999, best = 0;
            for (int c = 0; c < k; c++) {
                unsigned hd = ham(centres + 32 * c, d);
                if (hd < bd) {
                    bd = hd;
                    best = (unsigned)c;
                }
            }
            assign[i] = (uint8_t)best;
            members[best]++;
            for (int b = 0; b < 256; b++)
                cnt[best * 256 + b] += (d[b >> 3] >> (b & 7)) & 1;
        }
        for (int c = 0; c < k; c++) {
            if (!members[c]) { /* empty: a random member again */
                memcpy(centres + 32 * c, all + 32 * (size_t)idx[next() % n], 32);
                continue;
            }
            uint8_t *o = centres + 32 * c;
            memset(o, 0, 32);
            for (int b = 0; b < 256; b++)
                if (2 * cnt[c * 256 + b] > members[c])
                    o[b >> 3] |= (uint8_t)(1u << (b & 7));
        }
    }
    free(cnt);
    free(members);
    free(assign);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: make_vocab OUT.bin PHOTO...\n");
        return 2;
    }
    all = malloc(32 * (size_t)MAX_DESC);
    ad_magic *m;
    if (ad_magic_open(&m, NULL))
        return 1;
    for (int i = 2; i < argc; i++)
        photo(m, argv[i]);
    ad_magic_close(m);
    fprintf(stderr, "make_vocab: %zu descriptors\n", nall);
    uint32_t *idx = malloc(sizeof *idx * nall);
    for (size_t i = 0; i < nall; i++)
        idx[i] = (uint32_t)i;
    uint8_t *l1 = malloc(32 * 256), *l2 = calloc(256 * 256, 32);
    /* level 1 on a sample of at most 200,000 */
    size_t ns = nall < 200000 ? nall : 200000;
    uint32_t *sample = malloc(sizeof *sample * ns);
    for (size_t i = 0; i < ns; i++)
        sample[i] = (uint32_t)(i * (nall / ns));
    kmaj(sample, ns, 256, l1);
    /* every descriptor to its level-1 centre, then level 2 in each */
    uint32_t *bucket = malloc(sizeof *bucket * nall), *start = calloc(257, sizeof *start);
    uint8_t *a1 = malloc(nall);
    for (size_t i = 0; i < nall; i++) {
        unsigned bd = 999, best = 0;
        for (int c = 0; c < 256; c++) {
            unsigned hd = ham(l1 + 32 * c, all + 32 * i);
            if (hd < bd) {
                bd = hd;
                best = (unsigned)c;
            }
        }
        a1[i] = (uint8_t)best;
        start[best + 1]++;
    }
    for (int c = 0; c < 256; c++)
        start[c + 1] += start[c];
    uint32_t *fill = malloc(sizeof *fill * 256);
    memcpy(fill, start, sizeof *fill * 256);
    for (size_t i = 0; i < nall; i++)
        bucket[fill[a1[i]]++] = (uint32_t)i;
    for (int c = 0; c < 256; c++) {
        kmaj(bucket + start[c], start[c + 1] - start[c], 256, l2 + 32 * 256 * c);
        fprintf(stderr, "\rmake_vocab: level 2: %d/256", c + 1);
    }
    fprintf(stderr, "\n");
    FILE *o = fopen(argv[1], "wb");
    if (!o || fwrite("ADVOCAB1", 1, 8, o) != 8 || fwrite(l1, 32, 256, o) != 256 ||
        fwrite(l2, 32, 65536, o) != 65536 || fclose(o)) {
        fprintf(stderr, "make_vocab: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
