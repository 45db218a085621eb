/* bundle_in.c: reading a peer's bundle (docs/federation.md "Bundles"): the whole bundle
 * verified (every hash and signature, every key and the sender's scope, every origin's run)
 * before anything is written, then applied in one transaction with the merge rules; the
 * witnessed audit heads kept. A set the sender withheld (its place only) or of a kind this
 * instance's policy refuses from its sender or author is kept as a place (fed_withheld), so
 * that its origin's run continues, and nothing of its changes is written ("Policy per peer").
 * Read from a file in two passes, one change set at a time in memory. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

static ad_code peer_by_key(ad_store *st, const char *pk, ad_fed_peer_row *p, int *found,
                           ad_err *err)
{
    return ad_fed_peer_find(st, pk, 1, p, found, err);
}

#define KNOWN_MAX ((size_t)1 << 20)

typedef struct {
    ad_fed_set set;
    int own;      /* this instance's own change set come back: nothing to do */
    int64_t from; /* apply changes from this seq on (earlier ones are here already) */
    int withheld; /* the sender sent its place only (no bytes) */
    int refused;  /* of a kind this instance does not accept from its sender or author */
    char kinds[64];
} item;

/* Checks every set against the trust and what the store holds; nothing is written. */
static ad_code check_sets(ad_store *st, const char *own, const char *own_key,
                          const ad_fed_peer_row *sender, const char *sender_key, item *it, size_t n,
                          ad_err *err)
{
    for (size_t i = 0; i < n; i++) {
        ad_fed_set *s = &it[i].set;
        if (!strcmp(s->origin_key, own_key) || !strcmp(s->origin, own)) {
            if (strcmp(s->origin_key, own_key) || strcmp(s->origin, own))
                return ad_err_set(err, AD_ERR_PERM,
                                  "change set %s claims this instance's origin or key with the "
                                  "other's not matching (forged)",
                                  s->id);
            it[i].own = 1;
            continue;
        }
        ad_fed_peer_row author;
        int found;
        ad_code rc = peer_by_key(st, s->origin_key, &author, &found, err);
        if (rc != AD_OK)
            return rc;
        if (!found)
            return ad_err_set(err, AD_ERR_PERM,
                              "change set %s is signed by key %s, which no 'peer add' named", s->id,
                              s->origin_key);
        if (author.origin[0] && strcmp(author.origin, s->origin))
            return ad_err_set(err, AD_ERR_PERM,
                              "change set %s claims origin %s, but its key belongs to origin %s",
                              s->id, s->origin, author.origin);
        if (strcmp(s->origin_key, sender_key) && strcmp(sender->scope, "hub"))
            return ad_err_set(err, AD_ERR_PERM,
                              "change set %s of origin %s was relayed by a peer of scope %s: "
                              "only a hub may relay other origins' change sets",
                              s->id, s->origin, sender->scope);
        /* another key's origin: refused */
        ad_stmt *q = ad_db_stmt(
            st->db, "SELECT COUNT(*) FROM fed_peer WHERE origin = ? AND pubkey <> ?", err);
        int64_t other = 0;
        if (!q)
            return AD_ECODE(err);
        ad_bind_text(q, 1, s->origin);
        ad_bind_text(q, 2, s->origin_key);
        if ((rc = ad_db_int(q, &other, err)) != AD_OK)
            return rc;
        if (other)
            return ad_err_set(err, AD_ERR_PERM,
                              "change set %s claims origin %s, which another peer's key holds",
                              s->id, s->origin);
        /* contiguity with what is here and what came before in the bundle */
        int64_t last = 0;
        char prev[65];
        if ((rc = ad_fed_last_set(st, s->origin, &last, prev, err)) != AD_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(it[j].set.origin, s->origin) && it[j].set.last > last) {
                last = it[j].set.last;
                snprintf(prev, sizeof prev, "%s", it[j].set.id);
            }
        if (s->first > last + 1)
            return ad_err_set(err, AD_ERR_NOT_FOUND,
                              "change set %s of origin %s starts at %lld, but this instance has "
                              "its changes up to %lld only (a gap: export from the cursor again)",
                              s->id, s->origin, (long long)s->first, (long long)last);
        if (s->first == last + 1 && prev[0] && strcmp(prev, s->prev))
            return ad_err_set(err, AD_ERR_PERM,
                              "change set %s of origin %s does not follow the origin's previous "
                              "set %s (its prev is %s)",
                              s->id, s->origin, prev, s->prev[0] ? s->prev : "null");
        it[i].from = last + 1;
        if (!it[i].withheld && (s->kinds & ~(author.accept & sender->accept))) {
            it[i].refused = 1;
            ad_fed_kinds_format(s->kinds, it[i].kinds);
        }
    }
    return AD_OK;
}

