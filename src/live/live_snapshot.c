/* live_snapshot.c: the live index on disk, for a fast start (live.h, docs/server.md "The
 * snapshot"): ad_live_snapshot_save writes everything an ad_live holds to one file (a temp file,
 * then a rename), tagged with the store's instance UUID and the index log position it reflects;
 * ad_live_load_snapshot reads it back when it is whole and belongs to this store, then applies
 * the index log after that position (applying is idempotent, as after a load from the store).
 *
 * Layout (native byte order, checked by a byte-order mark and the sizes of the records):
 *   [0, 65536)       header (64 KiB, so that the PDQ index after it is page-aligned for any
 *                    page size up to 64 KiB and can be mapped): magic "ARIADLV\n", version,
 *                    byte-order mark, file size, the position (seq and the kind, a, b of
 *                    the index log row at seq; the audit chain's head, seq and hash, when
 *                    written), the store's instance UUID,
 *                    the PDQ index's offset and length, record sizes, and a 64-bit XXH3
 *                    (libxxhash) of the header (this field zeroed), the PDQ index's own
 *                    64-byte header and every byte after the PDQ index;
 *   [65536, +L)      the PDQ index as ad_index_write writes it (its own checksum; mapped on load);
 *   then the counts, the frames' videos, and each hash table's slot arrays as they are in
 *   memory (the tables' hash functions are fixed, so the slots are valid as read: no rehash).
 * Every count is checked against the file's size before anything is allocated, and every table
 * against its invariants after the checksum: a damaged, cut, foreign or stale file is refused
 * with a reason (the caller then loads from the store), never used. The hold rule's rates are
 * not kept (a start from the store has none either). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "ariadne/util.h"
#include "live/live_int.h"

#define MAGIC "ARIADLV\n"
#define VERSION 3u /* 1: a header of 4096 bytes; 2: no count of the extra hashes */
#define BOM 0x01020304u
#define HDR 65536
#define SUMLEN 8
#define CHUNK (16u << 20)

/* header field offsets */
enum {
    H_VERSION = 8,
    H_BOM = 12,
    H_SIZE = 16,
    H_SEQ = 24,
    H_KIND = 32,
    H_A = 40,
    H_B = 48,
    H_IXOFF = 56,
    H_IXLEN = 64,
    H_SZENT = 72, /* sizeof(ad_lentry), ad_llist, ad_pslot, ad_dslot: 4 x u32 */
    H_UUID = 96,  /* AD_UUID_LEN + 1 */
    H_SUM = 160,
    H_ASEQ = 176, /* the audit chain's head when written: seq, then its hash (32 bytes) */
    H_AHASH = 184,
};

/* The counts block, after the PDQ index. */
typedef struct counts {
    uint64_t nframes;
    uint64_t pdq_cap, pdq_n, pdq_zero;
    uint64_t fr_cap, fr_n, fr_zero;
    uint64_t dig_cap[3], dig_n[3], ndig;
    uint64_t nent, present, nheld;
    uint64_t ix_cap, ix_n, first_cap, first_n, gr_cap, gr_n;
    uint64_t nlists;
    uint64_t ixsize; /* entries in the PDQ index, the extra hashes' included */
    uint64_t nmore;  /* of which trimmed or area PDQs (ariadne/media_hash.h) */
} counts;

/* ---- writing ------------------------------------------------------------------------- */

typedef struct writer {
    FILE *f;
    XXH3_state_t *h;
    int failed;
} writer;

static void put(writer *w, const void *p, size_t len)
{
    if (w->failed || !len)
        return;
    if (fwrite(p, 1, len, w->f) != len)
        w->failed = 1;
    XXH3_64bits_update(w->h, p, len);
}

static void put_u64(uint8_t *at, uint64_t v)
{
    memcpy(at, &v, 8);
}

static void put_u32(uint8_t *at, uint32_t v)
{
    memcpy(at, &v, 4);
}

/* The snapshot's position in the store's history: the index log row at seq (its kind, a, b)
 * and the audit chain's head (every write appends to the chain, whose rows are hashed one on
 * the other: a store restored from an older copy and written again has another hash there). */
