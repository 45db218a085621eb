/* cut.c: cutting this instance's change log into its next change sets: the rows logged since
 * the last cut, one change per record (the first row of a record; its body is the record as it
 * stands: docs/federation.md), one set per record kind (so that a peer's policy can withhold
 * a kind by whole sets: "Policy per peer"), a kind of more than ad_fed_cut_run changes in runs
 * of that many (sets of a bounded size), in the kinds' order, numbered densely after the
 * origin's last sequence, each chained to the one before, carrying the audit head, signed.
 * Media and links are read in pages of the change log joined with their records and written
 * straight as text (body_text.c); the other kinds are built the general way (policy.c). Each
 * set is compressed for keeping (setstore.c) on a thread while the next one is made. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

#define PAGE 4096

typedef struct {
    int kind; /* 0: empty slot, else index + 1 */
    int64_t a, b;
} slot;

typedef struct {
    slot *t;
    size_t cap, n;
} seen_set;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* 1 if (kind, a, b) was seen already (and records it), 0 if new, -1 out of memory. */
static int seen(seen_set *s, int kind, int64_t a, int64_t b)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        slot *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->t[i].kind) {
                size_t j = mix((uint64_t)s->t[i].kind * 31 + (uint64_t)s->t[i].a * 1000003 +
                               (uint64_t)s->t[i].b) &
                           (cap - 1);
                while (t[j].kind)
                    j = (j + 1) & (cap - 1);
                t[j] = s->t[i];
            }
        free(s->t);
        s->t = t;
        s->cap = cap;
    }
    size_t j = mix((uint64_t)kind * 31 + (uint64_t)a * 1000003 + (uint64_t)b) & (s->cap - 1);
    while (s->t[j].kind) {
        if (s->t[j].kind == kind && s->t[j].a == a && s->t[j].b == b)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    s->t[j] = (slot){kind, a, b};
    s->n++;
    return 0;
}

/* The change lines of the set being made, each with its newline, after AD_FED_HEADER_ROOM bytes
 * of room for its header (ad_fed_set_encode_room), and how many. */
typedef struct {
    ad_fed_buf b;
    size_t n;
    /* the set cut before, compressed on a thread of its own while this one is made, stored
     * when this one is (or at the end): its buffer, its job, its row */
    ad_fed_buf held;
    ad_fed_zjob *job;
    char id[65];
    int64_t first, last;
    int kind;
} lines;

static const char room[AD_FED_HEADER_ROOM];

/* The set before stored (its compression waited for). */
static ad_code store_held(ad_store *st, const char *origin, lines *l, ad_err *err)
{
    ad_fed_zjob *j = l->job;
    l->job = NULL;
    return j ? ad_fed_zjob_put(j, st, l->id, origin, l->first, l->last, ad_fed_kind_name(l->kind),
                               0, err)
             : AD_OK;
}

typedef struct {
    int64_t id, a, b;
    char kind[8];
} row;

/* Reads the next page of pending rows after `after`, up to max_id (without media and links
 * when they are read with their records: `direct`). */