/* Keeps the place of a set whose changes are not here (withheld or refused). */
static ad_code keep_place(ad_store *st, const item *it, ad_err *err)
{
    const ad_fed_set *s = &it->set;
    ad_stmt *q = ad_db_stmt(st->db,
                            "INSERT INTO fed_withheld (id, origin, origin_key, first_seq, last_seq,"
                            " prev, kinds, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                            " ON CONFLICT DO NOTHING",
                            err);
    if (!q)
        return AD_ECODE(err);
    ad_bind_text(q, 1, s->id);
    ad_bind_text(q, 2, s->origin);
    ad_bind_text(q, 3, s->origin_key);
    ad_bind_int(q, 4, s->first);
    ad_bind_int(q, 5, s->last);
    ad_bind_text_opt(q, 6, s->prev[0] ? s->prev : NULL);
    ad_bind_text_opt(q, 7, it->kinds[0] ? it->kinds : NULL);
    ad_bind_int(q, 8, ad_store_time());
    return ad_db_run(q, err);
}

static int hex_ok(const char *h, size_t n)
{
    if (!h || strlen(h) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", h[i]))
            return 0;
    return 1;
}

/* A manifest entry of a withheld set: its place in its origin's run, claimed by the sender. */
static ad_code read_withheld(const json_t *ent, size_t i, item *it, ad_err *err)
{
    const char *id = json_string_value(json_object_get(ent, "id"));
    const char *origin = json_string_value(json_object_get(ent, "origin"));
    const char *key = json_string_value(json_object_get(ent, "origin_key"));
    const char *kinds = json_string_value(json_object_get(ent, "kinds"));
    json_t *prev = json_object_get(ent, "prev");
    json_int_t first = json_integer_value(json_object_get(ent, "first"));
    json_int_t last = json_integer_value(json_object_get(ent, "last"));
    if (!hex_ok(id, 64) || !origin || strlen(origin) != AD_UUID_LEN || !hex_ok(key, 64) || !kinds ||
        strlen(kinds) >= sizeof it->kinds || first < 1 || last < first ||
        !(json_is_null(prev) || !prev || hex_ok(json_string_value(prev), 64)))
        return ad_err_set(err, AD_ERR_PARSE,
                          "the manifest's entry %zu (a withheld set) is malformed", i + 1);
    it->withheld = 1;
    snprintf(it->set.id, sizeof it->set.id, "%s", id);
    snprintf(it->set.origin, sizeof it->set.origin, "%s", origin);
    snprintf(it->set.origin_key, sizeof it->set.origin_key, "%s", key);
    snprintf(it->set.prev, sizeof it->set.prev, "%s",
             json_is_string(prev) ? json_string_value(prev) : "");
    snprintf(it->kinds, sizeof it->kinds, "%s", kinds);
    it->set.first = first;
    it->set.last = last;
    return AD_OK;
}

typedef struct {
    ad_fed_batch batch;
    int64_t from;
    ad_fed_stats *stats;
} apply_ctx;

static ad_code apply_one(void *ctx, const char *line, size_t n, int64_t seq, ad_err *err)
{
    apply_ctx *c = ctx;
    if (seq < c->from) {
        c->stats->skipped++;
        return AD_OK;
    }
    c->stats->applied++;
    return ad_fed_batch_add_line(&c->batch, line, n, err);
}

/* Keeps origin's audit head as its witness (a later one only). */
static ad_code witness_put(ad_store *st, const char *origin, int64_t seq, const char *hash,
                           ad_err *err)
{
    ad_stmt *q = ad_db_stmt(st->db,
                            "INSERT INTO witness (origin, seq, hash, received) VALUES (?, ?, ?, ?)"
                            " ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq,"
                            " hash = excluded.hash, received = excluded.received"
                            " WHERE excluded.seq > witness.seq",
                            err);
    if (!q)
        return AD_ECODE(err);
    ad_bind_text(q, 1, origin);
    ad_bind_int(q, 2, seq);
    ad_bind_text(q, 3, hash);
    ad_bind_int(q, 4, ad_store_time());
    return ad_db_run(q, err);
}

/* Binds a peer's key to its origin UUID (the first signed claim of it). */
static ad_code bind_origin(ad_store *st, const char *key, const char *origin, ad_err *err)
{
    ad_stmt *q = ad_db_stmt(st->db, "UPDATE fed_peer SET origin = ? WHERE pubkey = ?", err);
    if (!q)
        return AD_ECODE(err);
    ad_bind_text(q, 1, origin);
    ad_bind_text(q, 2, key);
    return ad_db_run(q, err);
}

/* Keeps a set applied (for relaying): its compression (job, started before it was applied)
 * stored (setstore.c). */
static ad_code store_set(ad_store *st, const item *it, const ad_fed_peer_row *author,
                         ad_fed_zjob *job, ad_err *err)
{
    const ad_fed_set *s = &it->set;
    char kinds[64];
    ad_code rc = ad_fed_zjob_put(job, st, s->id, s->origin, s->first, s->last,
                                 ad_fed_kinds_format(s->kinds, kinds), 1, err); /* as read */
    if (rc == AD_OK && !author->origin[0])
        rc = bind_origin(st, s->origin_key, s->origin, err);
    if (rc == AD_OK)
        rc = witness_put(st, s->origin, s->head_seq, s->head_hash, err);
    return rc;
}

/* The change log's triggers (schema 12: fed_*) while a bundle is applied, SQLite: they write
 * nothing then (instance.fed_applying), but each still runs per row written (its WHEN's query)
 * and makes every insert keep a statement journal. They are dropped inside the import's
 * transaction and made again from their own stored text before it commits; a failed import
 * rolls back both. Other connections never see them missing (they see the commit). */
int ad_fed_drop_triggers = 1;

typedef struct {
    char **sql;
    size_t n;
} fed_triggers;

static void triggers_free(fed_triggers *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->sql[i]);
    free(t->sql);
    memset(t, 0, sizeof *t);
}