struct row_at {
    int64_t seq;
    ad_ixchange c;
    int found;
    int64_t aseq;
    uint8_t ahash[32];
};

static void header(uint8_t *hdr, const ad_live *lv, const struct row_at *pos, const char *uuid,
                   uint64_t ixlen, uint64_t size)
{
    memset(hdr, 0, HDR);
    memcpy(hdr, MAGIC, 8);
    put_u32(hdr + H_VERSION, VERSION);
    put_u32(hdr + H_BOM, BOM);
    put_u64(hdr + H_SIZE, size);
    put_u64(hdr + H_SEQ, (uint64_t)lv->seq);
    put_u32(hdr + H_KIND, (uint32_t)pos->c.kind);
    put_u64(hdr + H_A, (uint64_t)pos->c.a);
    put_u64(hdr + H_B, (uint64_t)pos->c.b);
    put_u64(hdr + H_ASEQ, (uint64_t)pos->aseq);
    memcpy(hdr + H_AHASH, pos->ahash, 32);
    put_u64(hdr + H_IXOFF, HDR);
    put_u64(hdr + H_IXLEN, ixlen);
    put_u32(hdr + H_SZENT, sizeof(ad_lentry));
    put_u32(hdr + H_SZENT + 4, sizeof(ad_llist));
    put_u32(hdr + H_SZENT + 8, sizeof(struct ad_pslot));
    put_u32(hdr + H_SZENT + 12, sizeof(struct ad_dslot));
    snprintf((char *)hdr + H_UUID, AD_UUID_LEN + 1, "%s", uuid);
}

static int on_row(void *ctx, const ad_ixchange *c)
{
    struct row_at *r = ctx;
    if (c->seq == r->seq) {
        r->c = *c;
        r->c.name = NULL;
        r->found = 1;
    }
    return 0;
}

static ad_code row_at(ad_store *st, int64_t seq, struct row_at *r, ad_err *err)
{
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->c.kind = AD_IX__UNKNOWN;
    if (seq <= 0)
        return AD_OK;
    return ad_store_index_changes(st, seq - 1, 1, on_row, r, err);
}

static void fill_counts(const ad_live *lv, counts *c)
{
    memset(c, 0, sizeof *c);
    c->nframes = lv->frames.n;
    c->pdq_cap = lv->media_pdq.cap, c->pdq_n = lv->media_pdq.n;
    c->pdq_zero = (uint64_t)lv->media_pdq.has_zero;
    c->fr_cap = lv->frames.cap, c->fr_n = lv->frames.n, c->fr_zero = (uint64_t)lv->frames.has_zero;
    for (int k = 0; k < 3; k++)
        c->dig_cap[k] = lv->dig[k].cap, c->dig_n[k] = lv->dig[k].n;
    c->ndig = lv->ndig;
    c->nent = lv->nent, c->present = lv->present, c->nheld = lv->nheld;
    c->ix_cap = lv->ent_ix.cap, c->ix_n = lv->ent_ix.n;
    c->first_cap = lv->media_first.cap, c->first_n = lv->media_first.n;
    c->gr_cap = lv->grants.cap, c->gr_n = lv->grants.n;
    c->nlists = lv->nlists;
    c->ixsize = ad_index_size(ad_lookup_index_get(lv->lx));
    c->nmore = ad_lookup_index_more(lv->lx);
}

/* The frames' ids, then their videos. */
static int put_frames(writer *w, const ad_live *lv)
{
    int64_t *ids = malloc(lv->frames.n * 8 + 8), *media = malloc(lv->frames.n * 8 + 8);
    if (!ids || !media) {
        free(ids);
        free(media);
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < lv->frames.cap; i++) {
        int64_t id = lv->frames.v[i];
        if (!id)
            continue;
        ids[m] = id;
        media[m++] = ad_lookup_index_media(lv->lx, AD_LOOKUP_FRAME_BIT | (uint64_t)id);
    }
    put(w, ids, m * 8);
    put(w, media, m * 8);
    free(ids);
    free(media);
    return 0;
}

