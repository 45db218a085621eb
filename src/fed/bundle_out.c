/* bundle_out.c: writing a bundle for a peer (docs/federation.md "Bundles"): a manifest line
 * (sender, its key, its audit head, the head it holds of the peer, the ids and lengths of the
 * sets), the sets byte for byte, a signature of the manifest; what was sent is remembered per
 * peer and origin. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

static ad_code peer_get(ad_store *st, const char *name, ad_fed_peer_row *p, ad_err *err)
{
    int found;
    ad_code rc = ad_fed_peer_find(st, name, 0, p, &found, err);
    if (rc == AD_OK && !found)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "no peer '%s' ('ariadne peer list')", name);
    return rc;
}

static ad_code sent_set(ad_store *st, int64_t peer, const char *origin, int64_t last, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO fed_sent (peer_id, origin, last_seq) VALUES (?, ?, ?)"
                            " ON CONFLICT (peer_id, origin) DO UPDATE SET last_seq ="
                            " excluded.last_seq WHERE excluded.last_seq > fed_sent.last_seq",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, peer);
    ad_bind_text(s, 2, origin);
    ad_bind_int(s, 3, last);
    return ad_db_run(s, err);
}

/* The audit head this instance holds of origin (from its change sets), as {origin, seq, hash}. */
static ad_code witness_of(ad_store *st, const char *origin, json_t **out, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT seq, hash FROM witness WHERE origin = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, origin);
    int k = ad_step(s, err);
    *out = k > 0 ? json_pack("{s:s, s:I, s:s}", "origin", origin, "seq",
                             (json_int_t)ad_col_int(s, 0), "hash", ad_col_text(s, 1))
                 : NULL;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

typedef struct {
    char id[65];
    int64_t len;
} set_ref;

/* The sets for the peer (ids and lengths, in manifest order) into *refs and the manifest's
 * list; the bytes are read later, one set at a time. */
static ad_code list_sets(ad_store *st, const ad_fed_peer_row *p, const char *own, int all,
                         set_ref **refs, size_t *n, json_t *list, ad_fed_stats *stats,
                         ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT c.id, c.first_seq, c.last_seq, length(c.bytes) FROM change_set c"
                            " LEFT JOIN fed_sent f ON f.peer_id = ? AND f.origin = c.origin"
                            " WHERE (c.origin = ? OR ? = 'national') AND c.origin <> ?"
                            " AND (? = 1 OR c.last_seq > COALESCE(f.last_seq, 0))"
                            " ORDER BY c.origin, c.first_seq",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, p->peer_id);
    ad_bind_text(s, 2, own);
    ad_bind_text(s, 3, p->scope);
    ad_bind_text(s, 4, p->origin);
    ad_bind_int(s, 5, all ? 1 : 0);
    int k;
    size_t cap = 0;
    while ((k = ad_step(s, err)) > 0) {
        if (*n == cap) {
            set_ref *q = realloc(*refs, (cap = cap ? 2 * cap : 64) * sizeof *q);
            if (!q) {
                k = -ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                break;
            }
            *refs = q;
        }
        set_ref *r = &(*refs)[(*n)++];
        ad_col_copy(s, 0, r->id, sizeof r->id);
        r->len = ad_col_int(s, 3);
        if (json_array_append_new(list, json_pack("{s:s, s:I}", "id", r->id, "len",
                                                  (json_int_t)r->len))) {
            k = -ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            break;
        }
        stats->sets++;
        stats->changes += ad_col_int(s, 2) - ad_col_int(s, 1) + 1;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

/* Records what was sent, per origin (the manifest order is by origin, then first). */
static ad_code mark_sent(ad_store *st, const ad_fed_peer_row *p, const char *own, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT origin, MAX(last_seq) FROM change_set WHERE (origin = ? OR"
                            " ? = 'national') AND origin <> ? GROUP BY origin",
                            err);
    ad_code rc = s ? AD_OK : AD_ECODE(err);
    typedef struct {
        char origin[AD_UUID_LEN + 1];
        int64_t last;
    } ol;
    ol *v = NULL;
    size_t nv = 0;
    if (rc == AD_OK) {
        ad_bind_text(s, 1, own);
        ad_bind_text(s, 2, p->scope);
        ad_bind_text(s, 3, p->origin);
        int k;
        while ((k = ad_step(s, err)) > 0) {
            ol *nvp = realloc(v, (nv + 1) * sizeof *v);
            if (!nvp) {
                k = -ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                break;
            }
            v = nvp;
            ad_col_copy(s, 0, v[nv].origin, sizeof v[nv].origin);
            v[nv++].last = ad_col_int(s, 1);
        }
        ad_db_done(s);
        if (k < 0)
            rc = (ad_code)-k;
    }
    for (size_t i = 0; i < nv && rc == AD_OK; i++)
        rc = sent_set(st, p->peer_id, v[i].origin, v[i].last, err);
    free(v);
    return rc;
}

/* The signed manifest line (with its newline) and the signature line, malloc'd. */
static ad_code manifest(ad_store *st, const ad_fed_key *key, const ad_fed_peer_row *p,
                        const char *own, json_t *list, char **line, char sl[160], ad_err *err)
{
    json_t *wit = NULL;
    ad_code rc = p->origin[0] ? witness_of(st, p->origin, &wit, err) : AD_OK;
    int64_t head_seq = 0;
    char head_hash[65], pk[AD_FED_PUBKEY_HEX + 1];
    if (rc == AD_OK)
        rc = ad_fed_audit_head(st, &head_seq, head_hash, err);
    if (rc != AD_OK) {
        json_decref(wit);
        return rc;
    }
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:I, s:O, s:{s:I, s:s}}", "format", AD_FED_BUNDLE_FORMAT, "from", own,
        "from_key", ad_hex_encode(key->pk, 32, pk), "created", (json_int_t)ad_store_time(), "sets",
        list, "head", "seq", (json_int_t)head_seq, "hash", head_hash);
    if (m && wit)
        json_object_set_new(m, "witness", wit);
    else
        json_decref(wit);
    char *c = m ? ad_fed_canon(m) : NULL;
    json_decref(m);
    size_t n = c ? strlen(c) : 0;
    *line = c ? malloc(n + 2) : NULL;
    if (!*line) {
        free(c);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    memcpy(*line, c, n);
    memcpy(*line + n, "\n", 2);
    free(c);
    uint8_t sig[64];
    char sh[129];
    ad_fed_sign(key, AD_FED_BUNDLE_CONTEXT, (const uint8_t *)*line, n + 1, sig);
    snprintf(sl, 160, "{\"sig\":\"%s\"}\n", ad_hex_encode(sig, 64, sh));
    return AD_OK;
}