static ad_code triggers_drop(ad_store *st, fed_triggers *t, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                            " AND name LIKE 'fed\\_%' ESCAPE '\\' ORDER BY name",
                            err);
    if (!s)
        return AD_ECODE(err);
    char names[32][64];
    size_t n = 0;
    int k;
    ad_code rc = AD_OK;
    while (rc == AD_OK && (k = ad_step(s, err)) > 0) {
        const char *name = ad_col_text(s, 0), *sql = ad_col_text(s, 1);
        if (!name || !sql || n == 32 || strlen(name) >= sizeof names[0]) {
            rc = ad_err_set(err, AD_ERR_INTERNAL, "the change log's triggers cannot be listed");
            break;
        }
        char **grown = realloc(t->sql, (t->n + 1) * sizeof *grown);
        if (!grown) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            break;
        }
        t->sql = grown;
        if (!(t->sql[t->n] = strdup(sql))) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            break;
        }
        t->n++;
        snprintf(names[n++], sizeof names[0], "%s", name);
    }
    ad_db_done(s);
    if (rc == AD_OK && k < 0)
        rc = (ad_code)-k;
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP TRIGGER \"%s\"", names[i]);
        rc = st->db->ops->exec(st->db, sql, err);
    }
    return rc;
}

static ad_code triggers_make(ad_store *st, fed_triggers *t, ad_err *err)
{
    ad_code rc = AD_OK;
    for (size_t i = 0; i < t->n && rc == AD_OK; i++)
        rc = st->db->ops->exec(st->db, t->sql[i], err);
    triggers_free(t);
    return rc;
}

