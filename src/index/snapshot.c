/* snapshot.c: the match index on disk: one file, a versioned header, a 64-bit checksum of the
 * body, and the segments' arrays laid out 64-byte aligned so that loading maps the file and
 * points the segments into it (no rebuild, no copy).
 *
 * Layout (little-endian): header (64 bytes: magic "ARIADIX\n", version, byte-order mark, file
 * size, checksum of bytes [64, size), segment count), then per segment a 128-byte record (n,
 * removed count, tables: start, width, dbits) followed by its arrays, each padded to 64
 * bytes: hashes (32n), ids (8n), removed bitmap, and per table the directory and (tables 1..m-1)
 * the entry numbers. The last segment (m = 0) is the insert buffer, copied on load.
 *
 * The same bytes may sit inside a larger file at a page-aligned offset (ad_index_write,
 * ad_index_map): the live index's snapshot (src/live/live_snapshot.c) holds one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/util.h"
#include "ix_internal.h"

#define MAGIC "ARIADIX\n"
#define VERSION 1u
#define BOM 0x01020304u
#define HDR 64
#define SEGHDR 128

/* ---- checksum: four interleaved multiply-rotate lanes over 64-bit words ---- */

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL

typedef struct sum {
    uint64_t acc[4];
    uint64_t words;
    uint8_t pend[8];
    unsigned npend;
} sum;

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static void sum_init(sum *s)
{
    memset(s, 0, sizeof *s);
    s->acc[0] = P1;
    s->acc[1] = P2;
    s->acc[2] = 0;
    s->acc[3] = ~P1;
}

static void sum_word(sum *s, uint64_t w)
{
    uint64_t *a = &s->acc[s->words++ & 3];
    *a = rotl(*a + w * P2, 31) * P1;
}

static void sum_add(sum *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len && s->npend) {
        s->pend[s->npend++] = *p++;
        len--;
        if (s->npend == 8) {
            uint64_t w;
            memcpy(&w, s->pend, 8);
            sum_word(s, w);
            s->npend = 0;
        }
    }
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        sum_word(s, w);
    }
    while (len--)
        s->pend[s->npend++] = *p++;
}

static uint64_t sum_final(sum *s)
{
    uint64_t tail = 0;
    memcpy(&tail, s->pend, s->npend);
    uint64_t h = s->words * P1 ^ tail ^ s->npend;
    for (int i = 0; i < 4; i++)
        h = rotl(h ^ s->acc[i] * P2, 27) * P1 + 0x165667B19E3779F9ULL;
    h ^= h >> 29;
    h *= P2;
    return h ^ (h >> 32);
}

/* ---- writing ---- */

typedef struct writer {
    FILE *f;
    sum s;
    uint64_t off;
    int failed;
} writer;

static void put(writer *w, const void *data, size_t len)
{
    if (w->failed || len == 0)
        return;
    if (fwrite(data, 1, len, w->f) != len)
        w->failed = 1;
    sum_add(&w->s, data, len);
    w->off += len;
}

static void pad64(writer *w)
{
    static const uint8_t zero[64];
    put(w, zero, (64 - w->off % 64) % 64);
}

static void put_seg(writer *w, const ad_ix_seg *s)
{
    uint8_t rec[SEGHDR] = {0};
    uint64_t n = s->n, nd = s->ndead;
    uint32_t m = (uint32_t)s->m;
    memcpy(rec, &n, 8);
    memcpy(rec + 8, &nd, 8);
    memcpy(rec + 16, &m, 4);
    for (int j = 0; j < s->m; j++) {
        memcpy(rec + 24 + 4 * j, &s->t[j].start, 2);
        rec[24 + 4 * j + 2] = s->t[j].width;
        rec[24 + 4 * j + 3] = s->t[j].dbits;
    }
    put(w, rec, SEGHDR);
    put(w, s->h, s->n * 32);
    pad64(w);
    put(w, s->ids, s->n * 8);
    pad64(w);
    put(w, s->dead, (s->n + 63) / 64 * 8);
    pad64(w);
    for (int j = 0; j < s->m; j++) {
        put(w, s->t[j].dir, (((size_t)1 << s->t[j].dbits) + 1) * 4);
        pad64(w);
        if (j > 0) {
            put(w, s->t[j].pos, s->n * 4);
            pad64(w);
        }
    }
}

static void header(uint8_t hdr[HDR], uint64_t size, uint64_t check, uint32_t nseg)
{
    uint32_t v = VERSION, bom = BOM, hs = HDR;
    memset(hdr, 0, HDR);
    memcpy(hdr, MAGIC, 8);
    memcpy(hdr + 8, &v, 4);
    memcpy(hdr + 12, &bom, 4);
    memcpy(hdr + 16, &size, 8);
    memcpy(hdr + 24, &check, 8);
    memcpy(hdr + 32, &nseg, 4);
    memcpy(hdr + 36, &hs, 4);
}

