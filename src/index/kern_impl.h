/* kern_impl.h: the distance kernels (direct scan and staged multi-index lookup), written once
 * and compiled three times, by kern_scalar.c, kern_avx2.c and kern_avx512.c, each under its own
 * `#pragma GCC target` with AD_KLEVEL 0 (portable C), 1 (AVX2 + POPCNT) or 2 (AVX-512
 * VPOPCNTDQ) and KFN(name) giving the functions distinct names. Not a header to include
 * anywhere else. */

#define KFN_(a, b) a##_##b
#define KFN2(a, b) KFN_(a, b)
#define KFN(name) KFN2(name, AD_KNAME)

static inline int KFN(pc)(uint64_t x)
{
    return __builtin_popcountll(x);
}

static inline int KFN(dist)(const uint64_t *a, const uint64_t *b)
{
    return KFN(pc)(a[0] ^ b[0]) + KFN(pc)(a[1] ^ b[1]) + KFN(pc)(a[2] ^ b[2]) +
           KFN(pc)(a[3] ^ b[3]);
}

static inline void KFN(emit)(const ad_ix_seg *s, size_t i, const uint64_t q[4], uint8_t segno,
                             uint8_t variant, ad_ix_hitv *out)
{
    if (!ad_ix_is_dead(s, i))
        ad_ix_hitv_push(out, (uint32_t)i, KFN(dist)(q, s->h + 4 * i), segno, variant);
}

#if AD_KLEVEL == 1
/* Bit k set when hash p[k] (k < 4) is within r of Q: nibble-table popcount (VPSHUFB) and
 * VPSADBW, four hashes at a time. */
static inline unsigned KFN(within4)(const uint64_t *const p[4], __m256i Q, __m256i R)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                         1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    __m256i c[4];
    for (int k = 0; k < 4; k++) {
        __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p[k]), Q);
        __m256i b = _mm256_add_epi8(
            _mm256_shuffle_epi8(lut, _mm256_and_si256(x, low)),
            _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
        c[k] = _mm256_sad_epu8(b, zero);
    }
    __m256i t0 =
        _mm256_add_epi64(_mm256_unpacklo_epi64(c[0], c[1]), _mm256_unpackhi_epi64(c[0], c[1]));
    __m256i t1 =
        _mm256_add_epi64(_mm256_unpacklo_epi64(c[2], c[3]), _mm256_unpackhi_epi64(c[2], c[3]));
    __m256i d = _mm256_add_epi64(_mm256_permute2x128_si256(t0, t1, 0x20),
                                 _mm256_permute2x128_si256(t0, t1, 0x31));
    /* d = (dist0, dist1, dist2, dist3); within where !(d > r) */
    return ~(unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(d, R))) & 15u;
}
#endif

static void KFN(scan)(const ad_ix_seg *s, const uint64_t q[4], int r, uint8_t segno,
                      uint8_t variant, ad_ix_hitv *out)
{
    const size_t n = s->n;
    const uint64_t *h = s->h;
    size_t i = 0;
#if AD_KLEVEL == 2
    /* two hashes per 512-bit register: XOR, VPOPCNTQ, then sum each group of 4 lanes */
    const __m512i Q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)q));
    const __m512i R = _mm512_set1_epi64(r);
    for (; i + 4 <= n; i += 4) {
        __m512i p0 = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(h + 4 * i), Q));
        __m512i p1 = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(h + 4 * i + 8), Q));
        p0 = _mm512_add_epi64(p0, _mm512_shuffle_epi32(p0, _MM_PERM_BADC));
        p1 = _mm512_add_epi64(p1, _mm512_shuffle_epi32(p1, _MM_PERM_BADC));
        p0 = _mm512_add_epi64(p0, _mm512_shuffle_i64x2(p0, p0, _MM_SHUFFLE(2, 3, 0, 1)));
        p1 = _mm512_add_epi64(p1, _mm512_shuffle_i64x2(p1, p1, _MM_SHUFFLE(2, 3, 0, 1)));
        unsigned m0 = _mm512_cmple_epu64_mask(p0, R) & 0x11;
        unsigned m1 = _mm512_cmple_epu64_mask(p1, R) & 0x11;
        if (__builtin_expect((m0 | m1) != 0, 0)) {
            if (m0 & 1)
                KFN(emit)(s, i, q, segno, variant, out);
            if (m0 & 0x10)
                KFN(emit)(s, i + 1, q, segno, variant, out);
            if (m1 & 1)
                KFN(emit)(s, i + 2, q, segno, variant, out);
            if (m1 & 0x10)
                KFN(emit)(s, i + 3, q, segno, variant, out);
        }
    }