static ad_code set_applying(ad_store *st, int on, fed_triggers *t, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "UPDATE instance SET fed_applying = ? WHERE id = 1", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, on);
    ad_code rc = ad_db_run(s, err);
    if (rc != AD_OK || st->db->is_pg || !ad_fed_drop_triggers)
        return rc;
    return on ? triggers_drop(st, t, err) : triggers_make(st, t, err);
}

int64_t ad_fed_bulk_min = 50000;
int64_t ad_fed_bulk_loads;

/* 1 if the bundle is a bulk load for this store: its media changes not here yet are at least
 * ad_fed_bulk_min and at least the media the store holds (the indexes are then made again over
 * at most twice the rows the load brings). */
static ad_code bulk_load(ad_store *st, const item *it, size_t n, int *bulk, ad_err *err)
{
    *bulk = 0;
    int64_t fresh = 0, held = 0;
    for (size_t i = 0; i < n; i++)
        if (!it[i].own && !it[i].withheld && !it[i].refused && (it[i].set.kinds & 1u) &&
            it[i].set.last >= it[i].from)
            fresh += it[i].set.last - it[i].from + 1;
    if (st->db->is_pg || ad_fed_bulk_min <= 0 || fresh < ad_fed_bulk_min)
        return AD_OK;
    ad_stmt *s = ad_db_stmt(st->db, "SELECT COALESCE(MAX(id), 0) FROM media", err);
    if (!s)
        return AD_ECODE(err);
    ad_code rc = ad_db_int(s, &held, err);
    *bulk = rc == AD_OK && fresh >= held;
    return rc;
}

#define MAX_MANIFEST ((size_t)64 << 20) /* ~700,000 sets */
#define MAX_SIG_LINE 1024
#define MAX_SET ((size_t)256 << 20) /* a set is held whole: cut.c makes them far smaller */

/* One line of f (with its newline) into a malloc'd *line, at most max bytes; 0 when there is
 * no newline within max bytes or before the end. */
static int read_line(FILE *f, size_t max, char **line, size_t *n)
{
    size_t cap = 256, k = 0;
    char *p = malloc(cap);
    int c = 0;
    while (p && k < max && (c = getc(f)) != EOF) {
        if (k + 1 >= cap) {
            char *q = realloc(p, cap *= 2);
            if (!q)
                break;
            p = q;
        }
        p[k++] = (char)c;
        if (c == '\n')
            break;
    }
    if (!p || !k || p[k - 1] != '\n') {
        free(p);
        return 0;
    }
    p[k] = 0;
    *line = p;
    *n = k;
    return 1;
}

/* Exactly n bytes of f into *buf (grown as needed); 0 when the file ends first. */
static int read_bytes(FILE *f, size_t n, uint8_t **buf, size_t *cap)
{
    if (n > *cap) {
        uint8_t *q = realloc(*buf, n);
        if (!q)
            return 0;
        *buf = q;
        *cap = n;
    }
    return fread(*buf, 1, n, f) == n;
}

/* What pass one read of a bundle: its manifest (line and parsed), its signature line, every
 * set's verified header (the bytes are read again, set by set, to be applied). */
typedef struct {
    json_t *manifest;
    char *mline, *sline;
    size_t ml, sl;
    item *it;
    size_t n;
    char sender_key[65];
    int64_t len;
    uint8_t *buf; /* one set at a time */
    size_t cap;
    /* the batch's SHA-256 -> id map, carried from one set to the next of the same origin: a
     * cut makes one set per kind, so the links come in the set after their media's */
    struct ad_fed_known *known;
    size_t nknown, kcap;
    char known_origin[AD_UUID_LEN + 1];
} bundle;

static void bundle_free(bundle *b)
{
    json_decref(b->manifest);
    free(b->mline);
    free(b->sline);
    free(b->it);
    free(b->buf);
    free(b->known);
}

