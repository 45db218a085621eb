/* bundle_out.c: writing a bundle for a peer (docs/federation.md "Bundles"): a manifest line
 * (sender, its key, its audit head, the head it holds of the peer, the ids and lengths of the
 * sets), the sets byte for byte, a signature of the manifest; what was sent is remembered per
 * peer and origin. A set of a kind the peer's policy does not send, or one this instance holds
 * the place of only (fed_withheld), goes as its place: a "withheld" entry without bytes
 * ("Policy per peer"). Written as it goes: the manifest first, then each set read and written
 * in turn, one at a time in memory. */
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

/* The manifest entry of a set that is not sent: its place in its origin's run. */
static json_t *withheld_entry(const char *id, const char *origin, int64_t first, int64_t last,
                              const char *kinds, const char *key, const char *prev)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s?, s:b}", "id", id, "origin", origin,
                     "first", (json_int_t)first, "last", (json_int_t)last, "kinds",
                     kinds ? kinds : "mixed", "origin_key", key, "prev",
                     prev && *prev ? prev : NULL, "withheld", 1);
}

/* The origin key and prev of a change set, from its header line (the set was verified when it
 * was cut or received). */
static int header_of(const uint8_t *b, size_t n, char key[65], char prev[65])
{
    const uint8_t *e = memchr(b, '\n', n);
    json_t *h = e ? json_loadb((const char *)b, (size_t)(e - b), 0, NULL) : NULL;
    const char *k = json_string_value(json_object_get(h, "origin_key"));
    const char *p = json_string_value(json_object_get(h, "prev"));
    int ok = k && strlen(k) == 64;
    if (ok) {
        snprintf(key, 65, "%s", k);
        snprintf(prev, 65, "%s", p ? p : "");
    }
    json_decref(h);
    return ok;
}

/* A set for the manifest: sent (its bytes are read later, one set at a time), or its place. */
typedef struct {
    char id[65], origin[AD_UUID_LEN + 1], kinds[64], key[65], prev[65];
    int64_t first, last, len;
    int sent;      /* its bytes go */
    int has_bytes; /* held here (change_set), not a place only (fed_withheld) */
} set_ref;

static ad_code held_set(ad_store *st, set_ref *r, FILE *f, uint8_t **buf, size_t *cap,
                        ad_err *err);

/* The sets for the peer (in manifest order) into *refs and the manifest's list: those of the
 * kinds its policy sends, and places (withheld entries) for the others and for the places held
 * here only. */
static ad_code list_sets(ad_store *st, const ad_fed_peer_row *p, const char *own, int all,
                         set_ref **refs, size_t *n, json_t *list, ad_fed_stats *stats, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT c.id, c.origin, c.first_seq, c.last_seq, c.len, c.kinds,"
                            " c.origin_key, c.prev FROM (SELECT id, origin, first_seq, last_seq,"
                            " COALESCE(len, length(bytes)) AS len, kinds, NULL AS origin_key, NULL AS prev"
                            " FROM change_set UNION ALL SELECT id, origin, first_seq, last_seq,"
                            " NULL, kinds, origin_key, prev FROM fed_withheld) c"
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
        memset(r, 0, sizeof *r);
        ad_col_copy(s, 0, r->id, sizeof r->id);
        ad_col_copy(s, 1, r->origin, sizeof r->origin);
        r->first = ad_col_int(s, 2);
        r->last = ad_col_int(s, 3);
        r->has_bytes = !ad_col_null(s, 4);
        r->len = r->has_bytes ? ad_col_int(s, 4) : 0;
        /* a set cut before schema 16 mixes kinds: sent only to a peer sent every kind */
        unsigned kinds = ad_fed_kinds_col(s, 5);
        if (ad_col_null(s, 5))
            snprintf(r->kinds, sizeof r->kinds, "mixed");
        else
            ad_col_copy(s, 5, r->kinds, sizeof r->kinds);
        if (!ad_col_null(s, 6))
            ad_col_copy(s, 6, r->key, sizeof r->key);
        if (!ad_col_null(s, 7))
            ad_col_copy(s, 7, r->prev, sizeof r->prev);
        r->sent = r->has_bytes && !(kinds & ~p->send);
    }
    ad_db_done(s);
    ad_code rc = k < 0 ? (ad_code)-k : AD_OK;
    /* the manifest's entries (after the statement: a held set's header is another query) */
    for (size_t i = 0; i < *n && rc == AD_OK; i++) {
        set_ref *r = &(*refs)[i];
        int64_t changes = r->last - r->first + 1;
        json_t *ent = NULL;
        if (r->sent) {
            ent = json_pack("{s:s, s:I}", "id", r->id, "len", (json_int_t)r->len);
            stats->sets++;
            stats->changes += changes;
        } else {
            if (r->has_bytes) {
                uint8_t *buf = NULL;
                size_t cap = 0;
                rc = held_set(st, r, NULL, &buf, &cap, err);
                free(buf);
            }
            if (rc != AD_OK)
                break;
            ent = withheld_entry(r->id, r->origin, r->first, r->last, r->kinds, r->key, r->prev);
            stats->withheld += changes;
        }
        if (!ent || json_array_append_new(list, ent))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    return rc;
}