static void put_tables(writer *w, const ad_live *lv)
{
    put(w, lv->media_pdq.v, lv->media_pdq.cap * 8);
    put(w, lv->frames.v, lv->frames.cap * 8);
    for (int k = 0; k < 3; k++)
        put(w, lv->dig[k].s, lv->dig[k].cap * sizeof(struct ad_dslot));
    put(w, lv->ent, lv->nent * sizeof(ad_lentry));
    put(w, lv->ent_ix.s, lv->ent_ix.cap * sizeof(struct ad_pslot));
    put(w, lv->media_first.k, lv->media_first.cap * 8);
    put(w, lv->media_first.v, lv->media_first.cap * 8);
    put(w, lv->grants.s, lv->grants.cap * sizeof(struct ad_pslot));
    put(w, lv->lists, lv->nlists * sizeof(ad_llist));
}

static ad_code write_file(ad_live *lv, FILE *f, const struct row_at *pos, const char *uuid,
                          ad_err *err)
{
    writer w = {f, XXH3_createState(), 0};
    uint8_t *hdr = calloc(1, HDR);
    if (!hdr || !w.h) {
        free(hdr);
        XXH3_freeState(w.h);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    uint64_t ixlen = 0;
    uint8_t ixhdr[64]; /* the PDQ index's size and checksum: in this file's checksum */
    ad_code rc = AD_OK;
    if (fwrite(hdr, 1, HDR, f) != HDR)
        w.failed = 1;
    else
        rc = ad_index_write(ad_lookup_index_get(lv->lx), f, &ixlen, ixhdr, err);
    if (rc == AD_OK && !w.failed) {
        counts c;
        fill_counts(lv, &c);
        uint64_t size = HDR + ixlen + sizeof c + c.nframes * 16 + (c.pdq_cap + c.fr_cap) * 8;
        for (int k = 0; k < 3; k++)
            size += c.dig_cap[k] * sizeof(struct ad_dslot);
        size += c.nent * sizeof(ad_lentry) + (c.ix_cap + c.gr_cap) * sizeof(struct ad_pslot) +
                c.first_cap * 16 + c.nlists * sizeof(ad_llist);
        header(hdr, lv, pos, uuid, ixlen, size);
        XXH3_64bits_reset(w.h);
        XXH3_64bits_update(w.h, hdr, HDR);
        XXH3_64bits_update(w.h, ixhdr, sizeof ixhdr);
        put(&w, &c, sizeof c);
        if (put_frames(&w, lv))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        put_tables(&w, lv);
        put_u64(hdr + H_SUM, XXH3_64bits_digest(w.h));
        if (!w.failed && ftello(f) != (off_t)size)
            rc = ad_err_set(err, AD_ERR_INTERNAL, "the snapshot's size is not as counted");
        if (!w.failed && (fseeko(f, 0, SEEK_SET) != 0 || fwrite(hdr, 1, HDR, f) != HDR))
            w.failed = 1;
    }
    free(hdr);
    XXH3_freeState(w.h);
    if (rc == AD_OK && w.failed)
        rc = ad_err_set(err, AD_ERR_IO, "%s", strerror(errno));
    return rc;
}

ad_code ad_live_snapshot_save(ad_live *lv, ad_store *st, const char *path, ad_err *err)
{
    char uuid[AD_UUID_LEN + 1];
    ad_code rc = ad_store_instance_uuid(st, uuid, err);
    if (rc != AD_OK)
        return rc;
    ad_file_replace fr; /* a temp file beside path, renamed over it when whole */
    if ((rc = ad_file_replace_open(&fr, path, err)) != AD_OK)
        return rc;
    /* the read lock keeps seq and the tables still (the follower waits) */
    ad_live_read_lock(lv);
    struct row_at r;
    rc = row_at(st, lv->seq, &r, err);
    if (rc == AD_OK && lv->seq > 0 && !r.found)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND,
                        "the index log has no row %lld (the position of the live index)",
                        (long long)lv->seq);
    if (rc == AD_OK) /* read after the index was loaded: it covers every change it holds */
        rc = ad_store_audit_head(st, &r.aseq, r.ahash, err);
    if (rc == AD_OK)
        rc = write_file(lv, fr.f, &r, uuid, err);
    ad_live_read_unlock(lv);
    if (rc != AD_OK)
        ad_err_prefix(err, "cannot write the live index snapshot %s", path);
    return ad_file_replace_end(&fr, rc, err);
}