#elif AD_KLEVEL == 1
    const __m256i Q = _mm256_loadu_si256((const __m256i *)q);
    const __m256i R = _mm256_set1_epi64x(r);
    for (; i + 4 <= n; i += 4) {
        const uint64_t *const p[4] = {h + 4 * i, h + 4 * (i + 1), h + 4 * (i + 2), h + 4 * (i + 3)};
        unsigned m = KFN(within4)(p, Q, R);
        while (__builtin_expect(m != 0, 0)) {
            int k = __builtin_ctz(m);
            m &= m - 1;
            KFN(emit)(s, i + (size_t)k, q, segno, variant, out);
        }
    }
#endif
    for (; i < n; i++)
        if (KFN(dist)(q, h + 4 * i) <= r)
            KFN(emit)(s, i, q, segno, variant, out);
}

/* Bit i is set when candidate i of cand[0..8) (entry number in the low 32 bits) is within r
 * of q: the distance test of eight candidates at once, before the full verification of the
 * few that pass. */
static inline unsigned KFN(near8)(const uint64_t *h, const uint64_t q[4], const uint64_t *cand,
                                  int r)
{
#define KH(i) (h + 4 * (size_t)(uint32_t)cand[i])
#if AD_KLEVEL == 2
    const __m512i Q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)q));
    const __m512i R = _mm512_set1_epi64(r);
    unsigned m = 0;
    for (int k = 0; k < 8; k += 2) {
        __m512i v =
            _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)KH(k))),
                               _mm256_loadu_si256((const __m256i *)KH(k + 1)), 1);
        __m512i p = _mm512_popcnt_epi64(_mm512_xor_si512(v, Q));
        p = _mm512_add_epi64(p, _mm512_shuffle_epi32(p, _MM_PERM_BADC));
        p = _mm512_add_epi64(p, _mm512_shuffle_i64x2(p, p, _MM_SHUFFLE(2, 3, 0, 1)));
        unsigned b = _mm512_cmple_epu64_mask(p, R);
        m |= ((b & 1) | ((b >> 3) & 2)) << k;
    }
    return m;
#elif AD_KLEVEL == 1
    const __m256i Q = _mm256_loadu_si256((const __m256i *)q);
    const __m256i R = _mm256_set1_epi64x(r);
    const uint64_t *const p0[4] = {KH(0), KH(1), KH(2), KH(3)};
    const uint64_t *const p1[4] = {KH(4), KH(5), KH(6), KH(7)};
    return KFN(within4)(p0, Q, R) | KFN(within4)(p1, Q, R) << 4;
#else
    unsigned m = 0;
    for (int k = 0; k < 8; k++)
        m |= (unsigned)(KFN(dist)(q, KH(k)) <= r) << k;
    return m;
#endif
#undef KH
}

/* Verifies one candidate e found through table j: within r, first table (in order) whose
 * threshold it meets is j (so each entry is reported by exactly one table), alive. */