/* Set i of the bundle, read from f where it starts, verified (its hash, signature and lines)
 * and the one the manifest names. */
static ad_code read_set(bundle *b, FILE *f, size_t i, size_t len, const char *id, ad_err *err)
{
    if (len == 0 || len > MAX_SET)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "change set %zu of %zu is %zu bytes: not 1 to %zu (damaged?)", i + 1,
                          b->n, len, MAX_SET);
    if (!read_bytes(f, len, &b->buf, &b->cap))
        return ferror(f) ? ad_err_set(err, AD_ERR_IO, "cannot read the bundle")
                         : ad_err_set(err, AD_ERR_CHECKSUM,
                                      "the bundle ends inside change set %zu of %zu (truncated)",
                                      i + 1, b->n);
    ad_code rc = ad_fed_set_read(b->buf, len, &b->it[i].set, err);
    if (rc != AD_OK)
        return rc;
    if (strcmp(b->it[i].set.id, id))
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "change set %zu is not the one the manifest names (%s)", i + 1, id);
    return AD_OK;
}

static const char *set_id(const bundle *b, size_t i, json_int_t *len)
{
    json_t *ent = json_array_get(json_object_get(b->manifest, "sets"), i);
    json_t *l = json_object_get(ent, "len");
    *len = json_is_integer(l) ? json_integer_value(l) : -1;
    return json_string_value(json_object_get(ent, "id"));
}

/* Pass one: reads and verifies the manifest, its signature and every set, one set at a time in
 * memory; nothing touches the store. */
static ad_code read_bundle(FILE *f, bundle *b, ad_err *err)
{
    if (!read_line(f, MAX_MANIFEST, &b->mline, &b->ml))
        return ad_err_set(err, AD_ERR_CHECKSUM, "not a bundle: no manifest line (truncated?)");
    json_error_t je;
    json_t *m = json_loadb(b->mline, b->ml - 1, JSON_REJECT_DUPLICATES, &je);
    const char *fmt = json_string_value(json_object_get(m, "format"));
    const char *key = json_string_value(json_object_get(m, "from_key"));
    json_t *sets = json_object_get(m, "sets");
    if (!m || !fmt || strcmp(fmt, AD_FED_BUNDLE_FORMAT) || !key || strlen(key) != 64 ||
        !json_is_array(sets)) {
        json_decref(m);
        return ad_err_set(err, AD_ERR_VERSION, "not a bundle of format %s", AD_FED_BUNDLE_FORMAT);
    }
    b->manifest = m;
    snprintf(b->sender_key, sizeof b->sender_key, "%s", key);
    /* the sets, by the manifest's lengths, then the signature line, then nothing */
    b->n = json_array_size(sets);
    b->it = calloc(b->n ? b->n : 1, sizeof *b->it);
    if (!b->it)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    b->len = (int64_t)b->ml;
    for (size_t i = 0; i < b->n; i++) {
        json_t *ent = json_array_get(sets, i);
        if (json_is_true(json_object_get(ent, "withheld"))) { /* a place: no bytes */
            ad_code rc = read_withheld(ent, i, &b->it[i], err);
            if (rc != AD_OK)
                return rc;
            continue;
        }
        json_int_t l;
        const char *id = set_id(b, i, &l);
        if (!id || l <= 0)
            return ad_err_set(err, AD_ERR_CHECKSUM,
                              "the bundle ends inside change set %zu of %zu (truncated)", i + 1,
                              b->n);
        ad_code rc = read_set(b, f, i, (size_t)l, id, err);
        if (rc != AD_OK)
            return rc;
        b->it[i].set.bytes = NULL; /* read again when applied */
        b->len += l;
    }
    uint8_t sig[64], pk[32];
    char sighex[129] = {0};
    int ok = read_line(f, MAX_SIG_LINE, &b->sline, &b->sl) && getc(f) == EOF;
    json_t *sl = ok ? json_loadb(b->sline, b->sl - 1, 0, &je) : NULL;
    const char *sv = json_string_value(json_object_get(sl, "sig"));
    ok = ok && sv && strlen(sv) == 128;
    if (ok)
        memcpy(sighex, sv, 128);
    json_decref(sl);
    if (!ok || ad_hex_decode(sighex, 128, sig, 64, NULL) != AD_OK ||
        ad_hex_decode(key, 64, pk, 32, NULL) != AD_OK)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "the bundle's signature line is missing or malformed (truncated?)");
    b->len += (int64_t)b->sl;
    if (!ad_fed_verify(pk, AD_FED_BUNDLE_CONTEXT, (const uint8_t *)b->mline, b->ml, sig))
        return ad_err_set(err, AD_ERR_PERM,
                          "the bundle's signature does not match its manifest and key");
    return AD_OK;
}