/* ---- reading ------------------------------------------------------------------------- */

typedef struct reader {
    int fd;
    uint64_t off, size;
    XXH3_state_t *h;
    int failed;
} reader;

/* len bytes into p, hashed; 0 or -1 (cut short, read error). */
static int get(reader *r, void *p, uint64_t len)
{
    uint8_t *q = p;
    while (len && !r->failed) {
        size_t n = len < CHUNK ? (size_t)len : CHUNK;
        ssize_t got = pread(r->fd, q, n, (off_t)r->off);
        if (got <= 0) {
            r->failed = 1;
            break;
        }
        XXH3_64bits_update(r->h, q, (size_t)got);
        r->off += (uint64_t)got;
        q += got;
        len -= (uint64_t)got;
    }
    return r->failed ? -1 : 0;
}

/* An array of n records of sz bytes (n checked against the file's size first). */
static void *get_arr(reader *r, uint64_t n, size_t sz)
{
    if (n == 0)
        return NULL;
    void *p = malloc(n * sz);
    if (p && get(r, p, n * sz)) {
        free(p);
        return NULL;
    }
    if (!p)
        r->failed = 2;
    return p;
}

static int pow2ok(uint64_t cap, uint64_t n)
{
    return cap == 0 ? n == 0 : (cap & (cap - 1)) == 0 && n < cap;
}

/* Non-zero values among cap, stride int64 apart (v may be NULL when cap is 0). */
static uint64_t nonzero(const int64_t *v, uint64_t cap, size_t stride)
{
    uint64_t n = 0;
    if (!v)
        return 0;
    for (uint64_t i = 0; i < cap; i++)
        n += v[i * stride] != 0;
    return n;
}

static ad_code bad(ad_err *err, const char *path, const char *what)
{
    return ad_err_set(err, AD_ERR_CORRUPT, "live index snapshot %s is inconsistent (%s)", path,
                      what);
}

/* The tables' invariants: every probe ends at an empty slot, every index is in range. */
static ad_code check_tables(const ad_live *lv, const counts *c, const char *path, ad_err *err)
{
    const size_t ps = sizeof(struct ad_pslot) / 8, ds = sizeof(struct ad_dslot) / 8;
    if (nonzero(lv->media_pdq.v, c->pdq_cap, 1) != c->pdq_n ||
        nonzero(lv->frames.v, c->fr_cap, 1) != c->fr_n)
        return bad(err, path, "PDQ sets");
    uint64_t ndig = 0;
    for (int k = 0; k < 3; k++) {
        if (nonzero(lv->dig[k].s ? &lv->dig[k].s[0].id : NULL, c->dig_cap[k], ds) != c->dig_n[k])
            return bad(err, path, "digest maps");
        ndig += c->dig_n[k];
    }
    if (ndig != c->ndig)
        return bad(err, path, "digest count");
    if (nonzero(lv->ent_ix.s ? &lv->ent_ix.s[0].a : NULL, c->ix_cap, ps) != c->ix_n || c->ix_n != c->nent ||
        nonzero(lv->media_first.k, c->first_cap, 1) != c->first_n ||
        nonzero(lv->grants.s ? &lv->grants.s[0].a : NULL, c->gr_cap, ps) != c->gr_n)
        return bad(err, path, "entry tables");
    for (uint64_t i = 0; i < c->ix_cap; i++)
        if (lv->ent_ix.s[i].a && (lv->ent_ix.s[i].v < 1 || (uint64_t)lv->ent_ix.s[i].v > c->nent))
            return bad(err, path, "entry number");
    for (uint64_t i = 0; i < c->first_cap; i++)
        if (lv->media_first.k[i] &&
            (lv->media_first.v[i] < 1 || (uint64_t)lv->media_first.v[i] > c->nent))
            return bad(err, path, "entry number");
    uint64_t present = 0, held = 0;
    for (uint64_t i = 0; i < c->nent; i++) {
        const ad_lentry *e = &lv->ent[i];
        if (e->list <= 0 || e->next > c->nent || (unsigned)e->present > 1 || (unsigned)e->held > 1)
            return bad(err, path, "list entry");
        present += (uint64_t)e->present;
        held += (uint64_t)e->held;
    }
    if (present != c->present || held != c->nheld)
        return bad(err, path, "entry counts");
    if (ad_index_size(ad_lookup_index_get(lv->lx)) != c->ixsize || c->nmore > c->ixsize ||
        c->ixsize - c->nmore != c->pdq_n + c->fr_n)
        return bad(err, path, "PDQ count");
    return AD_OK;
}

