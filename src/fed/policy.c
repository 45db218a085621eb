/* policy.c: what is shared, per record kind (docs/federation.md "What is shared"): the body
 * of a change as the record stands when its change set is cut. Only the fields of the table
 * leave the instance: digests and PDQ of media (never paths, sightings, thumbnails, flags);
 * series with owner and contact; series links; victims and offenders by code with their
 * identification (no names exist in the store); votes and shared notes and clues with their
 * author as a pseudonym; never cases, notes on cases, private notes, users or custody. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

/* A blob column as hex, or nothing. */
static void put_hex(json_t *o, const char *k, ad_stmt *s, int col)
{
    size_t n = 0;
    const uint8_t *b = ad_col_null(s, col) ? NULL : ad_col_blob(s, col, &n);
    char hex[129];
    if (b && n > 0 && n <= 64)
        json_object_set_new(o, k, json_string(ad_hex_encode(b, n, hex)));
}

static void put_text(json_t *o, const char *k, ad_stmt *s, int col)
{
    if (!ad_col_null(s, col))
        json_object_set_new(o, k, json_string(ad_col_text(s, col)));
}

static void put_int(json_t *o, const char *k, ad_stmt *s, int col)
{
    if (!ad_col_null(s, col))
        json_object_set_new(o, k, json_integer(ad_col_int(s, col)));
}

/* An agency from three columns (name, country, kind): {name, country, kind} or null. */
static json_t *agency(ad_stmt *s, int col)
{
    if (ad_col_null(s, col))
        return json_null();
    json_t *a = json_object();
    put_text(a, "name", s, col);
    put_text(a, "country", s, col + 1);
    put_text(a, "kind", s, col + 2);
    return a;
}

/* A user named across instances: "u:" and 16 hex of SHA-256(origin ":" name): the same user
 * gives the same pseudonym everywhere (votes count once per voter), the name never leaves. */
static json_t *pseudonym(const char *origin, const char *name)
{
    uint8_t h[32];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)origin, strlen(origin));
    crypto_hash_sha256_update(&st, (const uint8_t *)":", 1);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_final(&st, h);
    char hex[65], out[24];
    ad_hex_encode(h, 8, hex);
    snprintf(out, sizeof out, "u:%s", hex);
    return json_string(out);
}

/* Runs a one-row query bound to id; fn builds the body from the row. */
static ad_code one(ad_store *st, const char *sql, int64_t id, json_t **body,
                   json_t *(*fn)(ad_store *st, const char *origin, ad_stmt *s, ad_err *err),
                   const char *origin, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    *body = NULL;
    ad_err e2 = {0};
    if (k > 0)
        *body = fn(st, origin, s, &e2);
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    if (e2.code)
        return ad_err_set(err, e2.code, "%s", e2.msg);
    return AD_OK;
}

static const char media_sql[] = "SELECT sha256, md5, sha1, pdq, pdq_quality, size, mime, width,"
                                " height, duration_ms FROM media WHERE id = ?";
static json_t *media_row(ad_store *st, const char *origin, ad_stmt *s, ad_err *err)
{
    (void)st, (void)origin, (void)err;
    json_t *o = json_object();
    put_hex(o, "sha256", s, 0);
    put_hex(o, "md5", s, 1);
    put_hex(o, "sha1", s, 2);
    put_hex(o, "pdq", s, 3);
    if (!ad_col_null(s, 3))
        put_int(o, "pdq_quality", s, 4);
    put_int(o, "size", s, 5);
    put_text(o, "mime", s, 6);
    put_int(o, "width", s, 7);
    put_int(o, "height", s, 8);
    put_int(o, "duration_ms", s, 9);
    if (json_object_size(o) == 0 || !(json_object_get(o, "sha256") || json_object_get(o, "md5") ||
                                      json_object_get(o, "sha1") || json_object_get(o, "pdq"))) {
        json_decref(o);
        return NULL; /* a media with nothing to find it by is not shared */
    }
    return o;
}

/* A media named by its digests (and PDQ when it has no digest): how records refer to media
 * across instances, whose local ids and gids differ. */
