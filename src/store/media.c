/* media.c: media records (one per distinct content), found and merged by any digest; batched
 * upserts and lookups; paged iteration for export. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "store_int.h"

void ad_media_init(ad_media *m)
{
    memset(m, 0, sizeof *m);
    m->pdq_quality = -1;
    m->size = -1;
}

ad_code ad_media_set_hash_hex(ad_media *m, const char *hex, int pdq, ad_err *err)
{
    size_t n = hex ? strlen(hex) : 0;
    ad_code rc;
    if (n == 32) {
        if ((rc = ad_hex_decode(hex, n, m->md5, 16, err)) == AD_OK)
            m->has_md5 = 1;
    } else if (n == 40) {
        if ((rc = ad_hex_decode(hex, n, m->sha1, 20, err)) == AD_OK)
            m->has_sha1 = 1;
    } else if (n == 64 && pdq) {
        if ((rc = ad_h256_parse(&m->pdq, hex, n, err)) == AD_OK)
            m->has_pdq = 1;
    } else if (n == 64) {
        if ((rc = ad_hex_decode(hex, n, m->sha256, 32, err)) == AD_OK)
            m->has_sha256 = 1;
    } else {
        rc = ad_err_set(err, AD_ERR_PARSE,
                        "'%.80s' is not a hash (32, 40 or 64 hex digits: MD5, SHA-1, SHA-256, "
                        "PDQ)",
                        hex ? hex : "");
    }
    return rc;
}

#define MEDIA_COLS                                                                                 \
    "id, sha256, md5, sha1, size, mime, width, height, duration_ms, pdq, pdq_quality, photodna,"   \
    " flags, created, updated"

/* Binds the 12 data fields of m from parameter `at` on (NULL for unknown). */
static void bind_media(ad_stmt *s, int at, const ad_media *m)
{
    if (m->has_sha256)
        ad_bind_blob(s, at, m->sha256, 32);
    else
        ad_bind_null(s, at);
    if (m->has_md5)
        ad_bind_blob(s, at + 1, m->md5, 16);
    else
        ad_bind_null(s, at + 1);
    if (m->has_sha1)
        ad_bind_blob(s, at + 2, m->sha1, 20);
    else
        ad_bind_null(s, at + 2);
    if (m->size >= 0)
        ad_bind_int(s, at + 3, m->size);
    else
        ad_bind_null(s, at + 3);
    ad_bind_text_opt(s, at + 4, m->mime);
    ad_bind_id_opt(s, at + 5, m->width);
    ad_bind_id_opt(s, at + 6, m->height);
    ad_bind_id_opt(s, at + 7, m->duration_ms);
    if (m->has_pdq)
        ad_bind_blob(s, at + 8, m->pdq.b, 32);
    else
        ad_bind_null(s, at + 8);
    if (m->pdq_quality >= 0)
        ad_bind_int(s, at + 9, m->pdq_quality);
    else
        ad_bind_null(s, at + 9);
    if (m->photodna && m->photodna_len > 0)
        ad_bind_blob(s, at + 10, m->photodna, (size_t)m->photodna_len);
    else
        ad_bind_null(s, at + 10);
    ad_bind_int(s, at + 11, m->flags);
}

static int blob_into(ad_stmt *s, int col, uint8_t *out, size_t want)
{
    size_t n;
    const uint8_t *p = ad_col_blob(s, col, &n);
    if (!p || n != want)
        return 0;
    memcpy(out, p, want);
    return 1;
}

/* Reads MEDIA_COLS from column `at` on; text and PhotoDNA point into the statement. */
static void media_row(ad_stmt *s, int at, ad_media *m)
{
    ad_media_init(m);
    m->id = ad_col_int(s, at);
    m->has_sha256 = blob_into(s, at + 1, m->sha256, 32);
    m->has_md5 = blob_into(s, at + 2, m->md5, 16);
    m->has_sha1 = blob_into(s, at + 3, m->sha1, 20);
    m->size = ad_col_null(s, at + 4) ? -1 : ad_col_int(s, at + 4);
    m->mime = ad_col_text(s, at + 5);
    m->width = (int)ad_col_int(s, at + 6);
    m->height = (int)ad_col_int(s, at + 7);
    m->duration_ms = ad_col_int(s, at + 8);
    m->has_pdq = blob_into(s, at + 9, m->pdq.b, 32);
    m->pdq_quality = ad_col_null(s, at + 10) ? -1 : (int)ad_col_int(s, at + 10);
    size_t n;
    m->photodna = ad_col_blob(s, at + 11, &n);
    m->photodna_len = m->photodna ? (int)n : 0;
    m->flags = (unsigned)ad_col_int(s, at + 12);
    m->created = ad_col_int(s, at + 13);
    m->updated = ad_col_int(s, at + 14);
}