static ad_code read_tables(ad_live *lv, reader *r, const counts *c, const char *path,
                           ad_index *ix, ad_err *err)
{
    int64_t *fid = get_arr(r, c->nframes, 8), *fmedia = get_arr(r, c->nframes, 8);
    ad_code rc = AD_OK;
    if (!r->failed)
        rc = ad_lookup_index_adopt(ix, fid, fmedia, c->nframes, c->nmore, &lv->lx, err);
    else
        ad_index_free(ix);
    free(fid);
    free(fmedia);
    if (rc != AD_OK)
        return rc;
    lv->media_pdq.v = get_arr(r, c->pdq_cap, 8);
    lv->media_pdq.cap = c->pdq_cap, lv->media_pdq.n = c->pdq_n;
    lv->media_pdq.has_zero = c->pdq_zero != 0;
    lv->frames.v = get_arr(r, c->fr_cap, 8);
    lv->frames.cap = c->fr_cap, lv->frames.n = c->fr_n, lv->frames.has_zero = c->fr_zero != 0;
    for (int k = 0; k < 3; k++) {
        lv->dig[k].s = get_arr(r, c->dig_cap[k], sizeof(struct ad_dslot));
        lv->dig[k].cap = c->dig_cap[k], lv->dig[k].n = c->dig_n[k];
    }
    lv->ndig = c->ndig;
    lv->ent = get_arr(r, c->nent, sizeof(ad_lentry));
    lv->nent = lv->cap_ent = c->nent, lv->present = c->present, lv->nheld = c->nheld;
    lv->ent_ix.s = get_arr(r, c->ix_cap, sizeof(struct ad_pslot));
    lv->ent_ix.cap = c->ix_cap, lv->ent_ix.n = c->ix_n;
    lv->media_first.k = get_arr(r, c->first_cap, 8);
    lv->media_first.v = get_arr(r, c->first_cap, 8);
    lv->media_first.cap = c->first_cap, lv->media_first.n = c->first_n;
    lv->grants.s = get_arr(r, c->gr_cap, sizeof(struct ad_pslot));
    lv->grants.cap = c->gr_cap, lv->grants.n = c->gr_n;
    lv->lists = get_arr(r, c->nlists, sizeof(ad_llist));
    lv->nlists = c->nlists;
    if (r->failed == 2)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory reading %s", path);
    if (r->failed)
        return ad_err_set(err, AD_ERR_CHECKSUM, "live index snapshot %s is cut short", path);
    for (uint64_t i = 0; i < c->nent; i++) { /* the rates start again, as from the store */
        lv->ent[i].window = lv->ent[i].count = 0;
        lv->ent[i].baseline = 0;
    }
    for (uint64_t i = 0; i < c->nlists; i++)
        lv->lists[i].name[sizeof lv->lists[i].name - 1] = 0;
    return AD_OK;
}