ad_code ad_index_write(const ad_index *ix, FILE *f, uint64_t *len, uint8_t head[64], ad_err *err)
{
    writer w = {f, {{0}, 0, {0}, 0}, 0, 0};
    off_t start = ftello(f);
    uint8_t hdr[HDR];
    header(hdr, 0, 0, 0);
    if (start < 0 || fwrite(hdr, 1, HDR, f) != HDR)
        w.failed = 1;
    sum_init(&w.s);
    w.off = HDR;
    for (int i = 0; i < ix->nseg; i++)
        put_seg(&w, ix->seg[i]);
    put_seg(&w, ix->buf);
    header(hdr, w.off, sum_final(&w.s), (uint32_t)ix->nseg + 1);
    if (!w.failed && (fseeko(f, start, SEEK_SET) != 0 || fwrite(hdr, 1, HDR, f) != HDR ||
                      fseeko(f, start + (off_t)w.off, SEEK_SET) != 0))
        w.failed = 1;
    if (w.failed)
        return ad_err_set(err, AD_ERR_IO, "cannot write the index: %s", strerror(errno));
    if (len)
        *len = w.off;
    if (head)
        memcpy(head, hdr, HDR);
    return AD_OK;
}

ad_code ad_index_save(const ad_index *ix, const char *path, ad_err *err)
{
    ad_file_replace r;
    ad_code rc = ad_file_replace_open(&r, path, err);
    if (rc != AD_OK)
        return rc;
    rc = ad_index_write(ix, r.f, NULL, NULL, err);
    if (rc != AD_OK)
        ad_err_prefix(err, "cannot write index snapshot %s", path);
    return ad_file_replace_end(&r, rc, err);
}

/* ---- loading ---- */

void ad_ix_unmap(void *map, size_t len)
{
    munmap(map, len);
}

typedef struct reader {
    uint8_t *base;
    uint64_t off, size;
} reader;

/* Next array of len bytes (then padding), or NULL if the file is too short. */
static void *take(reader *r, uint64_t len)
{
    if (len > r->size - r->off)
        return NULL;
    void *p = r->base + r->off;
    r->off += len;
    r->off += (64 - r->off % 64) % 64;
    if (r->off > r->size)
        r->off = r->size;
    return p;
}

static ad_code bad(ad_err *err, const char *path, const char *what)
{
    return ad_err_set(err, AD_ERR_CORRUPT, "index snapshot %s is inconsistent (%s)", path, what);
}

static ad_code read_seg(reader *r, ad_ix_seg *s, const char *path, ad_err *err)
{
    if (r->size - r->off < SEGHDR)
        return bad(err, path, "segment record cut short");
    const uint8_t *rec = r->base + r->off;
    r->off += SEGHDR;
    uint64_t n, nd;
    uint32_t m;
    memcpy(&n, rec, 8);
    memcpy(&nd, rec + 8, 8);
    memcpy(&m, rec + 16, 4);
    if (n >= UINT32_MAX || nd > n || m > AD_IX_MAXT)
        return bad(err, path, "segment sizes");
    s->n = s->cap = n;
    s->ndead = nd;
    s->m = (int)m;
    s->mapped = 1;
    unsigned start = 0;
    for (uint32_t j = 0; j < m; j++) {
        ad_ix_table *t = &s->t[j];
        memcpy(&t->start, rec + 24 + 4 * j, 2);
        t->width = rec[24 + 4 * j + 2];
        t->dbits = rec[24 + 4 * j + 3];
        if (t->start != start || t->width == 0 || t->width > 32 || t->dbits == 0 ||
            t->dbits > t->width || t->dbits > AD_IX_MAXD)
            return bad(err, path, "table layout");
        start += t->width;
    }
    if (m && start != 256)
        return bad(err, path, "tables do not cover 256 bits");
    s->h = take(r, n * 32);
    s->ids = take(r, n * 8);
    s->dead = take(r, (n + 63) / 64 * 8);
    if (!s->h || !s->ids || !s->dead)
        return bad(err, path, "arrays cut short");
    uint64_t dead = 0;
    for (uint64_t k = 0; k < (n + 63) / 64; k++)
        dead += (uint64_t)__builtin_popcountll(s->dead[k]);
    if (dead != nd)
        return bad(err, path, "removed count");
    for (uint32_t j = 0; j < m; j++) {
        ad_ix_table *t = &s->t[j];
        const size_t nkeys = (size_t)1 << t->dbits;
        t->dir = take(r, (nkeys + 1) * 4);
        if (!t->dir)
            return bad(err, path, "directory cut short");
        if (t->dir[0] != 0 || t->dir[nkeys] != n)
            return bad(err, path, "directory bounds");
        for (size_t k = 0; k < nkeys; k++)
            if (t->dir[k] > t->dir[k + 1])
                return bad(err, path, "directory order");
        if (j > 0) {
            t->pos = take(r, n * 4);
            if (!t->pos)
                return bad(err, path, "table cut short");
            for (size_t k = 0; k < n; k++)
                if (t->pos[k] >= n)
                    return bad(err, path, "entry number out of range");
        }
    }
    return AD_OK;
}