static const char *const find_sql[] = {
    [AD_HASH_MD5] = "SELECT id, sha256, sha1, md5 FROM media WHERE md5 = ? ORDER BY id",
    [AD_HASH_SHA1] = "SELECT id, sha256, sha1, md5 FROM media WHERE sha1 = ? ORDER BY id",
    [AD_HASH_SHA256] = "SELECT id, sha256, sha1, md5 FROM media WHERE sha256 = ? ORDER BY id",
    [AD_HASH_PDQ] = "SELECT id, sha256, sha1, md5 FROM media WHERE pdq = ? ORDER BY id",
};
static const size_t digest_len[] = {16, 20, 32, 32};

/* Before a lookup by a digest kind: the index of that kind made again when a bulk load dropped
 * it (media_bulk.c; the SHA-256 index is never dropped). */
static ad_code ix_for(ad_store *st, int kind, ad_err *err)
{
    return kind != AD_HASH_SHA256 && st->ix_n ? ad_store_media_ix_on(st, err) : AD_OK;
}

/* 1 if the row's digests (columns 1..3: sha256, sha1, md5) agree with m's where both have one;
 * for a PDQ-only m, only rows without digests agree. */
static int compatible(ad_stmt *s, const ad_media *m)
{
    const uint8_t *mine[3] = {m->has_sha256 ? m->sha256 : NULL, m->has_sha1 ? m->sha1 : NULL,
                              m->has_md5 ? m->md5 : NULL};
    const size_t len[3] = {32, 20, 16};
    int any_mine = 0, any_row = 0;
    for (int k = 0; k < 3; k++) {
        size_t n;
        const uint8_t *p = ad_col_blob(s, 1 + k, &n);
        any_mine |= mine[k] != NULL;
        any_row |= p != NULL;
        if (p && mine[k] && (n != len[k] || memcmp(p, mine[k], len[k])))
            return 0;
    }
    return any_mine || !any_row;
}

