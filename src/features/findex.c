/* findex.c: the inverted file over visual words (docs/features.md "The index"): for each word
 * the media that have it (postings in one array, by word), each word weighted by its rarity
 * (idf = log(N / df)); a query scores the media sharing its words, the commonest words (in more
 * than STOP_FRACTION of 1,000 media or more) left out, and returns the best. Built with adds, then sealed. */
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "ariadne/util.h"
#include "feat_int.h"

#define STOP_FRACTION 0.05 /* words in more than this share of the media carry no information */

struct ad_feat_index {
    int64_t *ids; /* media ids by document number */
    uint32_t *nw; /* distinct words per document */
    size_t n, cap;
    uint64_t *pend; /* (word << 32 | doc) added since the last seal */
    size_t npend, cappend;
    uint32_t *start; /* AD_FEAT_WORDS + 1 */
    uint32_t *docs;  /* postings, start[w] .. start[w + 1] */
    size_t ndocs;
    float *idf;
    uint8_t *qidf; /* idf in sixteenths, 1..255 (0: a stop word): scores add in 16 bits */
    int sealed;
};

ad_code ad_feat_index_new(ad_feat_index **out, ad_err *err)
{
    ad_feat_index *ix = calloc(1, sizeof *ix);
    if (ix) {
        ix->start = calloc(AD_FEAT_WORDS + 1, sizeof *ix->start);
        ix->idf = calloc(AD_FEAT_WORDS, sizeof *ix->idf);
        ix->qidf = calloc(AD_FEAT_WORDS, 1);
    }
    if (!ix || !ix->start || !ix->idf || !ix->qidf) {
        ad_feat_index_free(ix);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    ix->sealed = 1;
    *out = ix;
    return AD_OK;
}

void ad_feat_index_free(ad_feat_index *ix)
{
    if (!ix)
        return;
    free(ix->ids);
    free(ix->nw);
    free(ix->pend);
    free(ix->start);
    free(ix->docs);
    free(ix->idf);
    free(ix->qidf);
    free(ix);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* the distinct words of f, sorted, into w (room for f->n); returns how many */
static size_t distinct(const ad_features *f, uint32_t *w)
{
    for (size_t i = 0; i < f->n; i++)
        w[i] = f->p[i].word % AD_FEAT_WORDS;
    qsort(w, f->n, sizeof *w, cmp_u32);
    size_t o = 0;
    for (size_t i = 0; i < f->n; i++)
        if (!o || w[o - 1] != w[i])
            w[o++] = w[i];
    return o;
}

ad_code ad_feat_index_add(ad_feat_index *ix, int64_t media_id, const ad_features *f, ad_err *err)
{
    if (ix->n >= UINT32_MAX - 1)
        return ad_err_set(err, AD_ERR_LIMIT, "the features index is full");
    uint32_t w[AD_FEAT_DETECT * 2];
    ad_features g = *f;
    if (g.n > sizeof w / sizeof w[0])
        g.n = sizeof w / sizeof w[0];
    size_t nw = distinct(&g, w);
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 1024;
        int64_t *ids = realloc(ix->ids, cap * sizeof *ids);
        if (ids)
            ix->ids = ids;
        uint32_t *n = realloc(ix->nw, cap * sizeof *n);
        if (n)
            ix->nw = n;
        if (!ids || !n)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        ix->cap = cap;
    }
    if (ix->npend + nw > ix->cappend) {
        size_t cap = ix->cappend ? ix->cappend : 4096;
        while (cap < ix->npend + nw)
            cap *= 2;
        uint64_t *p = realloc(ix->pend, cap * sizeof *p);
        if (!p)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        ix->pend = p;
        ix->cappend = cap;
    }
    uint32_t doc = (uint32_t)ix->n;
    ix->ids[doc] = media_id;
    ix->nw[doc] = (uint32_t)nw;
    ix->n++;
    for (size_t i = 0; i < nw; i++)
        ix->pend[ix->npend++] = (uint64_t)w[i] << 32 | doc;
    ix->sealed = 0;
    return AD_OK;
}

/* The words' weights from the postings; the index is then sealed. */
static void weigh(ad_feat_index *ix)
{
    for (uint32_t w = 0; w < AD_FEAT_WORDS; w++) {
        uint32_t df = ix->start[w + 1] - ix->start[w];
        ix->idf[w] = df && (ix->n < 1000 || df <= STOP_FRACTION * (double)ix->n)
                         ? (float)log((double)ix->n / df + 1.0)
                         : 0;
        double q = ix->idf[w] * 16 + 0.5;
        ix->qidf[w] = ix->idf[w] > 0 ? (uint8_t)(q < 1 ? 1 : q > 255 ? 255 : q) : 0;
    }
    ix->sealed = 1;
}

ad_code ad_feat_index_seal(ad_feat_index *ix, ad_err *err)
{
    if (ix->sealed)
        return AD_OK;
    size_t total = ix->ndocs + ix->npend;
    if (total > UINT32_MAX)
        return ad_err_set(err, AD_ERR_LIMIT, "the features index is full");
    uint32_t *docs = malloc((total ? total : 1) * sizeof *docs);
    uint32_t *start = calloc(AD_FEAT_WORDS + 1, sizeof *start);
    if (!docs || !start) {
        free(docs);
        free(start);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for the features index");
    }
    /* counts: the sealed postings and the pending ones */
    for (uint32_t w = 0; w < AD_FEAT_WORDS; w++)
        start[w + 1] = ix->start[w + 1] - ix->start[w];
    for (size_t i = 0; i < ix->npend; i++)
        start[(ix->pend[i] >> 32) + 1]++;
    for (uint32_t w = 0; w < AD_FEAT_WORDS; w++)
        start[w + 1] += start[w];
    /* old postings keep their order (documents ascending), the new ones follow */
    for (uint32_t w = 0; w < AD_FEAT_WORDS; w++) {
        uint32_t n = ix->start[w + 1] - ix->start[w];
        if (n)
            memcpy(docs + start[w], ix->docs + ix->start[w], n * sizeof *docs);
        ix->start[w] = start[w] + n; /* reused as the fill cursor */
    }
    for (size_t i = 0; i < ix->npend; i++)
        docs[ix->start[ix->pend[i] >> 32]++] = (uint32_t)ix->pend[i];
    free(ix->docs);
    free(ix->start);
    ix->docs = docs;
    ix->start = start;
    ix->ndocs = total;
    ix->npend = 0;
    weigh(ix);
    return AD_OK;
}

size_t ad_feat_index_size(const ad_feat_index *ix)
{
    return ix->n;
}

size_t ad_feat_index_bytes(const ad_feat_index *ix)
{
    return ix->n * (sizeof *ix->ids + sizeof *ix->nw) + ix->ndocs * sizeof *ix->docs +
           (AD_FEAT_WORDS + 1) * sizeof *ix->start + AD_FEAT_WORDS * sizeof *ix->idf;
}

static int better(float s, int64_t id, const ad_feat_hit *h)
{
    return s > h->score || (s == h->score && id < h->media_id);
}

/* Documents scored at a time: the block's 16-bit scores (128 KB) stay in the core's L2 cache
 * while the query's postings are walked, instead of 2 bytes a media touched at random all over
 * memory (postings are in document order: each word's cursor moves on block by block). */
#define BLOCK 65536u

/* The best `max` hits so far, hits[0] best: s for media id inserted where it belongs. */
static void consider(ad_feat_hit *hits, size_t max, size_t *found, float s, int64_t id)
{
    if (*found == max && !better(s, id, &hits[max - 1]))
        return;
    size_t at = *found < max ? (*found)++ : max - 1;
    while (at > 0 && better(s, id, &hits[at - 1])) {
        hits[at] = hits[at - 1];
        at--;
    }
    hits[at] = (ad_feat_hit){id, s};
}

size_t ad_feat_index_search(const ad_feat_index *ix, const ad_features *q, ad_feat_hit *hits,
                            size_t max)
{
    if (!ix->sealed || !ix->n || !max || !q->n)
        return 0;
    uint32_t *w = malloc(q->n * sizeof *w);
    const uint32_t **cur = malloc(q->n * sizeof *cur), **end = malloc(q->n * sizeof *end);
    /* 16-bit scores: a query adds at most AD_FEAT_DETECT x 255, under 2^17: saturated at 65535 */
    uint16_t *score = calloc(BLOCK, sizeof *score);
    uint8_t *f = malloc(q->n);
    size_t found = 0;
    if (!w || !cur || !end || !score || !f)
        goto done;
    size_t nw = distinct(q, w), nl = 0;
    for (size_t i = 0; i < nw; i++)
        if (ix->qidf[w[i]]) {
            cur[nl] = ix->docs + ix->start[w[i]];
            end[nl] = ix->docs + ix->start[w[i] + 1];
            f[nl++] = ix->qidf[w[i]];
        }
    /* a score under gate cannot enter the hits (its norm is at least sqrt(20)) */
    const float least = 16.0f * sqrtf(20.0f);
    float gate = 0;
    for (size_t base = 0; base < ix->n; base += BLOCK) {
        const size_t top = ix->n - base < BLOCK ? ix->n - base : BLOCK;
        const uint64_t lim = (uint64_t)base + top;
        for (size_t l = 0; l < nl; l++) {
            const uint32_t *d = cur[l], *e = end[l];
            const unsigned add = f[l];
            for (; d < e && *d < lim; d++) {
                if (*d < base) /* out of document order: a damaged index, never a write outside */
                    continue;
                uint16_t *sc = &score[*d - base];
                unsigned t = *sc + add;
                *sc = (uint16_t)(t > 65535 ? 65535 : t);
            }
            cur[l] = d;
        }
        for (size_t i = 0; i < top; i++) {
            if (!score[i])
                continue;
            unsigned v = score[i];
            score[i] = 0;
            if ((float)v < gate)
                continue;
            size_t d = base + i;
            float s = v / 16.0f / sqrtf((float)(ix->nw[d] > 20 ? ix->nw[d] : 20));
            /* equal scores by media id: the same answer whatever order the media were added in */
            consider(hits, max, &found, s, ix->ids[d]);
            if (found == max)
                gate = hits[max - 1].score * least * 0.9999f; /* no tie lost to rounding */
        }
    }
done:
    free(w);
    free(cur);
    free(end);
    free(score);
    free(f);
    return found;
}

/* ---- the index on disk (a cache beside the store: fstore.c) ---- */

#define FILE_MAGIC "ARIADFX\n"
#define FILE_VERSION 1u
#define TAG_LEN 64

typedef struct {
    char magic[8];
    uint32_t version, feat_version;
    char tag[TAG_LEN];
    uint64_t n, ndocs, sum; /* sum: XXH3-64 of the arrays that follow */
} file_head;

static uint64_t arrays_sum(const ad_feat_index *ix)
{
    XXH3_state_t *h = XXH3_createState();
    if (!h)
        return 0;
    XXH3_64bits_reset(h);
    if (ix->n) {
        XXH3_64bits_update(h, ix->ids, ix->n * sizeof *ix->ids);
        XXH3_64bits_update(h, ix->nw, ix->n * sizeof *ix->nw);
    }
    XXH3_64bits_update(h, ix->start, (AD_FEAT_WORDS + 1) * sizeof *ix->start);
    if (ix->ndocs)
        XXH3_64bits_update(h, ix->docs, ix->ndocs * sizeof *ix->docs);
    uint64_t v = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return v;
}

ad_code ad_feat_index_save(ad_feat_index *ix, const char *path, const char *tag, ad_err *err)
{
    ad_code rc = ad_feat_index_seal(ix, err);
    if (rc)
        return rc;
    file_head hd;
    memset(&hd, 0, sizeof hd);
    memcpy(hd.magic, FILE_MAGIC, 8);
    hd.version = FILE_VERSION;
    hd.feat_version = AD_FEAT_VERSION;
    snprintf(hd.tag, sizeof hd.tag, "%s", tag ? tag : "");
    hd.n = ix->n;
    hd.ndocs = ix->ndocs;
    hd.sum = arrays_sum(ix);
    ad_file_replace f;
    if ((rc = ad_file_replace_open(&f, path, err)))
        return rc;
    fwrite(&hd, sizeof hd, 1, f.f);
    if (ix->n) { /* an empty index has no arrays (NULL) */
        fwrite(ix->ids, sizeof *ix->ids, ix->n, f.f);
        fwrite(ix->nw, sizeof *ix->nw, ix->n, f.f);
    }
    fwrite(ix->start, sizeof *ix->start, AD_FEAT_WORDS + 1, f.f);
    if (ix->ndocs)
        fwrite(ix->docs, sizeof *ix->docs, ix->ndocs, f.f);
    return ad_file_replace_end(&f, AD_OK, err);
}

static ad_code refuse(ad_err *err, const char *path, const char *why)
{
    return ad_err_set(err, AD_ERR_CORRUPT, "features index file %s %s", path, why);
}

ad_code ad_feat_index_open(const char *path, const char *tag, ad_feat_index **out, ad_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no features index file %s", path);
    file_head hd;
    ad_feat_index *ix = NULL;
    ad_code rc = AD_OK;
    struct stat st;
    if (fstat(fileno(f), &st) || fread(&hd, sizeof hd, 1, f) != 1 || memcmp(hd.magic, FILE_MAGIC, 8))
        rc = refuse(err, path, "is not one");
    else if (hd.version != FILE_VERSION || hd.feat_version != AD_FEAT_VERSION)
        rc = ad_err_set(err, AD_ERR_VERSION, "features index file %s is of version %u/%u, not %u/%u",
                        path, hd.version, hd.feat_version, FILE_VERSION, AD_FEAT_VERSION);
    else if (strncmp(hd.tag, tag ? tag : "", sizeof hd.tag))
        rc = ad_err_set(err, AD_ERR_VERSION, "features index file %s is another store's", path);
    else if (hd.n >= UINT32_MAX || hd.ndocs > UINT32_MAX ||
             (uint64_t)st.st_size != sizeof hd + hd.n * 12 + (AD_FEAT_WORDS + 1) * 4ull +
                                         hd.ndocs * 4)
        rc = refuse(err, path, "has the wrong size");
    else
        rc = ad_feat_index_new(&ix, err);
    if (!rc) {
        ix->n = ix->cap = hd.n;
        ix->ndocs = hd.ndocs;
        ix->ids = malloc((hd.n ? hd.n : 1) * sizeof *ix->ids);
        ix->nw = malloc((hd.n ? hd.n : 1) * sizeof *ix->nw);
        ix->docs = malloc((hd.ndocs ? hd.ndocs : 1) * sizeof *ix->docs);
        if (!ix->ids || !ix->nw || !ix->docs)
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory for the features index");
        else if (fread(ix->ids, sizeof *ix->ids, hd.n, f) != hd.n ||
                 fread(ix->nw, sizeof *ix->nw, hd.n, f) != hd.n ||
                 fread(ix->start, sizeof *ix->start, AD_FEAT_WORDS + 1, f) != AD_FEAT_WORDS + 1 ||
                 fread(ix->docs, sizeof *ix->docs, hd.ndocs, f) != hd.ndocs)
            rc = refuse(err, path, "is cut short");
        else if (arrays_sum(ix) != hd.sum)
            rc = refuse(err, path, "fails its checksum");
    }
    /* the invariants searches rely on: postings in range, by word, of known documents */
    if (!rc && (ix->start[0] != 0 || ix->start[AD_FEAT_WORDS] != hd.ndocs))
        rc = refuse(err, path, "has inconsistent postings");
    for (uint32_t w = 0; !rc && w < AD_FEAT_WORDS; w++)
        if (ix->start[w] > ix->start[w + 1])
            rc = refuse(err, path, "has inconsistent postings");
    for (uint64_t i = 0; !rc && i < hd.ndocs; i++)
        if (ix->docs[i] >= hd.n)
            rc = refuse(err, path, "has inconsistent postings");
    fclose(f);
    if (rc) {
        ad_feat_index_free(ix);
        return rc;
    }
    weigh(ix);
    *out = ix;
    return AD_OK;
}

int64_t ad_feat_index_id(const ad_feat_index *ix, size_t i)
{
    return i < ix->n ? ix->ids[i] : 0;
}