static inline void KFN(verify)(const ad_ix_seg *s, const uint64_t q[4], int r, const int8_t *t,
                               unsigned j, uint32_t e, uint8_t segno, uint8_t variant,
                               ad_ix_hitv *out)
{
    const uint64_t *x = s->h + 4 * (size_t)e;
    const uint64_t d4[4] = {q[0] ^ x[0], q[1] ^ x[1], q[2] ^ x[2], q[3] ^ x[3]};
    int d = KFN(pc)(d4[0]) + KFN(pc)(d4[1]) + KFN(pc)(d4[2]) + KFN(pc)(d4[3]);
    if (d > r)
        return;
    for (unsigned i = 0; i < j; i++)
        if (t[i] >= 0 && KFN(pc)(ad_ix_bits(d4, s->t[i].start, s->t[i].width)) <= t[i])
            return;
    const ad_ix_table *tb = &s->t[j];
    if (tb->dbits < tb->width && KFN(pc)(ad_ix_bits(d4, tb->start, tb->width)) > t[j])
        return;
    if (ad_ix_is_dead(s, e))
        return;
    ad_ix_hitv_push(out, e, d, segno, variant);
}

/* Verifies candidates cand[0..n) ((table << 32) | entry) of one query, eight at a time. */
static void KFN(verify_chunk)(const ad_ix_seg *s, const uint64_t q[4], int r, const int8_t *t,
                              uint8_t segno, uint8_t variant, const uint64_t *cand, size_t n,
                              ad_ix_hitv *out)
{
    size_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (unsigned m = KFN(near8)(s->h, q, cand + c, r); m; m &= m - 1) {
            const uint64_t x = cand[c + (size_t)__builtin_ctz(m)];
            KFN(verify)(s, q, r, t, (unsigned)(x >> 32), (uint32_t)x, segno, variant, out);
        }
    for (; c < n; c++)
        KFN(verify)(s, q, r, t, (unsigned)(cand[c] >> 32), (uint32_t)cand[c], segno, variant, out);
}

static int KFN(lookup)(const ad_ix_seg *s, const uint64_t q[4], int r, const int8_t *t,
                       uint8_t segno, uint8_t variant, ad_ix_scratch *sc, size_t limit,
                       ad_ix_hitv *out)
{
    /* Stage 1: every directory key to visit (keys within t[j] bits of the query's), prefetched. */
    sc->nprobe = 0;
    for (int j = 0; j < s->m; j++) {
        if (t[j] < 0)
            continue;
        const ad_ix_table *tb = &s->t[j];
        const unsigned D = tb->dbits;
        const uint64_t lim = 1ull << D;
        const uint32_t key = ad_ix_bits(q, tb->start, D);
        const int wmax = t[j] < (int)D ? t[j] : (int)D;
        for (int w = 0; w <= wmax; w++) {
            uint64_t c = (1ull << w) - 1;
            while (c < lim) {
                if (sc->nprobe == sc->capprobe &&
                    !ad_ix_reserve((void **)&sc->probe, &sc->capprobe, sc->nprobe, 1024,
                                   sizeof *sc->probe)) {
                    sc->failed = 1;
                    return 1;
                }
                const uint32_t k = key ^ (uint32_t)c;
                __builtin_prefetch(&tb->dir[k]);
                sc->probe[sc->nprobe++] = ((uint64_t)j << 32) | k;
                if (c == 0)
                    break;
                const uint64_t u = c & -c, v = c + u; /* next mask with w bits (Gosper) */
                c = v + (((v ^ c) >> __builtin_ctzll(u)) >> 2);
            }
        }
    }
    /* Stage 2: the non-empty buckets, their entry lists prefetched. */
    sc->nrange = 0;
    size_t sum = 0;
    for (size_t p = 0; p < sc->nprobe; p++) {
        const unsigned j = (unsigned)(sc->probe[p] >> 32);
        const uint32_t k = (uint32_t)sc->probe[p];
        const ad_ix_table *tb = &s->t[j];
        const uint32_t a = tb->dir[k], b = tb->dir[k + 1];
        if (b <= a)
            continue;
        if (sc->nrange == sc->caprange && !ad_ix_reserve((void **)&sc->range, &sc->caprange,
                                                         sc->nrange, 1024, sizeof *sc->range)) {
            sc->failed = 1;
            return 1;
        }
        sc->range[sc->nrange++] = (ad_ix_range){a, b - a, j};
        __builtin_prefetch(tb->pos ? (const void *)&tb->pos[a] : (const void *)&s->h[4 * a]);
        sum += b - a;
    }
    if (sum > limit)
        return 0; /* huge buckets of near-identical hashes: a scan is cheaper */
    /* Stage 3: buckets into candidates, their hashes prefetched, in two alternating chunks: a
     * full chunk is verified once the next one is listed, so its hashes arrive meanwhile. */
    uint64_t *cur = sc->cand, *prev = sc->cand + AD_IX_CHUNK;
    size_t nc = 0, nprev = 0;
    for (size_t ri = 0; ri < sc->nrange; ri++) {
        const ad_ix_range R = sc->range[ri];
        const uint32_t *pos = s->t[R.table].pos;
        for (uint32_t x = R.a; x < R.a + R.len; x++) {
            const uint32_t e = pos ? pos[x] : x;
            __builtin_prefetch(&s->h[4 * (size_t)e]);
            cur[nc++] = ((uint64_t)R.table << 32) | e;
            if (nc == AD_IX_CHUNK) {
                KFN(verify_chunk)(s, q, r, t, segno, variant, prev, nprev, out);
                uint64_t *tmp = prev;
                prev = cur;
                cur = tmp;
                nprev = nc;
                nc = 0;
            }
        }
    }
    KFN(verify_chunk)(s, q, r, t, segno, variant, prev, nprev, out);
    KFN(verify_chunk)(s, q, r, t, segno, variant, cur, nc, out);
    return 1;
}