static ad_code load_mapped(ad_index *ix, uint8_t *base, uint64_t size, const char *path,
                           ad_err *err)
{
    uint32_t version, bom, nseg;
    uint64_t fsize, check;
    if (size < HDR || memcmp(base, MAGIC, 8) != 0)
        return ad_err_set(err, AD_ERR_VERSION, "%s is not an ariadne index snapshot", path);
    memcpy(&version, base + 8, 4);
    memcpy(&bom, base + 12, 4);
    memcpy(&fsize, base + 16, 8);
    memcpy(&check, base + 24, 8);
    memcpy(&nseg, base + 32, 4);
    if (version != VERSION || bom != BOM)
        return ad_err_set(err, AD_ERR_VERSION,
                          "index snapshot %s has version %u (byte order %08x); this program "
                          "reads version %u: rebuild it",
                          path, version, bom, VERSION);
    if (fsize != size)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "index snapshot %s is %llu bytes, its header says %llu: damaged", path,
                          (unsigned long long)size, (unsigned long long)fsize);
    sum s;
    sum_init(&s);
    sum_add(&s, base + HDR, size - HDR);
    if (sum_final(&s) != check)
        return ad_err_set(err, AD_ERR_CHECKSUM, "index snapshot %s fails its checksum: damaged",
                          path);
    if (nseg < 1 || nseg > AD_IX_MAXSEG)
        return bad(err, path, "segment count");
    reader r = {base, HDR, size};
    for (uint32_t i = 0; i < nseg; i++) {
        ad_ix_seg *seg = calloc(1, sizeof *seg);
        if (!seg)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        ad_code rc = read_seg(&r, seg, path, err);
        int last = i + 1 == nseg;
        if (rc == AD_OK && (seg->m == 0) != last)
            rc = bad(err, path, "segment kinds");
        if (rc == AD_OK && last && seg->n >= ix->buf->cap)
            rc = bad(err, path, "insert buffer size");
        if (rc != AD_OK) {
            ad_ix_seg_free(seg);
            return rc;
        }
        if (last) {
            memcpy(ix->buf->h, seg->h, seg->n * 32);
            memcpy(ix->buf->ids, seg->ids, seg->n * 8);
            memcpy(ix->buf->dead, seg->dead, (seg->n + 63) / 64 * 8);
            ix->buf->n = seg->n;
            ix->buf->ndead = seg->ndead;
            ad_ix_seg_free(seg);
        } else {
            ix->seg[ix->nseg++] = seg;
        }
    }
    return AD_OK;
}

ad_code ad_index_map(int fd, uint64_t offset, uint64_t len, const char *name, ad_index **out,
                     ad_err *err)
{
    *out = NULL;
    if (len < HDR)
        return ad_err_set(err, AD_ERR_VERSION, "%s is not an ariadne index snapshot", name);
    if (offset % (uint64_t)sysconf(_SC_PAGESIZE) || len > SIZE_MAX)
        return ad_err_set(err, AD_ERR_ARG, "index in %s: offset not page-aligned", name);
    /* private writable mapping: removals flip bits in copy-on-write pages, never the file */
    void *map = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, (off_t)offset);
    if (map == MAP_FAILED)
        return ad_err_set(err, AD_ERR_IO, "cannot map index snapshot %s: %s", name,
                          strerror(errno));
    ad_index *ix;
    ad_code rc = ad_index_new(&ix, err);
    if (rc != AD_OK) {
        munmap(map, (size_t)len);
        return rc;
    }
    ix->map = map;
    ix->maplen = (size_t)len;
    rc = load_mapped(ix, map, len, name, err);
    if (rc != AD_OK) {
        ad_index_free(ix);
        return rc;
    }
    *out = ix;
    return AD_OK;
}

ad_code ad_index_load(ad_index **out, const char *path, ad_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ad_err_set(err, errno == ENOENT ? AD_ERR_NOT_FOUND : AD_ERR_IO,
                          "cannot open index snapshot %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ad_err_set(err, AD_ERR_IO, "index snapshot %s is not a regular file", path);
    }
    ad_code rc = ad_index_map(fd, 0, (uint64_t)st.st_size, path, out, err);
    close(fd);
    return rc;
}