static ad_code page(ad_store *st, int64_t after, int64_t max_id, int direct, row *rows, size_t *n,
                    ad_err *err)
{
    static const char all[] = "SELECT id, kind, a, b FROM change_log WHERE seq IS NULL AND id > ?"
                              " AND id <= ? ORDER BY id LIMIT 4096";
    static const char others[] =
        "SELECT id, kind, a, b FROM change_log WHERE seq IS NULL AND id > ? AND id <= ?"
        " AND kind NOT IN ('media', 'link') ORDER BY id LIMIT 4096";
    ad_stmt *s = ad_db_stmt(st->db, direct ? others : all, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, after);
    ad_bind_int(s, 2, max_id);
    int k;
    *n = 0;
    while ((k = ad_step(s, err)) > 0) {
        row *r = &rows[(*n)++];
        r->id = ad_col_int(s, 0);
        ad_col_copy(s, 1, r->kind, sizeof r->kind);
        r->a = ad_col_int(s, 2);
        r->b = ad_col_int(s, 3);
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

/* The origin's last sequence and last change set id (empty when none). */
ad_code ad_fed_last_set(ad_store *st, const char *origin, int64_t *last, char prev[65], ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT last_seq, id FROM change_set WHERE origin = ?"
                            " UNION ALL SELECT last_seq, id FROM fed_withheld WHERE origin = ?"
                            " ORDER BY 1 DESC LIMIT 1",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, origin);
    ad_bind_text(s, 2, origin);
    int k = ad_step(s, err);
    *last = 0;
    prev[0] = 0;
    if (k > 0) {
        *last = ad_col_int(s, 0);
        ad_col_copy(s, 1, prev, 65);
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_fed_audit_head(ad_store *st, int64_t *seq, char hash[65], ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT seq, hash FROM audit_head WHERE id = 1", err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    *seq = 0;
    memset(hash, '0', 64);
    hash[64] = 0;
    if (k > 0) {
        *seq = ad_col_int(s, 0);
        size_t n = 0;
        const uint8_t *b = ad_col_null(s, 1) ? NULL : ad_col_blob(s, 1, &n);
        if (b && n == 32)
            ad_hex_encode(b, 32, hash);
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

size_t ad_fed_cut_run = 100000;

/* The pending records of one kind, (a, b) pairs in log order. */
typedef struct {
    int64_t *ab;
    size_t n, cap;
} recs;

static int rec_push(recs *r, int64_t a, int64_t b)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        int64_t *p = realloc(r->ab, cap * 2 * sizeof *p);
        if (!p)
            return -1;
        r->ab = p;
        r->cap = cap;
    }
    r->ab[2 * r->n] = a;
    r->ab[2 * r->n + 1] = b;
    r->n++;
    return 0;
}

/* Encodes the pending lines (all of one kind) as origin's next change set (after *last,
 * chained to prev), audits it and starts its compression on a thread (stored at the next emit
 * or the cut's end, after the set before it is stored); *last and prev move on to it, the
 * lines are emptied (into the buffer the set before held). */
static ad_code emit(ad_store *st, const ad_fed_key *key, const char *origin, int kind, lines *l,
                    int64_t *last, char prev[65], int64_t head_seq, const char *head_hash,
                    ad_err *err)
{
    size_t at = 0;
    char id[65] = "";
    ad_code rc = ad_fed_set_encode_room(key, origin, *last + 1, &l->b, l->n, prev, head_seq,
                                        head_hash, &at, id, err);
    if (rc == AD_OK)
        rc = store_held(st, origin, l, err);
    if (rc == AD_OK) {
        ad_fed_buf t = l->held;
        l->held = l->b;
        l->b = t;
        memcpy(l->id, id, sizeof l->id);
        l->first = *last + 1;
        l->last = *last + (int64_t)l->n;
        l->kind = kind;
        rc = ad_fed_zjob_start((const uint8_t *)l->held.p + at, l->held.n - at, &l->job, err);
    }
    rc = ad_store_auditf(st, rc, "fed.cut", "change_set", 0, err, "id=%s kind=%s seq=%lld..%lld",
                         id, ad_fed_kind_name(kind), (long long)(*last + 1),
                         (long long)(*last + (int64_t)l->n));
    *last += (int64_t)l->n;
    memcpy(prev, id, 65);
    l->b.n = 0;
    l->n = 0;
    if (ad_fed_put(&l->b, room, sizeof room) && rc == AD_OK)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    return rc;
}

/* The body of change log row (kind, a, b) the general way (policy.c), as the next line. */
static ad_code general(ad_store *st, const char *origin, int k, int64_t a, int64_t b, lines *l,
                       int64_t seq, ad_err *err)
{
    json_t *body = NULL;
    ad_code rc = ad_fed_body(st, origin, ad_fed_kind_name(k), a, b, &body, err);
    if (rc != AD_OK || !body)
        return rc;
    json_object_set_new(body, "seq", json_integer(seq));
    char *line = ad_fed_canon(body);
    json_decref(body);
    if (!line || ad_fed_put(&l->b, line, strlen(line)) || ad_fed_put(&l->b, "\n", 1))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    else
        l->n++;
    free(line);
    return rc;
}

int ad_fed_cut_direct = 1;

/* Media and links, the bulk of a cut, are read straight from the change log joined with their
 * records, a page of rows per statement, and written as text (body_text.c). */
#define K_MEDIA 0
#define K_LINK 2
static const char direct_sql[2][600] = {
    "SELECT c.id, c.a, c.b, m.sha256, m.md5, m.sha1, m.pdq, m.pdq_quality, m.size, m.mime,"
    " m.width, m.height, m.duration_ms, CASE WHEN EXISTS (SELECT 1 FROM media_frame f"
    " WHERE f.media_id = m.id) THEN 1 ELSE 0 END FROM change_log c JOIN media m ON m.id = c.a"
    " WHERE c.seq IS NULL AND c.kind = 'media' AND c.id > ? AND c.id <= ? ORDER BY c.id"
    " LIMIT ?",
    "SELECT c.id, c.a, c.b, s.gid, m.sha256, m.md5, m.sha1, m.pdq, sm.gen FROM change_log c"
    " JOIN series s ON s.id = c.a JOIN media m ON m.id = c.b LEFT JOIN series_media sm ON"
    " sm.series_id = c.a AND sm.media_id = c.b WHERE c.seq IS NULL"
    " AND c.kind = 'link' AND c.id > ? AND c.id <= ? ORDER BY c.id LIMIT ?"};

/* One row of a direct page as the next line (or none). */
static ad_code direct_row(ad_store *st, const char *origin, int k, ad_stmt *s, lines *l,
                          int64_t seq, ad_err *err)
{
    int64_t a = ad_col_int(s, 1), b = ad_col_int(s, 2);
    int r;
    if (k == K_MEDIA) {
        json_t *frames = NULL;
        if (ad_col_int(s, 13)) {
            ad_code rc = ad_fed_frames_body(st, a, &frames, err);
            if (rc != AD_OK)
                return rc;
        }
        r = ad_fed_media_text(&l->b, s, 3, seq, frames ? json_string_value(frames) : NULL);
        json_decref(frames);
    } else {
        r = ad_fed_link_text(&l->b, s, 3, seq);
    }
    if (r == -2)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (r < 0)
        return general(st, origin, k, a, b, l, seq, err);
    l->n += (size_t)r;
    return AD_OK;
}

/* The pending media or links (k), once each, in log order up to max_id, into sets of runs. */
static ad_code direct(ad_store *st, const ad_fed_key *key, const char *origin, int k, int64_t after,
                      int64_t max_id, lines *l, int64_t *last, char prev[65], int64_t head_seq,
                      const char *head_hash, int64_t *total, ad_err *err)
{
    seen_set once = {0};
    ad_code rc = AD_OK;
    for (size_t got = PAGE; rc == AD_OK && got > 0;) {
        /* a page never holds more rows than the run has room for */
        size_t want = ad_fed_cut_run - l->n < PAGE ? ad_fed_cut_run - l->n : PAGE;
        ad_stmt *s = ad_db_stmt(st->db, direct_sql[k == K_LINK], err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        ad_bind_int(s, 1, after);
        ad_bind_int(s, 2, max_id);
        ad_bind_int(s, 3, (int64_t)want);
        int r = 0;
        got = 0;
        while (rc == AD_OK && (r = ad_step(s, err)) > 0) {
            got++;
            after = ad_col_int(s, 0);
            int was = seen(&once, k + 1, ad_col_int(s, 1), ad_col_int(s, 2));
            if (was < 0)
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            else if (!was)
                rc = direct_row(st, origin, k, s, l, *last + 1 + (int64_t)l->n, err);
        }
        ad_db_done(s);
        if (rc == AD_OK && r < 0)
            rc = (ad_code)-r;
        if (got < want)
            got = 0; /* the last page */
        if (rc == AD_OK && l->n >= ad_fed_cut_run) {
            *total += (int64_t)l->n;
            rc = emit(st, key, origin, k, l, last, prev, head_seq, head_hash, err);
        }
    }
    free(once.t);
    return rc;
}

ad_code ad_fed_cut(ad_store *st, const ad_fed_key *key, int64_t *n_out, ad_err *err)
{
    char origin[AD_UUID_LEN + 1], pub[AD_FED_PUBKEY_HEX + 1], have[AD_FED_PUBKEY_HEX + 1];
    char prev[65], head_hash[65];
    int64_t last = 0, head_seq = 0, max_id = 0, total = 0;
    lines l = {0};
    recs per[AD_FED_KINDS] = {{0}};
    seen_set seen_rows = {0};
    row *rows = malloc(PAGE * sizeof *rows);
    *n_out = 0;
    ad_code rc = rows && !ad_fed_put(&l.b, room, sizeof room)
                     ? ad_store_begin(st, err)
                     : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc != AD_OK) {
        free(rows);
        free(l.b.p);
        return rc;
    }
    if (rc == AD_OK)
        rc = ad_fed_own(st, origin, pub, err);
    if (rc == AD_OK && strcmp(pub, ad_hex_encode(key->pk, 32, have)))
        rc = ad_err_set(err, AD_ERR_PERM, "the key given is not this instance's");
    if (rc == AD_OK)
        rc = ad_fed_last_set(st, origin, &last, prev, err);
    if (rc == AD_OK)
        rc = ad_fed_audit_head(st, &head_seq, head_hash, err);
    /* the pending rows: after the last cut's mark, up to the last logged now */
    int64_t upto = 0;
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db, "SELECT COALESCE(MAX(upto), 0) FROM fed_cut", err);
        rc = s ? ad_db_int(s, &upto, err) : AD_ECODE(err);
    }
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db, "SELECT COALESCE(MAX(id), 0) FROM change_log", err);
        rc = s ? ad_db_int(s, &max_id, err) : AD_ECODE(err);
    }
    /* the pending records, once each, by kind (media and links below, with their records) */
    int64_t after = upto;
    for (size_t n = PAGE; rc == AD_OK && n == PAGE;) {
        rc = page(st, after, max_id, ad_fed_cut_direct, rows, &n, err);
        for (size_t i = 0; rc == AD_OK && i < n; i++) {
            after = rows[i].id;
            int k = ad_fed_kind_known(rows[i].kind);
            if (!k)
                continue;
            int s = seen(&seen_rows, k, rows[i].a, rows[i].b);
            if (s < 0 || (!s && rec_push(&per[k - 1], rows[i].a, rows[i].b)))
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
    }
    free(rows);
    free(seen_rows.t);
    /* one set per kind, its changes the records as they stand */
    for (int k = 0; k < AD_FED_KINDS && rc == AD_OK; k++) {
        if (ad_fed_cut_direct && (k == K_MEDIA || k == K_LINK))
            rc = direct(st, key, origin, k, upto, max_id, &l, &last, prev, head_seq, head_hash,
                        &total, err);
        for (size_t i = 0; rc == AD_OK && i < per[k].n; i++) {
            rc = general(st, origin, k, per[k].ab[2 * i], per[k].ab[2 * i + 1], &l,
                         last + 1 + (int64_t)l.n, err);
            /* sets of a bounded size: each is held whole when made, sent and received */
            if (rc == AD_OK && l.n >= ad_fed_cut_run) {
                total += (int64_t)l.n;
                rc = emit(st, key, origin, k, &l, &last, prev, head_seq, head_hash, err);
            }
        }
        /* the kind's last run */
        if (rc == AD_OK && l.n > 0) {
            total += (int64_t)l.n;
            rc = emit(st, key, origin, k, &l, &last, prev, head_seq, head_hash, err);
        }
    }
    if (rc == AD_OK)
        rc = store_held(st, origin, &l, err);
    ad_fed_zjob_free(l.job);
    for (int k = 0; k < AD_FED_KINDS; k++)
        free(per[k].ab);
    free(l.b.p);
    free(l.held.p);
    /* the rows cut: marked (seq 0), and the mark moves on */
    if (rc == AD_OK && max_id > upto) {
        ad_stmt *s = ad_db_stmt(
            st->db, "UPDATE change_log SET seq = 0 WHERE id > ? AND id <= ? AND seq IS NULL", err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_int(s, 1, upto);
            ad_bind_int(s, 2, max_id);
            rc = ad_db_run(s, err);
        }
        s = rc == AD_OK ? ad_db_stmt(st->db,
                                     "INSERT INTO fed_cut (id, upto) VALUES (1, ?) ON CONFLICT"
                                     " (id) DO UPDATE SET upto = excluded.upto",
                                     err)
                        : NULL;
        if (rc == AD_OK && !s) {
            rc = AD_ECODE(err);
        } else if (s) {
            ad_bind_int(s, 1, max_id);
            rc = ad_db_run(s, err);
        }
    }
    if (rc == AD_OK)
        *n_out = total;
    return ad_store_finish(st, rc, err);
}