/* The manifest's witness of this instance's head, kept with the signed manifest (the manifest
 * line and the signature line) as the proof: a later head only. */
static ad_code keep_witnessed(ad_store *st, const char *own, int64_t peer, const bundle *b,
                              ad_err *err)
{
    json_t *w = json_object_get(b->manifest, "witness");
    const char *origin = json_string_value(json_object_get(w, "origin"));
    const char *hash = json_string_value(json_object_get(w, "hash"));
    json_t *seq = json_object_get(w, "seq");
    if (!origin || strcmp(origin, own) || !hash || strlen(hash) != 64 || !json_is_integer(seq))
        return AD_OK;
    uint8_t *proof = malloc(b->ml + b->sl);
    if (!proof)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    memcpy(proof, b->mline, b->ml);
    memcpy(proof + b->ml, b->sline, b->sl);
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO fed_witnessed (peer_id, seq, hash, manifest, received)"
                            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (peer_id) DO UPDATE SET"
                            " seq = excluded.seq, hash = excluded.hash,"
                            " manifest = excluded.manifest, received = excluded.received"
                            " WHERE excluded.seq >= fed_witnessed.seq",
                            err);
    ad_code rc = AD_OK;
    if (!s) {
        rc = AD_ECODE(err);
    } else {
        ad_bind_int(s, 1, peer);
        ad_bind_int(s, 2, json_integer_value(seq));
        ad_bind_text(s, 3, hash);
        ad_bind_blob(s, 4, proof, b->ml + b->sl);
        ad_bind_int(s, 5, ad_store_time());
        rc = ad_db_run(s, err);
    }
    free(proof);
    return rc;
}

/* The sender's own audit head, signed in its manifest: kept as its witness (a later one only);
 * the sender's origin is bound to its key here when no change set bound it yet. */
static ad_code keep_sender_head(ad_store *st, const ad_fed_peer_row *sender, const char *key,
                                const json_t *m, ad_err *err)
{
    const char *from = json_string_value(json_object_get(m, "from"));
    json_t *h = json_object_get(m, "head");
    const char *hash = json_string_value(json_object_get(h, "hash"));
    json_t *seq = json_object_get(h, "seq");
    if (!from || strlen(from) != AD_UUID_LEN || !hash || strlen(hash) != 64 ||
        !json_is_integer(seq))
        return AD_OK;
    if (sender->origin[0] && strcmp(sender->origin, from))
        return ad_err_set(err, AD_ERR_PERM,
                          "the bundle claims to come from origin %s, but its key belongs to %s",
                          from, sender->origin);
    ad_code rc = sender->origin[0] ? AD_OK : bind_origin(st, key, from, err);
    return rc == AD_OK ? witness_put(st, from, json_integer_value(seq), hash, err) : rc;
}

/* Pass two, inside the transaction: set i read again (the same bytes as pass one's, or the
 * bundle is refused), applied from its first change not here yet, and kept. */