/* Records what was sent, per origin (the manifest order is by origin, then first). */
static ad_code mark_sent(ad_store *st, const ad_fed_peer_row *p, const char *own, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT origin, MAX(last_seq) FROM (SELECT origin, last_seq FROM"
                            " change_set UNION ALL SELECT origin, last_seq FROM fed_withheld) c"
                            " WHERE (origin = ? OR ? = 'national') AND origin <> ? GROUP BY origin",
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
    json_t *m = json_pack("{s:s, s:s, s:s, s:I, s:O, s:{s:I, s:s}}", "format", AD_FED_BUNDLE_FORMAT,
                          "from", own, "from_key", ad_hex_encode(key->pk, 32, pk), "created",
                          (json_int_t)ad_store_time(), "sets", list, "head", "seq",
                          (json_int_t)head_seq, "hash", head_hash);
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

/* A held set read from the store (ad_fed_set_get: its canonical bytes, into *buf): written to f
 * (its length as listed), or, with f NULL (a set not sent), its origin key and prev read from
 * its header. */
static ad_code held_set(ad_store *st, set_ref *r, FILE *f, uint8_t **buf, size_t *cap,
                        ad_err *err)
{
    size_t n = 0;
    ad_code rc = ad_fed_set_get(st, r->id, buf, cap, &n, err);
    if (rc == AD_OK && !f && !header_of(*buf, n, r->key, r->prev))
        rc = ad_err_set(err, AD_ERR_CHECKSUM, "change set %s has no header", r->id);
    else if (rc == AD_OK && f && (int64_t)n != r->len)
        rc = ad_err_set(err, AD_ERR_INTERNAL, "change set %s changed while it was sent", r->id);
    else if (rc == AD_OK && f && fwrite(*buf, 1, n, f) != n)
        rc = ad_err_set(err, AD_ERR_IO, "cannot write the bundle");
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
    uint8_t *buf = NULL; /* one set at a time */
    size_t cap = 0;
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        if (!refs[i].sent)
            continue;
        rc = held_set(st, &refs[i], f, &buf, &cap, err);
        bytes += refs[i].len;
    }
    free(buf);
    if (rc == AD_OK && (fputs(sl, f) == EOF || fflush(f) != 0))
        rc = ad_err_set(err, AD_ERR_IO, "cannot write the bundle");
    bytes += (int64_t)strlen(sl);
    free(line);
    free(refs);
    json_decref(list);
    rc = ad_store_auditf(st, rc, "bundle.export", "peer", p.peer_id, err,
                         "sets=%lld changes=%lld withheld=%lld all=%d", (long long)stats->sets,
                         (long long)stats->changes, (long long)stats->withheld, all);
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