/* The size the counts say the file has, or 0 when a count is out of all bounds. */
static uint64_t counted_size(const counts *c, uint64_t ixlen, uint64_t fsize)
{
    const uint64_t lim = fsize; /* no array can be larger than the file */
    uint64_t v[] = {c->nframes,   c->pdq_cap,   c->fr_cap,  c->dig_cap[0], c->dig_cap[1],
                    c->dig_cap[2], c->nent,      c->ix_cap,  c->first_cap,  c->gr_cap,
                    c->nlists};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i] > lim)
            return 0;
    if (!pow2ok(c->pdq_cap, c->pdq_n) || !pow2ok(c->fr_cap, c->fr_n) ||
        !pow2ok(c->dig_cap[0], c->dig_n[0]) || !pow2ok(c->dig_cap[1], c->dig_n[1]) ||
        !pow2ok(c->dig_cap[2], c->dig_n[2]) || !pow2ok(c->ix_cap, c->ix_n) ||
        !pow2ok(c->first_cap, c->first_n) || !pow2ok(c->gr_cap, c->gr_n) ||
        c->nframes != c->fr_n)
        return 0;
    uint64_t size = HDR + ixlen + sizeof *c + c->nframes * 16 + (c->pdq_cap + c->fr_cap) * 8;
    for (int k = 0; k < 3; k++)
        size += c->dig_cap[k] * sizeof(struct ad_dslot);
    size += c->nent * sizeof(ad_lentry) + (c->ix_cap + c->gr_cap) * sizeof(struct ad_pslot) +
            c->first_cap * 16 + c->nlists * sizeof(ad_llist);
    return size;
}

static uint64_t get_u64(const uint8_t *at)
{
    uint64_t v;
    memcpy(&v, at, 8);
    return v;
}

static uint32_t get_u32(const uint8_t *at)
{
    uint32_t v;
    memcpy(&v, at, 4);
    return v;
}

/* The header: this program's format, this store, a position the store's log still holds. */
static ad_code check_header(const uint8_t *hdr, uint64_t fsize, ad_store *st, const char *path,
                            ad_err *err)
{
    if (memcmp(hdr, MAGIC, 8) != 0)
        return ad_err_set(err, AD_ERR_VERSION, "%s is not a live index snapshot", path);
    uint32_t version = get_u32(hdr + H_VERSION), bom = get_u32(hdr + H_BOM);
    if (version != VERSION || bom != BOM || get_u32(hdr + H_SZENT) != sizeof(ad_lentry) ||
        get_u32(hdr + H_SZENT + 4) != sizeof(ad_llist) ||
        get_u32(hdr + H_SZENT + 8) != sizeof(struct ad_pslot) ||
        get_u32(hdr + H_SZENT + 12) != sizeof(struct ad_dslot))
        return ad_err_set(err, AD_ERR_VERSION,
                          "live index snapshot %s is of version %u (byte order %08x) or another "
                          "build; this program reads version %u",
                          path, version, bom, VERSION);
    if (get_u64(hdr + H_SIZE) != fsize)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "live index snapshot %s is %llu bytes, its header says %llu: cut short "
                          "or damaged",
                          path, (unsigned long long)fsize,
                          (unsigned long long)get_u64(hdr + H_SIZE));
    char uuid[AD_UUID_LEN + 1], mine[AD_UUID_LEN + 1];
    memcpy(uuid, hdr + H_UUID, AD_UUID_LEN);
    uuid[AD_UUID_LEN] = 0;
    ad_code rc = ad_store_instance_uuid(st, mine, err);
    if (rc != AD_OK)
        return rc;
    if (strcmp(uuid, mine) != 0)
        return ad_err_set(err, AD_ERR_VERSION,
                          "live index snapshot %s is of another store (instance %s, this store "
                          "is %s)",
                          path, uuid, mine);
    int64_t seq = (int64_t)get_u64(hdr + H_SEQ);
    struct row_at r;
    if ((rc = row_at(st, seq, &r, err)) != AD_OK)
        return rc;
    if (seq < 0 || (seq > 0 && (!r.found || (uint32_t)r.c.kind != get_u32(hdr + H_KIND) ||
                                (uint64_t)r.c.a != get_u64(hdr + H_A) ||
                                (uint64_t)r.c.b != get_u64(hdr + H_B))))
        return ad_err_set(err, AD_ERR_VERSION,
                          "live index snapshot %s is at index log row %lld, which this store "
                          "does not hold as it was (a store restored from an older copy, or a "
                          "log trimmed past it): stale",
                          path, (long long)seq);
    int64_t aseq = (int64_t)get_u64(hdr + H_ASEQ);
    ad_err ae;
    if (aseq > 0 && ad_store_audit_anchor(st, aseq, hdr + H_AHASH, &ae) != AD_OK)
        return ad_err_set(err, AD_ERR_VERSION,
                          "live index snapshot %s is of another history of this store (%s): a "
                          "store restored from an older copy? stale",
                          path, ae.msg);
    return AD_OK;
}