static ad_code apply_set(ad_store *st, bundle *b, FILE *f, size_t i, ad_fed_stats *stats,
                         ad_err *err)
{
    item *it = &b->it[i];
    ad_code rc = AD_OK;
    if (!it->withheld) { /* a withheld entry has no bytes in the bundle */
        char id[65];
        json_int_t l;
        memcpy(id, it->set.id, sizeof id);
        set_id(b, i, &l);
        /* the bytes pass one verified, or nothing (the file changed in between) */
        if (l <= 0 || (size_t)l != it->set.len || !read_bytes(f, (size_t)l, &b->buf, &b->cap) ||
            !ad_fed_set_same(&it->set, b->buf, (size_t)l))
            return ad_err_set(err, AD_ERR_CHECKSUM,
                              "the bundle changed while it was read (change set %zu, %s)", i + 1,
                              id);
        it->set.bytes = b->buf;
    }
    int64_t changes = it->set.last - it->set.first + 1;
    if (it->own || it->set.last < it->from) {
        if (!it->withheld)
            stats->sets++, stats->changes += changes, stats->skipped += changes;
        return AD_OK;
    }
    if (it->withheld || it->refused) {
        int64_t fresh = it->set.last - it->from + 1;
        if (it->withheld) {
            stats->withheld += fresh;
        } else {
            stats->sets++, stats->changes += changes, stats->skipped += changes - fresh;
            stats->refused += fresh;
            unsigned m = 0;
            ad_fed_kinds_parse(it->kinds, &m, NULL);
            stats->refused_kinds |= m;
        }
        rc = keep_place(st, it, err);
        ad_fed_peer_row author;
        int found;
        if (rc == AD_OK && it->refused) /* verified: its origin and head are known */
            rc = peer_by_key(st, it->set.origin_key, &author, &found, err);
        if (rc == AD_OK && it->refused && !author.origin[0])
            rc = bind_origin(st, it->set.origin_key, it->set.origin, err);
        if (rc == AD_OK && it->refused)
            rc = witness_put(st, it->set.origin, it->set.head_seq, it->set.head_hash, err);
        return rc;
    }
    stats->sets++;
    stats->changes += changes;
    /* its stored form made on a thread of its own while it is applied */
    ad_fed_zjob *job = NULL;
    if ((rc = ad_fed_zjob_start(it->set.bytes, it->set.len, &job, err)) != AD_OK)
        return rc;
    apply_ctx c = {.from = it->from, .stats = stats};
    ad_fed_batch_init(&c.batch, st, it->set.origin);
    if (b->known && !strcmp(b->known_origin, it->set.origin)) {
        c.batch.known = b->known;
        c.batch.nknown = b->nknown;
        c.batch.kcap = b->kcap;
    } else {
        free(b->known);
    }
    b->known = NULL;
    rc = ad_fed_set_each(&it->set, apply_one, &c, err);
    if (rc == AD_OK)
        rc = ad_fed_batch_flush(&c.batch, err);
    /* kept for the next set of the origin: a cut sends all its media runs before the links'
     * runs, so every media of the bundle is wanted (without the map, each link is a lookup
     * by SHA-256 in the store); up to KNOWN_MAX media: 40 bytes a slot, at most 2 slots a
     * media (84 MB at 1M media), then dropped (the lookups give the same answer) */
    if (rc == AD_OK && c.batch.known && c.batch.nknown <= KNOWN_MAX) {
        b->known = c.batch.known;
        b->nknown = c.batch.nknown;
        b->kcap = c.batch.kcap;
        snprintf(b->known_origin, sizeof b->known_origin, "%s", it->set.origin);
        c.batch.known = NULL;
    }
    ad_fed_batch_free(&c.batch);
    ad_fed_peer_row author;
    int found;
    if (rc == AD_OK)
        rc = peer_by_key(st, it->set.origin_key, &author, &found, err);
    if (rc == AD_OK)
        rc = store_set(st, it, &author, job, err);
    else
        ad_fed_zjob_free(job);
    return rc;
}