static ad_code media_ref(ad_store *st, int64_t id, json_t **ref, ad_err *err)
{
    static const char sql[] = "SELECT sha256, md5, sha1, pdq FROM media WHERE id = ?";
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    *ref = NULL;
    if (k > 0) {
        json_t *o = json_object();
        put_hex(o, "sha256", s, 0);
        put_hex(o, "md5", s, 1);
        put_hex(o, "sha1", s, 2);
        if (json_object_size(o) == 0)
            put_hex(o, "pdq", s, 3);
        if (json_object_size(o))
            *ref = o;
        else
            json_decref(o);
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

static ad_code gid_of(ad_store *st, const char *sql, int64_t id, json_t **out, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    *out = k > 0 && !ad_col_null(s, 0) ? json_string(ad_col_text(s, 0)) : NULL;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

static const char series_sql[] =
    "SELECT s.gid, s.name, s.contact, s.status, s.created, a.name, a.country, a.kind"
    " FROM series s LEFT JOIN agency a ON a.id = s.owner_agency_id WHERE s.id = ?";
static json_t *series_row(ad_store *st, const char *origin, ad_stmt *s, ad_err *err)
{
    (void)st, (void)origin, (void)err;
    json_t *o = json_object();
    put_text(o, "gid", s, 0);
    put_text(o, "name", s, 1);
    put_text(o, "contact", s, 2);
    put_text(o, "status", s, 3);
    put_int(o, "created", s, 4);
    json_object_set_new(o, "owner", agency(s, 5));
    return o;
}

static const char person_sql[] =
    "SELECT p.gid, p.kind, p.code, s.gid, p.identified, p.identified_at, p.country,"
    " a.name, a.country, a.kind, p.identified_origin, p.created, p.retracted_at"
    " FROM person p JOIN series s ON s.id = p.series_id"
    " LEFT JOIN agency a ON a.id = p.identified_by WHERE p.id = ?";
static json_t *person_row(ad_store *st, const char *origin, ad_stmt *s, ad_err *err)
{
    (void)st, (void)err;
    json_t *o = json_object();
    put_text(o, "gid", s, 0);
    put_text(o, "type", s, 1);
    put_text(o, "code", s, 2);
    put_text(o, "series", s, 3);
    put_int(o, "created", s, 11);
    int identified = ad_col_int(s, 4) != 0;
    json_object_set_new(o, "identified", json_boolean(identified));
    if (identified) {
        put_int(o, "identified_at", s, 5);
        put_text(o, "country", s, 6);
        json_object_set_new(o, "identified_by", agency(s, 7));
        json_object_set_new(o, "identified_origin",
                            json_string(ad_col_null(s, 10) ? origin : ad_col_text(s, 10)));
    } else if (!ad_col_null(s, 12)) {
        put_int(o, "retracted_at", s, 12); /* this origin retracted its identification */
    }
    return o;
}

static const char vote_sql[] =
    "SELECT v.gid, v.media_id, v.scheme, v.code, v.voter, v.created, a.name, a.country, a.kind,"
    " v.withdraws FROM vote v LEFT JOIN agency a ON a.id = v.agency_id WHERE v.id = ?";
static json_t *vote_row(ad_store *st, const char *origin, ad_stmt *s, ad_err *err)
{
    json_t *o = json_object(), *ref = NULL;
    put_text(o, "gid", s, 0);
    if (media_ref(st, ad_col_int(s, 1), &ref, err) != AD_OK || !ref) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "media", ref);
    put_text(o, "scheme", s, 2);
    put_text(o, "code", s, 3);
    json_object_set_new(o, "voter", pseudonym(origin, ad_col_text(s, 4)));
    put_int(o, "created", s, 5);
    json_object_set_new(o, "agency", agency(s, 6));
    if (!ad_col_null(s, 9))
        put_text(o, "withdraws", s, 9); /* a withdrawal of that vote (undo), shared like it */
    return o;
}

/* What a note or clue is on: a media by its digests, a series or person by gid; a case never. */
static json_t *text_on(ad_store *st, const char *type, int64_t id, ad_err *err)
{
    json_t *ref = NULL;
    ad_code rc = AD_OK;
    if (!strcmp(type, "media"))
        rc = media_ref(st, id, &ref, err);
    else if (!strcmp(type, "series"))
        rc = gid_of(st, "SELECT gid FROM series WHERE id = ?", id, &ref, err);
    else if (!strcmp(type, "victim") || !strcmp(type, "offender"))
        rc = gid_of(st, "SELECT gid FROM person WHERE id = ?", id, &ref, err);
    if (rc != AD_OK || !ref)
        return NULL;
    return json_pack("{s:s, s:o}", "type", type, "ref", ref);
}

static const char note_sql[] =
    "SELECT n.gid, n.object_type, n.object_id, n.author, n.body, n.created, n.private,"
    " a.name, a.country, a.kind FROM note n LEFT JOIN agency a ON a.id = n.agency_id"
    " WHERE n.id = ?";
static const char clue_sql[] =
    "SELECT n.gid, n.object_type, n.object_id, n.author, n.value, n.created, n.private,"
    " a.name, a.country, a.kind, n.kind FROM clue n LEFT JOIN agency a ON a.id = n.agency_id"
    " WHERE n.id = ?";
static json_t *text_row(ad_store *st, const char *origin, ad_stmt *s, int clue, ad_err *err)
{
    if (ad_col_int(s, 6) != 0)
        return NULL; /* private: agency evidence */
    json_t *on = text_on(st, ad_col_text(s, 1), ad_col_int(s, 2), err);
    if (!on)
        return NULL; /* on a case, or on a record gone */
    json_t *o = json_object();
    put_text(o, "gid", s, 0);
    json_object_set_new(o, "on", on);
    json_object_set_new(o, "author", pseudonym(origin, ad_col_text(s, 3)));
    put_text(o, "text", s, 4);
    put_int(o, "created", s, 5);
    json_object_set_new(o, "agency", agency(s, 7));
    if (clue)
        put_text(o, "clue_kind", s, 10);
    return o;
}
static json_t *note_row(ad_store *st, const char *origin, ad_stmt *s, ad_err *err)
{
    return text_row(st, origin, s, 0, err);
}
static json_t *clue_row(ad_store *st, const char *origin, ad_stmt *s, ad_err *err)
{
    return text_row(st, origin, s, 1, err);
}

/* An unlink (schema 18): the link it withdraws (series gid, media, generation), by whom. */
static const char unlink_sql[] =
    "SELECT u.gid, s.gid, u.media_id, u.gen, u.author, u.created, a.name, a.country, a.kind"
    " FROM series_unlink u JOIN series s ON s.id = u.series_id LEFT JOIN agency a ON"
    " a.id = u.agency_id WHERE u.id = ?";
static json_t *unlink_row(ad_store *st, const char *origin, ad_stmt *s, ad_err *err)
{
    json_t *o = json_object(), *ref = NULL;
    put_text(o, "gid", s, 0);
    put_text(o, "series", s, 1);
    if (media_ref(st, ad_col_int(s, 2), &ref, err) != AD_OK || !ref) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "media", ref);
    put_int(o, "gen", s, 3);
    json_object_set_new(o, "author", pseudonym(origin, ad_col_text(s, 4)));
    put_int(o, "created", s, 5);
    json_object_set_new(o, "agency", agency(s, 6));
    return o;
}

/* A link's generation when it was made again after an unlink (absent: the first, 1). */
static ad_code link_gen(ad_store *st, int64_t series_id, int64_t media_id, json_t *body,
                        ad_err *err)
{
    ad_stmt *s = ad_db_stmt(
        st->db, "SELECT gen FROM series_media WHERE series_id = ? AND media_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, series_id);
    ad_bind_int(s, 2, media_id);
    int64_t gen = 1;
    ad_code rc = ad_db_int(s, &gen, err);
    if (rc == AD_OK && gen > 1)
        json_object_set_new(body, "gen", json_integer(gen));
    return rc == AD_ERR_NOT_FOUND ? AD_OK : rc;
}

ad_code ad_fed_body(ad_store *st, const char *origin, const char *kind, int64_t a, int64_t b,
                    json_t **body, ad_err *err)
{
    ad_code rc = AD_OK;
    *body = NULL;
    if (!strcmp(kind, "media")) {
        rc = one(st, media_sql, a, body, media_row, origin, err);
        json_t *frames = NULL;
        if (rc == AD_OK && *body)
            rc = ad_fed_frames_body(st, a, &frames, err);
        if (frames)
            json_object_set_new(*body, "vpdq", frames);
    } else if (!strcmp(kind, "series")) {
        rc = one(st, series_sql, a, body, series_row, origin, err);
    } else if (!strcmp(kind, "link")) {
        json_t *series = NULL, *ref = NULL;
        rc = gid_of(st, "SELECT gid FROM series WHERE id = ?", a, &series, err);
        if (rc == AD_OK)
            rc = media_ref(st, b, &ref, err);
        if (rc == AD_OK && series && ref)
            *body = json_pack("{s:o, s:o}", "series", series, "media", ref);
        else
            json_decref(series), json_decref(ref);
        if (rc == AD_OK && *body)
            rc = link_gen(st, a, b, *body, err);
    } else if (!strcmp(kind, "person")) {
        rc = one(st, person_sql, a, body, person_row, origin, err);
    } else if (!strcmp(kind, "vote")) {
        rc = one(st, vote_sql, a, body, vote_row, origin, err);
    } else if (!strcmp(kind, "note")) {
        rc = one(st, note_sql, a, body, note_row, origin, err);
    } else if (!strcmp(kind, "clue")) {
        rc = one(st, clue_sql, a, body, clue_row, origin, err);
    } else if (!strcmp(kind, "merge")) {
        rc = ad_fed_merge_body(st, origin, a, body, err);
    } else if (!strcmp(kind, "unlink")) {
        rc = one(st, unlink_sql, a, body, unlink_row, origin, err);
    }
    if (rc != AD_OK) {
        json_decref(*body);
        *body = NULL;
        return rc;
    }
    if (*body)
        json_object_set_new(*body, "kind", json_string(kind));
    return AD_OK;
}