ad_code ad_fed_resend(ad_store *st, unsigned kinds, int64_t *n, ad_err *err)
{
    /* this origin's own records of each kind (gid of this origin; media and links have no
     * author: all of them), as migration 12 logged the past */
#define RELOG "INSERT INTO change_log (kind, a, b, time) SELECT "
#define NOW "CAST(? AS BIGINT)"
#define OWN " substr(gid, 1, 36) = ?"
#define ANY " CAST(? AS TEXT) <> ''"
    static const char *const sql[AD_FED_KINDS] = {
        RELOG "'media', id, 0, " NOW " FROM media WHERE" ANY,
        RELOG "'series', id, 0, " NOW " FROM series WHERE" OWN,
        RELOG "'link', series_id, media_id, " NOW " FROM series_media WHERE" ANY,
        RELOG "'person', id, 0, " NOW " FROM person WHERE" OWN,
        RELOG "'vote', id, 0, " NOW " FROM vote WHERE" OWN,
        RELOG "'note', id, 0, " NOW " FROM note WHERE private = 0 AND" OWN,
        RELOG "'clue', id, 0, " NOW " FROM clue WHERE private = 0 AND" OWN,
        /* every merge: its body carries only the consents of this origin's own sides */
        RELOG "'merge', id, 0, " NOW " FROM series_merge WHERE" ANY,
        RELOG "'unlink', id, 0, " NOW " FROM series_unlink WHERE" OWN};
#undef RELOG
#undef NOW
#undef OWN
#undef ANY
    char origin[AD_UUID_LEN + 1], names[64];
    int64_t before = 0, after = 0;
    *n = 0;
    ad_code rc = ad_store_begin(st, err);
    if (rc == AD_OK)
        rc = ad_fed_own(st, origin, NULL, err);
    ad_stmt *c = rc == AD_OK ? ad_db_stmt(st->db, "SELECT COUNT(*) FROM change_log", err) : NULL;
    if (rc == AD_OK)
        rc = c ? ad_db_int(c, &before, err) : AD_ECODE(err);
    for (int k = 0; k < AD_FED_KINDS && rc == AD_OK; k++) {
        if (!(kinds & (1u << k)))
            continue;
        ad_stmt *s = ad_db_stmt(st->db, sql[k], err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        ad_bind_int(s, 1, ad_store_time());
        ad_bind_text(s, 2, origin);
        rc = ad_db_run(s, err);
    }
    c = rc == AD_OK ? ad_db_stmt(st->db, "SELECT COUNT(*) FROM change_log", err) : NULL;
    if (rc == AD_OK)
        rc = c ? ad_db_int(c, &after, err) : AD_ECODE(err);
    if (rc == AD_OK)
        *n = after - before;
    rc = ad_store_auditf(st, rc, "fed.resend", NULL, 0, err, "kinds=%s records=%lld",
                         ad_fed_kinds_format(kinds, names), (long long)(after - before));
    return ad_store_finish(st, rc, err);
}