ad_code ad_fed_bundle_import_file(ad_store *st, FILE *f, ad_fed_stats *stats, ad_err *err)
{
    memset(stats, 0, sizeof *stats);
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    bundle b = {0};
    char own[AD_UUID_LEN + 1], own_key[AD_FED_PUBKEY_HEX + 1];
    ad_fed_peer_row sender = {0};
    int found = 0;
    off_t start = ftello(f);
    ad_code rc = start < 0
                     ? ad_err_set(err, AD_ERR_IO, "the bundle cannot be read twice (not a file)")
                     : read_bundle(f, &b, err);
    stats->bytes = b.len;
    /* SQLite writes a statement journal for every statement that fires triggers inside a
     * transaction; in a temporary file (the default) that was half of a large import's time.
     * Each statement here touches a few rows, so their journals are small in memory. */
    int sqlite = !st->db->is_pg && st->depth == 0;
    if (rc == AD_OK && sqlite)
        rc = st->db->ops->exec(st->db, "PRAGMA temp_store = MEMORY", err);
    if (rc == AD_OK)
        rc = ad_store_begin(st, err);
    else
        goto out;
    if (rc != AD_OK)
        goto out;
    rc = ad_fed_own(st, own, own_key, err);
    if (rc == AD_OK)
        rc = peer_by_key(st, b.sender_key, &sender, &found, err);
    if (rc == AD_OK && !found)
        rc = ad_err_set(err, AD_ERR_PERM, "the bundle comes from key %s, which no 'peer add' named",
                        b.sender_key);
    if (rc == AD_OK)
        rc = check_sets(st, own, own_key, &sender, b.sender_key, b.it, b.n, err);
    /* everything verified: apply, the change log's triggers off */
    fed_triggers trig = {0};
    int bulk = 0;
    if (rc == AD_OK)
        rc = set_applying(st, 1, &trig, err);
    if (rc == AD_OK)
        rc = bulk_load(st, b.it, b.n, &bulk, err);
    if (rc == AD_OK && bulk) {
        rc = ad_store_media_ix_off(st, err);
        __atomic_add_fetch(&ad_fed_bulk_loads, 1, __ATOMIC_RELAXED); /* imports on threads */
    }
    if (rc == AD_OK && fseeko(f, start + (off_t)b.ml, SEEK_SET) != 0)
        rc = ad_err_set(err, AD_ERR_IO, "the bundle cannot be read twice");
    for (size_t i = 0; i < b.n && rc == AD_OK; i++)
        rc = apply_set(st, &b, f, i, stats, err);
    if (rc == AD_OK)
        rc = ad_store_media_ix_on(st, err); /* made again (a no-op when none was dropped) */
    ad_store_media_ix_forget(st);          /* failed: the rollback restores them */
    if (rc == AD_OK)
        rc = set_applying(st, 0, &trig, err);
    triggers_free(&trig);
    if (rc == AD_OK)
        rc = keep_witnessed(st, own, sender.peer_id, &b, err);
    if (rc == AD_OK)
        rc = keep_sender_head(st, &sender, b.sender_key, b.manifest, err);
    rc = ad_store_auditf(st, rc, "bundle.import", "peer", sender.peer_id, err,
                         "sets=%lld changes=%lld applied=%lld skipped=%lld withheld=%lld"
                         " refused=%lld",
                         (long long)stats->sets, (long long)stats->changes,
                         (long long)stats->applied, (long long)stats->skipped,
                         (long long)stats->withheld, (long long)stats->refused);
    rc = ad_store_finish(st, rc, err);
out:
    if (sqlite)
        st->db->ops->exec(st->db, "PRAGMA temp_store = DEFAULT", NULL);
    bundle_free(&b);
    if (rc != AD_OK) {
        stats->applied = 0;
        ad_err_prefix(err, "bundle rejected, nothing written");
    }
    return rc;
}

ad_code ad_fed_bundle_import(ad_store *st, const uint8_t *buf, size_t len, ad_fed_stats *stats,
                             ad_err *err)
{
    FILE *f = len ? fmemopen((void *)buf, len, "rb") : NULL;
    if (!f) {
        memset(stats, 0, sizeof *stats);
        if (len)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        ad_err_set(err, AD_ERR_CHECKSUM, "not a bundle: no manifest line (truncated?)");
        ad_err_prefix(err, "bundle rejected, nothing written");
        return AD_ERR_CHECKSUM;
    }
    ad_code rc = ad_fed_bundle_import_file(st, f, stats, err);
    fclose(f);
    return rc;
}