static ad_code read_file(ad_live *lv, int fd, uint64_t fsize, ad_store *st, const char *path,
                         ad_err *err)
{
    uint8_t *hdr = malloc(HDR);
    if (!hdr)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = AD_OK;
    if (fsize < HDR + 64 || pread(fd, hdr, HDR, 0) != HDR)
        rc = ad_err_set(err, AD_ERR_VERSION, "%s is not a live index snapshot", path);
    if (rc == AD_OK)
        rc = check_header(hdr, fsize, st, path, err);
    uint64_t ixoff = rc == AD_OK ? get_u64(hdr + H_IXOFF) : 0;
    uint64_t ixlen = rc == AD_OK ? get_u64(hdr + H_IXLEN) : 0;
    if (rc == AD_OK && (ixoff != HDR || ixlen > fsize - HDR))
        rc = bad(err, path, "PDQ index bounds");
    reader r = {fd, HDR + ixlen, fsize, XXH3_createState(), 0};
    uint8_t ixhdr[64];
    uint64_t want = 0;
    counts c;
    if (rc == AD_OK && !r.h)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc == AD_OK) {
        want = get_u64(hdr + H_SUM);
        memset(hdr + H_SUM, 0, SUMLEN);
        XXH3_64bits_reset(r.h);
        XXH3_64bits_update(r.h, hdr, HDR);
        if (pread(fd, ixhdr, 64, HDR) != 64)
            r.failed = 1;
        XXH3_64bits_update(r.h, ixhdr, 64);
        if (r.failed || get(&r, &c, sizeof c) || counted_size(&c, ixlen, fsize) != fsize)
            rc = ad_err_set(err, AD_ERR_CHECKSUM,
                            "live index snapshot %s: its counts do not match its size: damaged",
                            path);
    }
    free(hdr);
    ad_index *ix = NULL;
    if (rc == AD_OK)
        rc = ad_index_map(fd, HDR, ixlen, path, &ix, err);
    if (rc == AD_OK)
        rc = read_tables(lv, &r, &c, path, ix, err);
    if (rc == AD_OK && XXH3_64bits_digest(r.h) != want)
        rc = ad_err_set(err, AD_ERR_CHECKSUM, "live index snapshot %s fails its checksum: damaged",
                        path);
    XXH3_freeState(r.h);
    if (rc == AD_OK)
        rc = check_tables(lv, &c, path, err);
    return rc;
}

ad_code ad_live_load_snapshot(ad_store *st, const ad_live_opts *opts, const char *path,
                              size_t *replayed, ad_live **out, ad_err *err)
{
    *out = NULL;
    if (replayed)
        *replayed = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ad_err_set(err, errno == ENOENT ? AD_ERR_NOT_FOUND : AD_ERR_IO,
                          "cannot open the live index snapshot %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ad_err_set(err, AD_ERR_IO, "live index snapshot %s is not a regular file", path);
    }
    ad_live *lv = ad_live_new(opts);
    if (!lv) {
        close(fd);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    uint8_t seqb[8] = {0};
    ad_code rc = read_file(lv, fd, (uint64_t)sb.st_size, st, path, err);
    if (rc == AD_OK && pread(fd, seqb, 8, H_SEQ) != 8)
        rc = ad_err_set(err, AD_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    close(fd);
    if (rc == AD_OK) {
        lv->seq = (int64_t)get_u64(seqb);
        char detail[96];
        snprintf(detail, sizeof detail, "pdq=%zu snapshot_seq=%lld", ad_lookup_index_size(lv->lx),
                 (long long)lv->seq);
        rc = ad_store_audit_read(st, "index.load", NULL, detail, err);
    }
    if (rc == AD_OK) /* then what the store wrote since */
        rc = ad_live_follow(lv, st, replayed, err);
    if (rc != AD_OK) {
        ad_live_free(lv);
        return rc;
    }
    lv->last_follow = ad_now();
    *out = lv;
    return AD_OK;
}