/* A held set's bytes, written to f (its length as listed). */
static ad_code write_set(ad_store *st, const set_ref *r, FILE *f, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT bytes FROM change_set WHERE id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, r->id);
    int k = ad_step(s, err);
    ad_code rc = k < 0 ? (ad_code)-k : AD_OK;
    size_t n = 0;
    const uint8_t *b = k > 0 ? ad_col_blob(s, 0, &n) : NULL;
    if (rc == AD_OK && (!b || (int64_t)n != r->len))
        rc = ad_err_set(err, AD_ERR_INTERNAL, "change set %s changed while it was sent", r->id);
    if (rc == AD_OK && fwrite(b, 1, n, f) != n)
        rc = ad_err_set(err, AD_ERR_IO, "cannot write the bundle");
    ad_db_done(s);
    return rc;
}

ad_code ad_fed_bundle_export_file(ad_store *st, const ad_fed_key *key, const char *peer, int all,
                                  FILE *f, ad_fed_stats *stats, ad_err *err)
{
    memset(stats, 0, sizeof *stats);
    int64_t cut = 0;
    ad_code rc = ad_fed_cut(st, key, &cut, err);
    if (rc != AD_OK)
        return rc;
    ad_fed_peer_row p = {0};
    char own[AD_UUID_LEN + 1], sl[160], *line = NULL;
    set_ref *refs = NULL;
    size_t n = 0;
    json_t *list = json_array();
    rc = list ? ad_store_begin(st, err) : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!list)
        return rc;
    if (rc == AD_OK)
        rc = peer_get(st, peer, &p, err);
    if (rc == AD_OK)
        rc = ad_fed_own(st, own, NULL, err);
    /* this origin's sets; others' only to a peer this instance is the hub of (national) */
    if (rc == AD_OK)
        rc = list_sets(st, &p, own, all, &refs, &n, list, stats, err);
    if (rc == AD_OK)
        rc = mark_sent(st, &p, own, err);
    if (rc == AD_OK)
        rc = manifest(st, key, &p, own, list, &line, sl, err);
    int64_t bytes = 0;
    if (rc == AD_OK) {
        bytes = (int64_t)strlen(line);
        if (fwrite(line, 1, strlen(line), f) != strlen(line))
            rc = ad_err_set(err, AD_ERR_IO, "cannot write the bundle");
    }
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        rc = write_set(st, &refs[i], f, err);
        bytes += refs[i].len;
    }
    if (rc == AD_OK && (fputs(sl, f) == EOF || fflush(f) != 0))
        rc = ad_err_set(err, AD_ERR_IO, "cannot write the bundle");
    bytes += (int64_t)strlen(sl);
    free(line);
    free(refs);
    json_decref(list);
    rc = ad_store_auditf(st, rc, "bundle.export", "peer", p.peer_id, err,
                         "sets=%lld changes=%lld all=%d", (long long)stats->sets,
                         (long long)stats->changes, all);
    rc = ad_store_finish(st, rc, err);
    if (rc == AD_OK)
        stats->bytes = bytes;
    return rc;
}

ad_code ad_fed_bundle_export(ad_store *st, const ad_fed_key *key, const char *peer, int all,
                             uint8_t **out, size_t *len, ad_fed_stats *stats, ad_err *err)
{
    char *p = NULL;
    size_t n = 0;
    *out = NULL;
    *len = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f) {
        memset(stats, 0, sizeof *stats);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    ad_code rc = ad_fed_bundle_export_file(st, key, peer, all, f, stats, err);
    if (fclose(f) != 0 && rc == AD_OK)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc != AD_OK) {
        free(p);
        return rc;
    }
    *out = (uint8_t *)p;
    *len = n;
    return AD_OK;
}