/* The batch search prefetches the entry lists of buckets AD_IX_LAG buckets ahead, and verifies
 * candidates AD_IX_BCHUNK at a time, one chunk behind the listing (so two chunks are in flight).
 * Their hashes are prefetched non-temporally (into L1 only, so two chunks' lines must fit there):
 * the stream of random hash lines then does not push the table's directory and entry list,
 * which the block's queries read again and again, out of the outer caches (3-5% more queries
 * per second at 1M; the second chunk in flight another 10-15%). */
#define AD_IX_LAG 16
#define AD_IX_BCHUNK 256

static inline void KFN(verify_unit)(const ad_ix_seg *s, int j, const ad_ix_block *b, uint64_t c)
{
    const size_t u = (size_t)(c >> 32);
    if (!b->gaveup[u])
        KFN(verify)
    (s, b->qw + 4 * u, b->r, b->t, (unsigned)j, (uint32_t)c, b->segno,
     (uint8_t)(u % (size_t)b->nvar), &b->hv[u / (size_t)b->nvar]);
}

/* Verifies the candidates cand[0..n) (unit << 32 | entry, one unit's in a row, their hashes
 * prefetched), eight at a time within each unit's run. */
static void KFN(verify_run)(const ad_ix_seg *s, int j, const ad_ix_block *b, const uint64_t *cand,
                            size_t n)
{
    size_t c = 0;
    while (c < n) {
        const uint64_t u = cand[c] >> 32;
        size_t e = c + 1;
        while (e < n && cand[e] >> 32 == u)
            e++;
        const uint64_t *q = b->qw + 4 * u;
        for (; c + 8 <= e; c += 8)
            for (unsigned m = KFN(near8)(s->h, q, cand + c, b->r); m; m &= m - 1)
                KFN(verify_unit)(s, j, b, cand[c + (size_t)__builtin_ctz(m)]);
        for (; c < e; c++)
            KFN(verify_unit)(s, j, b, cand[c]);
    }
}

/* Table j of segment s for every unit of block b, in phases that each touch one big array:
 * the units' directory probes give their non-empty buckets (the directory), the buckets give
 * candidates (the entry list), the candidates are verified (the hashes). A phase's array then
 * has the cache to itself, instead of the three competing for it query by query. Units go
 * through in groups that keep the bucket list small. A unit whose buckets grow beyond the limit
 * gives up: its hits in this segment are dropped and the caller scans for it. */