/* Finds the record m merges into: *id = 0 if none. */
static ad_code lookup(ad_store *st, const ad_media *m, int64_t *id, ad_err *err)
{
    const struct {
        int has;
        ad_hash_kind kind;
        const uint8_t *d;
    } order[] = {
        {m->has_sha256, AD_HASH_SHA256, m->sha256},
        {m->has_sha1, AD_HASH_SHA1, m->sha1},
        {m->has_md5, AD_HASH_MD5, m->md5},
        {!m->has_sha256 && !m->has_sha1 && !m->has_md5 && m->has_pdq, AD_HASH_PDQ, m->pdq.b}};
    *id = 0;
    for (size_t i = 0; i < 4 && !*id; i++) {
        if (!order[i].has)
            continue;
        ad_code rc = ix_for(st, order[i].kind, err);
        if (rc != AD_OK)
            return rc;
        ad_stmt *s = ad_db_stmt(st->db, find_sql[order[i].kind], err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_blob(s, 1, order[i].d, digest_len[order[i].kind]);
        int k;
        while ((k = ad_step(s, err)) > 0)
            if (compatible(s, m)) {
                *id = ad_col_int(s, 0);
                break;
            }
        ad_db_done(s);
        if (k < 0)
            return (ad_code)-k;
    }
    return AD_OK;
}

static const char update_sql[] =
    "UPDATE media SET sha256 = COALESCE(sha256, ?), md5 = COALESCE(md5, ?),"
    " sha1 = COALESCE(sha1, ?), size = COALESCE(size, ?), mime = COALESCE(mime, ?),"
    " width = COALESCE(width, ?), height = COALESCE(height, ?),"
    " duration_ms = COALESCE(duration_ms, ?), pdq = COALESCE(pdq, ?),"
    " pdq_quality = COALESCE(pdq_quality, ?), photodna = COALESCE(photodna, ?),"
    " flags = flags | CAST(? AS BIGINT), updated = ? WHERE id = ?";
static const char insert_sql[] =
    "INSERT INTO media (sha256, md5, sha1, size, mime, width, height, duration_ms, pdq,"
    " pdq_quality, photodna, flags, created, updated)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

static ad_code upsert_one(ad_store *st, const ad_media *m, int64_t *id, int *created, ad_err *err)
{
    if (!m->has_sha256 && !m->has_sha1 && !m->has_md5 && !m->has_pdq)
        return ad_err_set(err, AD_ERR_ARG, "media record has no hash");
    int64_t found;
    ad_code rc = lookup(st, m, &found, err);
    if (rc != AD_OK)
        return rc;
    int64_t now = ad_store_time();
    ad_stmt *s;
    if (found) {
        s = ad_db_stmt(st->db, update_sql, err);
        if (!s)
            return AD_ECODE(err);
        bind_media(s, 1, m);
        ad_bind_int(s, 13, now);
        ad_bind_int(s, 14, found);
        rc = ad_db_run(s, err);
        *id = found;
        *created = 0;
        return rc;
    }
    s = ad_db_stmt(st->db, insert_sql, err);
    if (!s)
        return AD_ECODE(err);
    bind_media(s, 1, m);
    ad_bind_int(s, 13, now);
    ad_bind_int(s, 14, now);
    *created = 1;
    return ad_db_int(s, id, err);
}

/* Text of m's strongest hash for audit details. */
static const char *media_label(const ad_media *m, char *buf)
{
    if (m->has_sha256)
        return ad_hex_encode(m->sha256, 32, buf);
    if (m->has_sha1)
        return ad_hex_encode(m->sha1, 20, buf);
    if (m->has_md5)
        return ad_hex_encode(m->md5, 16, buf);
    return ad_h256_format(&m->pdq, buf);
}

/* The key a record is looked up by first (its strongest digest). */
static const uint8_t *lookup_key(const ad_media *m, size_t *len)
{
    *len = m->has_sha256 ? 32 : m->has_sha1 ? 20 : m->has_md5 ? 16 : 32;
    return m->has_sha256 ? m->sha256 : m->has_sha1 ? m->sha1 : m->has_md5 ? m->md5 : m->pdq.b;
}

static int cmp_key(const void *a, const void *b, void *ctx)
{
    const ad_media *m = ctx;
    size_t la, lb;
    const uint8_t *ka = lookup_key(&m[*(const size_t *)a], &la);
    const uint8_t *kb = lookup_key(&m[*(const size_t *)b], &lb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* The batch in key order, so that index pages are visited in order; NULL if out of memory. */
static size_t *batch_order(const ad_media *m, size_t n)
{
    size_t *order = malloc(n * sizeof *order);
    if (!order)
        return NULL;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_key, (void *)m);
    return order;
}

/* ---- a batch in a few passes of one statement each (pipelined on PostgreSQL) ---- */

/* Digest of kind k that m is looked up by, NULL if none (PDQ only for PDQ-only records). */
static const uint8_t *key_of(const ad_media *m, int k)
{
    switch (k) {
    case AD_HASH_SHA256:
        return m->has_sha256 ? m->sha256 : NULL;
    case AD_HASH_SHA1:
        return m->has_sha1 ? m->sha1 : NULL;
    case AD_HASH_MD5:
        return m->has_md5 ? m->md5 : NULL;
    default:
        return m->has_pdq && !m->has_sha256 && !m->has_sha1 && !m->has_md5 ? m->pdq.b : NULL;
    }
}

typedef struct {
    uint8_t kind, d[32];
    size_t item;
} dkey;

static int cmp_dkey(const void *a, const void *b)
{
    const dkey *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return memcmp(x->d, y->d, 32);
}

/* Marks (seq[i] = 1) the records sharing a digest with another record of the batch: they are
 * merged one by one, after the others. Returns 0 if out of memory. */
static int mark_overlaps(const ad_media *m, size_t n, char *seq)
{
    dkey *k = malloc(4 * n * sizeof *k);
    if (!k)
        return 0;
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        for (int kind = 0; kind < 4; kind++) {
            const uint8_t *d = key_of(&m[i], kind);
            if (!d)
                continue;
            memset(k[nk].d, 0, 32);
            memcpy(k[nk].d, d, digest_len[kind]);
            k[nk].kind = (uint8_t)kind;
            k[nk++].item = i;
        }
    qsort(k, nk, sizeof *k, cmp_dkey);
    for (size_t a = 1; a < nk; a++)
        if (!cmp_dkey(&k[a - 1], &k[a]) && k[a - 1].item != k[a].item)
            seq[k[a - 1].item] = seq[k[a].item] = 1;
    free(k);
    return 1;
}

int ad_store_media_shortcuts = 1;
int ad_store_pg_copy = 1;

typedef struct {
    const ad_media *m;
    const size_t *idx; /* the records of this pass */
    int64_t *id;       /* per record: the row it merges into, or its new row */
    int kind;
    int64_t now;
    int64_t next;  /* SQLite inserts: the id the next new row gets */
    char uuid[64]; /* this instance's, for the gids of new rows */
    char gid[96];  /* the new row's gid (bound static: used by the step after the bind) */
} pass;

static void bind_lookup(void *p, ad_stmt *s, size_t j)
{
    pass *c = p;
    ad_bind_blob(s, 1, key_of(&c->m[c->idx[j]], c->kind), digest_len[c->kind]);
}

static int on_lookup(void *p, ad_stmt *s, size_t j)
{
    pass *c = p;
    size_t i = c->idx[j];
    if (!c->id[i] && compatible(s, &c->m[i]))
        c->id[i] = ad_col_int(s, 0);
    return 0;
}

static void bind_write(void *p, ad_stmt *s, size_t j)
{
    pass *c = p;
    size_t i = c->idx[j];
    bind_media(s, 1, &c->m[i]);
    ad_bind_int(s, 13, c->now);
    ad_bind_int(s, 14, c->id[i] ? c->id[i] : c->now);
}

static int on_insert(void *p, ad_stmt *s, size_t j)
{
    pass *c = p;
    c->id[c->idx[j]] = ad_col_int(s, 0);
    return 0;
}

/* PostgreSQL, with the shortcuts, from AD_STORE_COPY_MIN records: a pass's lookups by one COPY
 * of their digests (with each record's place in the pass) into a temporary table, dropped at
 * the transaction's end, and one query over them, instead of a SELECT each. Each digest is
 * looked up by the index of its kind (OFFSET 0: the lookup stays one index probe per digest,
 * whatever the planner thinks of the table's size), its rows in the order a SELECT gives them
 * (by id), given to on_lookup as find_sql's rows are. The table is then emptied by TRUNCATE (a
 * DELETE would leave its rows dead, to be read again by each later batch of the transaction). */
#define AD_STORE_COPY_MIN 64
#define COPY_FIND(col)                                                                             \
    "SELECT m.id, m.sha256, m.sha1, m.md5, f.ord FROM ad_media_find f CROSS JOIN LATERAL"       \
    " (SELECT id, sha256, sha1, md5 FROM media"                                                   \
    " WHERE " col " = f.d OFFSET 0) m ORDER BY f.ord, m.id"
static const char *const copy_find_sql[] = {
    [AD_HASH_MD5] = COPY_FIND("md5"),
    [AD_HASH_SHA1] = COPY_FIND("sha1"),
    [AD_HASH_SHA256] = COPY_FIND("sha256"),
    [AD_HASH_PDQ] = COPY_FIND("pdq"),
};

static ad_code copy_lookups(ad_store *st, pass *c, size_t k, ad_err *err)
{
    ad_code rc = st->db->ops->exec(st->db,
                                   "CREATE TEMPORARY TABLE IF NOT EXISTS ad_media_find"
                                   " (ord BIGINT, d BYTEA) ON COMMIT DROP",
                                   err);
    ad_copy_buf b = {0};
    for (size_t j = 0; j < k && rc == AD_OK; j++) {
        ad_copy_int(&b, (int64_t)j);
        ad_copy_bytea(&b, key_of(&c->m[c->idx[j]], c->kind), digest_len[c->kind]);
        ad_copy_row_end(&b);
    }
    if (rc == AD_OK)
        rc = ad_db_copy(st->db, "COPY ad_media_find (ord, d) FROM STDIN", &b, err);
    ad_copy_free(&b);
    ad_stmt *s = rc == AD_OK ? ad_db_stmt(st->db, copy_find_sql[c->kind], err) : NULL;
    if (rc != AD_OK || !s)
        return rc == AD_OK ? AD_ECODE(err) : rc;
    int r;
    while ((r = ad_step(s, err)) > 0) {
        int64_t j = ad_col_int(s, 4);
        if (j >= 0 && (size_t)j < k)
            on_lookup(c, s, (size_t)j);
    }
    ad_db_done(s);
    return r < 0 ? (ad_code)-r : st->db->ops->exec(st->db, "TRUNCATE ad_media_find", err);
}

/* Selects the records of a pass (in key order) into idx; returns how many. With `bare` 0 (no
 * stored media lacks a SHA-256), a record with a SHA-256 is not looked up by MD5 or SHA-1: a row
 * found so holds a SHA-256, which `compatible` refuses unless it is the record's own, and then
 * the lookup by SHA-256 finds the same row (the index is unique). */
static size_t select_pass(const ad_media *m, const size_t *order, size_t n, const char *seq,
                          const int64_t *id, int kind, int want_found, int bare, size_t *idx)
{
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = order[j];
        if (seq[i])
            continue;
        if (kind >= 0 ? (!id[i] && key_of(&m[i], kind) &&
                         (bare || !m[i].has_sha256 || kind == AD_HASH_SHA256))
                      : (want_found ? id[i] != 0 : !id[i]))
            idx[k++] = i;
    }
    return k;
}

/* 1 if a stored media has no SHA-256 (the partial index media_bare, schema 19, answers). */
static ad_code any_bare(ad_store *st, int *bare, ad_err *err)
{
    if (!ad_store_media_shortcuts) {
        *bare = 1;
        return AD_OK;
    }
    ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM media WHERE sha256 IS NULL LIMIT 1", err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    ad_db_done(s);
    *bare = k != 0;
    return k < 0 ? (ad_code)-k : AD_OK;
}

/* OR FAIL: no statement journal for each row (SQLite keeps one for a statement that fires
 * triggers and may abort, a copy of every page it touches). A failing row fails the batch, and
 * a failed batch fails its whole transaction (ad_store_begin_batch), so nothing relies on the
 * statement's own rollback. */
#define INSERT_ID                                                                          \
    "INSERT OR FAIL INTO media (sha256, md5, sha1, size, mime, width, height, duration_ms, pdq," \
    " pdq_quality, photodna, flags, created, updated, id, gid)"                               \
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
static const char insert_id_sql[] = INSERT_ID;

/* Binds record idx[j] as the row of insert_id_sql's 16 parameters from at + 1 on, with its new
 * id and its gid (written into gid, which must live until the statement has run). */
static void bind_insert_row(pass *c, ad_stmt *s, size_t j, int at, char *gid)
{
    size_t i = c->idx[j];
    c->id[i] = c->next++;
    snprintf(gid, sizeof c->gid, "%s:media:%lld", c->uuid, (long long)c->id[i]);
    bind_media(s, at + 1, &c->m[i]);
    ad_bind_int(s, at + 13, c->now);
    ad_bind_int(s, at + 14, c->now);
    ad_bind_int(s, at + 15, c->id[i]);
    ad_bind_text(s, at + 16, gid);
}

static void bind_insert_id(void *p, ad_stmt *s, size_t j)
{
    pass *c = p;
    bind_insert_row(c, s, j, 0, c->gid);
}

/* SQLite: the k new rows MEDIA_ROWS to a statement (one VALUES list: the work per statement
 * once for many rows), the rest one by one. */
#define MEDIA_ROWS 32
static ad_code insert_rows(ad_store *st, pass *c, size_t k, ad_err *err)
{
#define MEDIA_ROW ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static const char many_sql[] = /* insert_id_sql's row and 31 more */
        INSERT_ID AD_SQL_X16(MEDIA_ROW) AD_SQL_X8(MEDIA_ROW) AD_SQL_X4(MEDIA_ROW)
            AD_SQL_X2(MEDIA_ROW) MEDIA_ROW;
#undef MEDIA_ROW
    char(*gids)[96] = malloc(MEDIA_ROWS * sizeof *gids);
    if (!gids)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t j = 0;
    ad_code rc = AD_OK;
    for (; rc == AD_OK && k - j >= MEDIA_ROWS; j += MEDIA_ROWS) {
        ad_stmt *s = ad_db_stmt(st->db, many_sql, err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        for (int r = 0; r < MEDIA_ROWS; r++)
            bind_insert_row(c, s, j + r, 16 * r, gids[r]);
        rc = ad_db_run(s, err);
    }
    free(gids);
    pass rest = *c;
    rest.idx += j;
    if (rc == AD_OK)
        rc = ad_db_many(st->db, insert_id_sql, k - j, bind_insert_id, NULL, &rest, err);
    return rc;
}

/* PostgreSQL: the k new rows of a pass by one COPY (from AD_STORE_COPY_MIN rows, with the
 * shortcuts on) instead of one INSERT each: their ids taken first from media's sequence (one
 * nextval each, as each INSERT takes one, given in rising order as the INSERTs would get them),
 * written with the gids the trigger would give them ("<uuid>:media:<id>": it then has nothing
 * to fill), and the other triggers (index log, change log) fire once per row in the rows'
 * order, as for the INSERTs. */
static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* A field of a COPY row as bind_media binds it: NULL unless `has`; then the blob p (n bytes),
 * or the integer v when p is NULL. */
static void copy_opt(ad_copy_buf *b, int has, const void *p, size_t n, int64_t v)
{
    if (!has)
        ad_copy_null(b);
    else if (p)
        ad_copy_bytea(b, p, n);
    else
        ad_copy_int(b, v);
}

static ad_code copy_rows(ad_store *st, pass *c, size_t k, ad_err *err)
{
    int64_t *ids = malloc(k * sizeof *ids);
    if (!ids)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT nextval(pg_get_serial_sequence('media', 'id')),"
                            " (SELECT uuid FROM instance WHERE id = 1) FROM generate_series(1, ?)",
                            err);
    ad_code rc = s ? AD_OK : AD_ECODE(err);
    size_t got = 0;
    if (s) {
        ad_bind_int(s, 1, (int64_t)k);
        int r;
        while ((r = ad_step(s, err)) > 0) {
            const char *u = ad_col_text(s, 1);
            if (!got && u && *u && strlen(u) < sizeof c->uuid)
                snprintf(c->uuid, sizeof c->uuid, "%s", u);
            if (got < k)
                ids[got++] = ad_col_int(s, 0);
        }
        ad_db_done(s);
        if (r < 0)
            rc = (ad_code)-r;
        else if (got != k)
            rc = ad_err_set(err, AD_ERR_DB, "media's sequence gave %zu ids for %zu rows", got, k);
    }
    if (rc == AD_OK)
        qsort(ids, k, sizeof *ids, cmp_id);
    ad_copy_buf b = {0};
    for (size_t j = 0; j < k && rc == AD_OK; j++) {
        const ad_media *m = &c->m[c->idx[j]];
        c->id[c->idx[j]] = ids[j];
        ad_copy_int(&b, ids[j]);
        copy_opt(&b, m->has_sha256, m->sha256, 32, 0);
        copy_opt(&b, m->has_md5, m->md5, 16, 0);
        copy_opt(&b, m->has_sha1, m->sha1, 20, 0);
        copy_opt(&b, m->size >= 0, NULL, 0, m->size);
        ad_copy_text(&b, m->mime);
        /* 0 is NULL for these, as bind_id_opt binds them */
        copy_opt(&b, m->width != 0, NULL, 0, m->width);
        copy_opt(&b, m->height != 0, NULL, 0, m->height);
        copy_opt(&b, m->duration_ms != 0, NULL, 0, m->duration_ms);
        copy_opt(&b, m->has_pdq, m->pdq.b, 32, 0);
        copy_opt(&b, m->pdq_quality >= 0, NULL, 0, m->pdq_quality);
        copy_opt(&b, m->photodna && m->photodna_len > 0, m->photodna,
                 m->photodna_len > 0 ? (size_t)m->photodna_len : 0, 0);
        ad_copy_int(&b, m->flags);
        ad_copy_int(&b, c->now);
        ad_copy_int(&b, c->now);
        if (*c->uuid) {
            snprintf(c->gid, sizeof c->gid, "%s:media:%lld", c->uuid, (long long)ids[j]);
            ad_copy_text(&b, c->gid);
        } else {
            ad_copy_null(&b);
        }
        ad_copy_row_end(&b);
    }
    if (rc == AD_OK)
        rc = ad_db_copy(st->db,
                        "COPY media (id, sha256, md5, sha1, size, mime, width, height,"
                        " duration_ms, pdq, pdq_quality, photodna, flags, created, updated,"
                        " gid)"
                        " FROM STDIN",
                        &b, err);
    ad_copy_free(&b);
    free(ids);
    return rc;
}

/* Inserts the k records of the pass. On SQLite each gets the id SQLite would give it (one past
 * the largest: media has no AUTOINCREMENT) and the gid the media_gid trigger would write
 * ("<uuid>:media:<id>"), written with the row: the trigger (WHEN NEW.gid IS NULL) then does
 * not update every new row a second time. PostgreSQL's gid trigger runs before the insert. */
static ad_code insert_pass(ad_store *st, pass *c, size_t k, ad_err *err)
{
    if (!k)
        return AD_OK;
    if (!st->db->is_pg && ad_store_media_shortcuts) {
        ad_stmt *s = ad_db_stmt(st->db,
                                "SELECT COALESCE((SELECT MAX(id) FROM media), 0),"
                                " (SELECT uuid FROM instance WHERE id = 1)",
                                err);
        if (!s)
            return AD_ECODE(err);
        int r = ad_step(s, err);
        const char *uuid = r > 0 ? ad_col_text(s, 1) : NULL;
        int64_t last = r > 0 ? ad_col_int(s, 0) : 0;
        int ok = uuid && *uuid && strlen(uuid) < sizeof c->uuid && last >= 0 &&
                 (uint64_t)last < (uint64_t)INT64_MAX - k;
        if (ok) {
            snprintf(c->uuid, sizeof c->uuid, "%s", uuid);
            c->next = last + 1;
        }
        ad_db_done(s);
        if (r < 0)
            return (ad_code)-r;
        if (ok)
            return insert_rows(st, c, k, err);
    }
    if (st->db->is_pg && ad_store_media_shortcuts && ad_store_pg_copy && k >= AD_STORE_COPY_MIN)
        return copy_rows(st, c, k, err);
    return ad_db_many(st->db, insert_sql, k, bind_write, on_insert, c, err);
}

/* Upserts n > 1 records with one statement per pass: lookups by each digest kind, updates of
 * the records found, inserts of the others; records sharing a digest inside the batch go one by
 * one afterwards. The result is the same as upserting them in turn. */
static ad_code upsert_passes(ad_store *st, const ad_media *m, size_t n, const size_t *order,
                             int64_t *id, size_t *fresh, ad_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (!m[i].has_sha256 && !m[i].has_sha1 && !m[i].has_md5 && !m[i].has_pdq)
            return ad_err_set(err, AD_ERR_ARG, "media record %zu has no hash", i + 1);
    char *seq = calloc(n, 1);
    size_t *idx = malloc(n * sizeof *idx);
    ad_code rc = AD_OK;
    if (!seq || !idx || !mark_overlaps(m, n, seq))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    pass c = {.m = m, .idx = idx, .id = id, .now = ad_store_time()};
    int bare = 1;
    if (rc == AD_OK)
        rc = any_bare(st, &bare, err);
    for (int kind = 0; kind < 4 && rc == AD_OK; kind++) {
        c.kind = kind;
        size_t k = select_pass(m, order, n, seq, id, c.kind, 0, bare, idx);
        if (k)
            rc = ix_for(st, kind, err);
        if (rc == AD_OK && st->db->is_pg && ad_store_media_shortcuts && ad_store_pg_copy &&
            k >= AD_STORE_COPY_MIN)
            rc = copy_lookups(st, &c, k, err);
        else if (rc == AD_OK)
            rc = ad_db_many(st->db, find_sql[c.kind], k, bind_lookup, on_lookup, &c, err);
    }
    if (rc == AD_OK) {
        size_t k = select_pass(m, order, n, seq, id, -1, 1, bare, idx);
        rc = ad_db_many(st->db, update_sql, k, bind_write, NULL, &c, err);
    }
    if (rc == AD_OK) {
        size_t k = select_pass(m, order, n, seq, id, -1, 0, bare, idx);
        *fresh = k;
        rc = insert_pass(st, &c, k, err);
    }
    for (size_t j = 0; j < n && rc == AD_OK; j++) {
        size_t i = order[j];
        int created = 0;
        if (!seq[i])
            continue;
        rc = upsert_one(st, &m[i], &id[i], &created, err);
        if (rc != AD_OK)
            ad_err_prefix(err, "media record %zu", i + 1);
        *fresh += (size_t)created;
    }
    free(seq);
    free(idx);
    return rc;
}

static ad_code upsert_batch(ad_store *st, const ad_media *m, size_t n, int64_t *ids,
                            size_t *fresh_out, ad_err *err)
{
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    size_t fresh = 0;
    int64_t id = 0;
    if (n == 1) {
        int created = 0;
        rc = upsert_one(st, m, &id, &created, err);
        fresh = (size_t)created;
        if (ids)
            ids[0] = id;
    } else if (n > 1) {
        size_t *order = batch_order(m, n);
        int64_t *got = calloc(n, sizeof *got);
        if (!order || !got)
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        else
            rc = upsert_passes(st, m, n, order, got, &fresh, err);
        if (rc == AD_OK && ids)
            memcpy(ids, got, n * sizeof *ids);
        free(order);
        free(got);
    }
    char hex[65];
    if (n)
        rc = ad_store_auditf(st, rc, "media.upsert", "media", n == 1 ? id : 0, err,
                             "n=%zu new=%zu first=%s", n, fresh, media_label(&m[0], hex));
    *fresh_out = fresh;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_media_upsert_batch(ad_store *st, const ad_media *m, size_t n, int64_t *ids,
                                    ad_err *err)
{
    size_t fresh;
    return upsert_batch(st, m, n, ids, &fresh, err);
}

ad_code ad_store_media_upsert_batch_count(ad_store *st, const ad_media *m, size_t n, int64_t *ids,
                                          size_t *created, ad_err *err)
{
    size_t fresh = 0;
    ad_code rc = upsert_batch(st, m, n, ids, &fresh, err);
    if (created)
        *created = rc == AD_OK ? fresh : 0;
    return rc;
}

ad_code ad_store_media_upsert(ad_store *st, const ad_media *m, int64_t *id, int *created,
                              ad_err *err)
{
    int64_t nid = 0;
    size_t fresh = 0;
    ad_code rc = upsert_batch(st, m, 1, &nid, &fresh, err);
    if (id)
        *id = nid;
    if (created)
        *created = fresh == 1;
    return rc;
}

static const char *const kind_names[] = {"md5", "sha1", "sha256", "pdq"};

/* First record with that digest, 0 if none. */
static ad_code find_raw(ad_store *st, ad_hash_kind kind, const uint8_t *d, int64_t *id, ad_err *err)
{
    *id = 0;
    ad_code rc = ix_for(st, kind, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db, find_sql[kind], err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_blob(s, 1, d, digest_len[kind]);
    int k = ad_step(s, err);
    *id = k > 0 ? ad_col_int(s, 0) : 0;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_media_find(ad_store *st, ad_hash_kind kind, const uint8_t *digest, int64_t *id,
                            ad_err *err)
{
    if ((unsigned)kind > AD_HASH_PDQ)
        return ad_err_set(err, AD_ERR_ARG, "bad hash kind");
    ad_code rc = ad_store_begin_read(st, err);
    if (rc != AD_OK)
        return rc;
    int64_t found = 0;
    rc = find_raw(st, kind, digest, &found, err);
    char hex[65];
    ad_hex_encode(digest, digest_len[kind], hex);
    rc = ad_store_auditr(st, rc, "media.find", found ? "media" : NULL, found, err, "%s=%s %s",
                         kind_names[kind], hex, found ? "found" : "not found");
    rc = ad_store_finish_read(st, rc, err);
    if (rc == AD_OK && !found)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "no media with %s %s", kind_names[kind], hex);
    if (id)
        *id = found;
    return rc;
}

ad_code ad_store_media_find_hex(ad_store *st, const char *hex, int64_t *id, ad_err *err)
{
    ad_media m;
    ad_media_init(&m);
    ad_code rc = ad_media_set_hash_hex(&m, hex, 0, err);
    if (rc != AD_OK)
        return rc;
    if (m.has_md5)
        return ad_store_media_find(st, AD_HASH_MD5, m.md5, id, err);
    if (m.has_sha1)
        return ad_store_media_find(st, AD_HASH_SHA1, m.sha1, id, err);
    int64_t found = 0;
    if (find_raw(st, AD_HASH_SHA256, m.sha256, &found, err) == AD_OK && found)
        return ad_store_media_find(st, AD_HASH_SHA256, m.sha256, id, err);
    return ad_store_media_find(st, AD_HASH_PDQ, m.sha256, id, err);
}

typedef struct {
    const uint8_t *digests;
    size_t len;
    int64_t *ids;
} find_ctx;

static void bind_digest(void *p, ad_stmt *s, size_t i)
{
    find_ctx *c = p;
    ad_bind_blob(s, 1, c->digests + i * c->len, c->len);
}

static int first_id(void *p, ad_stmt *s, size_t i)
{
    find_ctx *c = p;
    if (!c->ids[i])
        c->ids[i] = ad_col_int(s, 0);
    return 0;
}

ad_code ad_store_media_find_batch(ad_store *st, ad_hash_kind kind, const uint8_t *digests, size_t n,
                                  int64_t *ids, size_t *found, ad_err *err)
{
    if ((unsigned)kind > AD_HASH_PDQ)
        return ad_err_set(err, AD_ERR_ARG, "bad hash kind");
    ad_code rc = st->read_sink ? AD_OK : ad_store_begin_batch(st, err);
    if (rc != AD_OK)
        return rc;
    memset(ids, 0, n * sizeof *ids);
    find_ctx c = {digests, digest_len[kind], ids};
    rc = n ? ix_for(st, kind, err) : AD_OK;
    if (rc == AD_OK)
        rc = ad_db_many(st->db, find_sql[kind], n, bind_digest, first_id, &c, err);
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += ids[i] != 0;
    rc = ad_store_auditr(st, rc, "media.find_batch", NULL, 0, err, "kind=%s n=%zu found=%zu",
                         kind_names[kind], n, hits);
    if (found)
        *found = hits;
    return ad_store_finish_read(st, rc, err);
}

ad_code ad_store_media_get(ad_store *st, int64_t id, ad_media_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT " MEDIA_COLS " FROM media WHERE id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    if (k > 0 && fn) {
        ad_media m;
        media_row(s, 0, &m);
        fn(ctx, &m);
    }
    ad_db_done(s);
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no media %lld", (long long)id);
    return k < 0 ? (ad_code)-k : AD_OK;
}

#define PAGE 256

typedef struct {
    ad_media m;
    char *mime;
    uint8_t *photodna;
} media_copy;

/* Frees a page's copies and forgets them: a slot of the next page without PhotoDNA must not
 * keep (and free again) the pointer of this one. */
static void copy_free(media_copy *c, int n)
{
    for (int i = 0; i < n; i++) {
        free(c[i].mime);
        free(c[i].photodna);
        c[i].mime = NULL;
        c[i].photodna = NULL;
    }
}

ad_code ad_store_media_iter(ad_store *st, int64_t list_id, int64_t series_id, ad_media_fn fn,
                            void *ctx, ad_err *err)
{
    const char *sql =
        list_id ? "SELECT " MEDIA_COLS " FROM media WHERE id IN (SELECT media_id FROM list_entry"
                  " WHERE list_id = ?) AND id > ? ORDER BY id LIMIT 256"
        : series_id ? "SELECT " MEDIA_COLS " FROM media WHERE id IN (SELECT media_id FROM"
                      " series_media_live WHERE series_id = ?) AND id > ? ORDER BY id LIMIT 256"
                    : "SELECT " MEDIA_COLS " FROM media WHERE 0 = ? AND id > ? ORDER BY id"
                      " LIMIT 256";
    ad_code rc = ad_store_audit_read(st, "media.iter", NULL,
                                list_id     ? "list"
                                : series_id ? "series"
                                            : "all",
                                err);
    if (rc != AD_OK)
        return rc;
    media_copy *page = calloc(PAGE, sizeof *page);
    if (!page)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    int64_t after = 0;
    int stop = 0;
    while (!stop && rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db, sql, err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        ad_bind_int(s, 1, list_id ? list_id : series_id);
        ad_bind_int(s, 2, after);
        int n = 0, k;
        while (n < PAGE && (k = ad_step(s, err)) > 0) {
            media_row(s, 0, &page[n].m);
            page[n].mime = page[n].m.mime ? strdup(page[n].m.mime) : NULL;
            page[n].m.mime = page[n].mime;
            if (page[n].m.photodna_len) {
                page[n].photodna = malloc((size_t)page[n].m.photodna_len);
                if (page[n].photodna)
                    memcpy(page[n].photodna, page[n].m.photodna, (size_t)page[n].m.photodna_len);
                page[n].m.photodna = page[n].photodna;
            }
            n++;
        }
        ad_db_done(s);
        if (k < 0)
            rc = (ad_code)-k;
        for (int i = 0; i < n && rc == AD_OK && !stop; i++)
            stop = fn(ctx, &page[i].m);
        if (n)
            after = page[n - 1].m.id;
        copy_free(page, n);
        if (n < PAGE)
            break;
    }
    free(page);
    return rc;
}

ad_code ad_store_media_count(ad_store *st, int64_t *count, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT COUNT(*) FROM media", err);
    return s ? ad_db_int(s, count, err) : AD_ECODE(err);
}
