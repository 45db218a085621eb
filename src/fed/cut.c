/* cut.c: cutting this instance's change log into its next change set: the rows logged since
 * the last cut, one change per record (the first row of a record; its body is the record as it
 * stands: docs/federation.md), numbered densely after the origin's last sequence, chained to
 * its previous change set, carrying the audit head, signed. */
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

static int kind_index(const char *k)
{
    static const char *const kinds[] = {"media", "series", "link", "person",
                                        "vote",  "note",   "clue", "merge"};
    for (int i = 0; i < 8; i++)
        if (!strcmp(k, kinds[i]))
            return i + 1;
    return 0;
}

typedef struct {
    char **lines;
    size_t n, cap;
} lines;

static int push(lines *l, char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        char **p = realloc(l->lines, cap * sizeof *p);
        if (!p)
            return -1;
        l->lines = p;
        l->cap = cap;
    }
    l->lines[l->n++] = s;
    return 0;
}

typedef struct {
    int64_t id, a, b;
    char kind[8];
} row;

/* Reads the next page of pending rows after `after`. */
static ad_code page(ad_store *st, int64_t after, row *rows, size_t *n, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT id, kind, a, b FROM change_log WHERE seq IS NULL AND id > ?"
                            " ORDER BY id LIMIT 4096",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, after);
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
                            " ORDER BY last_seq DESC LIMIT 1",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, origin);
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

ad_code ad_fed_cut(ad_store *st, const ad_fed_key *key, int64_t *n_out, ad_err *err)
{
    char origin[AD_UUID_LEN + 1], pub[AD_FED_PUBKEY_HEX + 1], have[AD_FED_PUBKEY_HEX + 1];
    char prev[65], head_hash[65], id[65];
    int64_t last = 0, head_seq = 0, max_id = 0;
    lines l = {0};
    seen_set seen_rows = {0};
    row *rows = malloc(PAGE * sizeof *rows);
    uint8_t *bytes = NULL;
    size_t len = 0;
    *n_out = 0;
    ad_code rc = rows ? ad_store_begin(st, err) : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rows)
        return rc;
    if (rc == AD_OK)
        rc = ad_fed_own(st, origin, pub, err);
    if (rc == AD_OK && strcmp(pub, ad_hex_encode(key->pk, 32, have)))
        rc = ad_err_set(err, AD_ERR_PERM, "the key given is not this instance's");
    if (rc == AD_OK)
        rc = ad_fed_last_set(st, origin, &last, prev, err);
    if (rc == AD_OK)
        rc = ad_fed_audit_head(st, &head_seq, head_hash, err);
    for (size_t n = PAGE; rc == AD_OK && n == PAGE;) {
        rc = page(st, max_id, rows, &n, err);
        for (size_t i = 0; rc == AD_OK && i < n; i++) {
            max_id = rows[i].id;
            int s = seen(&seen_rows, kind_index(rows[i].kind), rows[i].a, rows[i].b);
            if (s < 0)
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            if (s)
                continue;
            json_t *body = NULL;
            rc = ad_fed_body(st, origin, rows[i].kind, rows[i].a, rows[i].b, &body, err);
            if (rc != AD_OK || !body)
                continue;
            json_object_set_new(body, "seq", json_integer(last + 1 + (int64_t)l.n));
            char *line = ad_fed_canon(body);
            json_decref(body);
            if (!line || push(&l, line)) {
                free(line);
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            }
        }
    }
    free(rows);
    free(seen_rows.t);
    if (rc == AD_OK && max_id > 0) {
        ad_stmt *s =
            ad_db_stmt(st->db, "UPDATE change_log SET seq = 0 WHERE seq IS NULL AND id <= ?", err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_int(s, 1, max_id);
            rc = ad_db_run(s, err);
        }
    }
    if (rc == AD_OK && l.n > 0)
        rc = ad_fed_set_encode(key, origin, last + 1, (const char *const *)l.lines, l.n, prev,
                               head_seq, head_hash, &bytes, &len, id, err);
    if (rc == AD_OK && l.n > 0) {
        ad_stmt *s = ad_db_stmt(st->db,
                                "INSERT INTO change_set (id, origin, first_seq, last_seq, bytes,"
                                " received) VALUES (?, ?, ?, ?, ?, ?)",
                                err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_text(s, 1, id);
            ad_bind_text(s, 2, origin);
            ad_bind_int(s, 3, last + 1);
            ad_bind_int(s, 4, last + (int64_t)l.n);
            ad_bind_blob(s, 5, bytes, len);
            ad_bind_int(s, 6, ad_store_time());
            rc = ad_db_run(s, err);
        }
    }
    free(bytes);
    for (size_t i = 0; i < l.n; i++)
        free(l.lines[i]);
    free(l.lines);
    if (l.n > 0)
        rc = ad_store_auditf(st, rc, "fed.cut", "change_set", 0, err, "id=%s seq=%lld..%lld", id,
                             (long long)(last + 1), (long long)(last + (int64_t)l.n));
    if (rc == AD_OK)
        *n_out = (int64_t)l.n;
    return ad_store_finish(st, rc, err);
}