static void KFN(table)(const ad_ix_seg *s, int j, ad_ix_block *b)
{
    const ad_ix_table *tb = &s->t[j];
    const uint32_t *pos = tb->pos;
    const size_t group = b->nmask >= AD_IX_GROUP ? 1 : AD_IX_GROUP / b->nmask;
    if (!ad_ix_reserve((void **)&b->range, &b->caprange, 0, group * b->nmask, sizeof *b->range) ||
        !ad_ix_reserve((void **)&b->cand, &b->capcand, 0, 2 * AD_IX_BCHUNK, sizeof *b->cand)) {
        b->failed = 1;
        return;
    }
    for (size_t u0 = 0; u0 < b->nu; u0 += group) {
        const size_t u1 = b->nu - u0 < group ? b->nu : u0 + group;
        /* the directory: non-empty buckets, the next unit's lines prefetched */
        size_t nr = 0;
        for (size_t u = u0; u <= u1; u++) {
            if (u + 1 < u1 && !b->gaveup[u + 1]) {
                const uint32_t key = ad_ix_bits(b->qw + 4 * (u + 1), tb->start, tb->dbits);
                for (size_t i = 0; i < b->nmask; i++)
                    __builtin_prefetch(&tb->dir[key ^ b->mask[i]]);
            }
            if (u == u1 || b->gaveup[u])
                continue;
            const uint32_t key = ad_ix_bits(b->qw + 4 * u, tb->start, tb->dbits);
            const size_t first = nr;
            size_t sum = b->total[u];
            for (size_t i = 0; i < b->nmask; i++) {
                const uint32_t k = key ^ b->mask[i];
                const uint32_t a = tb->dir[k], e = tb->dir[k + 1];
                b->range[nr] = (ad_ix_range){a, e - a, (uint32_t)u};
                nr += e > a;
                sum += e - a;
            }
            b->total[u] = sum;
            if (sum > b->limit) {
                ad_ix_drop_hits(&b->hv[u / (size_t)b->nvar], b->mark[u], b->segno,
                                (uint8_t)(u % (size_t)b->nvar));
                b->gaveup[u] = 1;
                nr = first;
            }
        }
        /* the entry list: candidates in two alternating chunks; a full chunk is verified
         * after the next one is listed, so that its hashes arrive while the other's are
         * being tested */
        uint64_t *cur = b->cand, *prev = b->cand + AD_IX_BCHUNK;
        size_t nc = 0, nprev = 0;
        for (size_t ri = 0; ri < nr; ri++) {
            if (ri + AD_IX_LAG < nr) {
                const uint32_t a = b->range[ri + AD_IX_LAG].a;
                __builtin_prefetch(pos ? (const void *)&pos[a]
                                       : (const void *)&s->h[4 * (size_t)a]);
            }
            const ad_ix_range R = b->range[ri];
            const uint64_t u = (uint64_t)R.table << 32; /* here `table` holds the unit */
            for (uint32_t x = R.a; x < R.a + R.len; x++) {
                const uint32_t e = pos ? pos[x] : x;
                __builtin_prefetch(&s->h[4 * (size_t)e], 0, 0); /* non-temporal: see above */
                cur[nc++] = u | e;
                if (nc == AD_IX_BCHUNK) {
                    KFN(verify_run)(s, j, b, prev, nprev);
                    uint64_t *t = prev;
                    prev = cur;
                    cur = t;
                    nprev = nc;
                    nc = 0;
                }
            }
        }
        KFN(verify_run)(s, j, b, prev, nprev);
        KFN(verify_run)(s, j, b, cur, nc);
    }
}

const ad_ix_kern KFN(ad_ix_kern) = {KFN(scan), KFN(lookup), KFN(table)};
