/* apply.c: one change of another origin into this store, with the merge rules
 * (docs/federation.md "Merge rules"): media merged by digest, hashes only added; a series
 * changed by its owner origin only, two series of different origins both kept; links and votes
 * added, never removed or overwritten; identification monotonic. Runs inside the bundle's
 * transaction, with the change log's triggers off (the change travels as its origin's set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t num(const json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static ad_code bad(ad_err *err, const char *origin, const json_t *ch, const char *what)
{
    char w[sizeof err->msg]; /* what may be err->msg itself: never read what is written */
    snprintf(w, sizeof w, "%s", what);
    return ad_err_set(err, AD_ERR_PARSE, "change %lld of origin %s: %s",
                      (long long)num(ch, "seq", 0), origin, w);
}

/* The origin part of a gid ("<uuid>:<kind>:<id>"): 1 if it is `origin`. */
static int gid_of_origin(const char *gid, const char *origin)
{
    return gid && !strncmp(gid, origin, AD_UUID_LEN) && gid[AD_UUID_LEN] == ':';
}

/* An agency {name, country, kind} found by name, created when missing; 0 for null. */
static ad_code agency(ad_store *st, const json_t *a, int64_t *id, ad_err *err)
{
    *id = 0;
    if (!json_is_object(a))
        return AD_OK;
    const char *name = str(a, "name"), *kind = str(a, "kind");
    if (!name || !*name)
        return ad_err_set(err, AD_ERR_PARSE, "an agency without a name");
    ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM agency WHERE name = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, name);
    ad_code rc = ad_db_int(s, id, err);
    if (rc != AD_ERR_NOT_FOUND)
        return rc;
    s = ad_db_stmt(st->db,
                   "INSERT INTO agency (name, country, kind, created) VALUES (?, ?, ?, ?)"
                   " RETURNING id",
                   err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, name);
    ad_bind_text_opt(s, 2, str(a, "country"));
    ad_bind_text(s, 3, kind && ad_agency_kind_valid(kind) ? kind : "police");
    ad_bind_int(s, 4, ad_store_time());
    return ad_db_int(s, id, err);
}

/* Fills m from a media object's digests and facts; AD_ERR_PARSE when a digest is malformed. */
static ad_code media_from(const json_t *o, ad_media *m, ad_err *err)
{
    memset(m, 0, sizeof *m);
    m->pdq_quality = -1;
    m->size = -1;
    static const char *const keys[] = {"sha256", "md5", "sha1", "pdq"};
    int any = 0;
    for (int i = 0; i < 4; i++) {
        const char *h = str(o, keys[i]);
        if (!h)
            continue;
        size_t want = i == 1 ? 32 : i == 2 ? 40 : 64;
        if (strlen(h) != want || ad_media_set_hash_hex(m, h, i == 3, NULL) != AD_OK)
            return ad_err_set(err, AD_ERR_PARSE, "a media's %s is malformed", keys[i]);
        any = 1;
    }
    if (!any)
        return ad_err_set(err, AD_ERR_PARSE, "a media without any digest");
    int64_t q = num(o, "pdq_quality", -1), w = num(o, "width", 0), h = num(o, "height", 0);
    m->pdq_quality = q >= 0 && q <= 100 ? (int)q : -1;
    m->size = num(o, "size", -1);
    m->mime = str(o, "mime");
    m->width = w > 0 && w < (1 << 30) ? (int)w : 0;
    m->height = h > 0 && h < (1 << 30) ? (int)h : 0;
    m->duration_ms = num(o, "duration_ms", 0);
    return AD_OK;
}

/* The vPDQ frames of a media change (none: *f NULL). */
static ad_code frames_from(const json_t *o, ad_frame **f, size_t *n, ad_err *err)
{
    *f = NULL;
    *n = 0;
    json_t *v = json_object_get(o, "vpdq");
    if (!v)
        return AD_OK;
    if (!json_is_string(v))
        return ad_err_set(err, AD_ERR_PARSE, "a media's vpdq is not a string");
    return ad_fed_frames_decode(json_string_value(v), f, n, err);
}

static ad_code media(ad_store *st, const json_t *o, int64_t *id, ad_err *err)
{
    ad_media m;
    ad_frame *f = NULL;
    size_t nf = 0;
    ad_code rc = media_from(o, &m, err);
    if (rc == AD_OK)
        rc = frames_from(o, &f, &nf, err);
    int created;
    if (rc == AD_OK)
        rc = ad_store_media_upsert(st, &m, id, &created, err);
    if (rc == AD_OK && f)
        rc = ad_fed_frames_put(st, *id, f, nf, err);
    free(f);
    return rc;
}

/* A series by gid; a placeholder (named by its gid, no owner) when its origin's own change has
 * not come yet: that change fills it. */
static ad_code series_by_gid(ad_store *st, const char *gid, int64_t *id, ad_err *err)
{
    if (!ad_gid_valid(gid))
        return ad_err_set(err, AD_ERR_PARSE, "a series gid is malformed");
    ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM series WHERE gid = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, gid);
    ad_code rc = ad_db_int(s, id, err);
    if (rc != AD_ERR_NOT_FOUND)
        return rc;
    s = ad_db_stmt(st->db, "INSERT INTO series (name, created, gid) VALUES (?, ?, ?) RETURNING id",
                   err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, gid);
    ad_bind_int(s, 2, ad_store_time());
    ad_bind_text(s, 3, gid);
    return ad_db_int(s, id, err);
}

/* A name that no other series has: the name, else the name and the origin's first 8 digits. */
static ad_code free_name(ad_store *st, const char *name, const char *origin, int64_t self,
                         char *out, size_t cap, ad_err *err)
{
    for (int round = 0; round < 2; round++) {
        if (round == 0)
            snprintf(out, cap, "%s", name);
        else
            snprintf(out, cap, "%s [%.8s]", name, origin);
        ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM series WHERE name = ?", err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_text(s, 1, out);
        int64_t other;
        ad_code rc = ad_db_int(s, &other, err);
        if (rc == AD_ERR_NOT_FOUND || (rc == AD_OK && other == self))
            return AD_OK;
        if (rc != AD_OK)
            return rc;
    }
    return ad_err_set(err, AD_ERR_EXISTS, "series name '%s' is taken", out);
}

static ad_code apply_series(ad_store *st, const char *origin, const json_t *ch, ad_err *err)
{
    const char *gid = str(ch, "gid"), *name = str(ch, "name"), *status = str(ch, "status");
    if (!gid || !name || !*name)
        return bad(err, origin, ch, "a series needs gid and name");
    if (!gid_of_origin(gid, origin))
        return ad_err_set(err, AD_ERR_PERM,
                          "change %lld of origin %s changes series %s, which another origin owns",
                          (long long)num(ch, "seq", 0), origin, gid);
    if (status && strcmp(status, "active") && strcmp(status, "closed"))
        return bad(err, origin, ch, "a series' status is active or closed");
    int64_t id, owner;
    char nm[512];
    ad_code rc = series_by_gid(st, gid, &id, err);
    if (rc == AD_OK)
        rc = agency(st, json_object_get(ch, "owner"), &owner, err);
    if (rc == AD_OK)
        rc = free_name(st, name, origin, id, nm, sizeof nm, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "UPDATE series SET name = ?, owner_agency_id = ?, contact = ?,"
                            " status = ? WHERE id = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, nm);
    ad_bind_id_opt(s, 2, owner);
    ad_bind_text_opt(s, 3, str(ch, "contact"));
    ad_bind_text(s, 4, status ? status : "active");
    ad_bind_int(s, 5, id);
    return ad_db_run(s, err);
}

/* A link made again after an unlink (generation gen > 1): the link's generation is the highest
 * seen (monotonic, whatever the order the link and unlinks arrive in). */
static ad_code link_gen(ad_store *st, int64_t sid, int64_t mid, int64_t gen, ad_err *err)
{
    if (gen <= 1)
        return AD_OK;
    ad_stmt *s = ad_db_stmt(st->db,
                            "UPDATE series_media SET gen = ? WHERE series_id = ? AND media_id = ?"
                            " AND gen < ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, gen);
    ad_bind_int(s, 2, sid);
    ad_bind_int(s, 3, mid);
    ad_bind_int(s, 4, gen);
    return ad_db_run(s, err);
}

static ad_code apply_link(ad_store *st, const char *origin, const json_t *ch, ad_err *err)
{
    const char *gid = str(ch, "series");
    if (!gid || !json_is_object(json_object_get(ch, "media")))
        return bad(err, origin, ch, "a link needs series and media");
    int64_t sid, mid;
    ad_code rc = series_by_gid(st, gid, &sid, err);
    if (rc == AD_OK)
        rc = media(st, json_object_get(ch, "media"), &mid, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO series_media (series_id, media_id, added) VALUES (?, ?, ?)"
                            " ON CONFLICT DO NOTHING",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, sid);
    ad_bind_int(s, 2, mid);
    ad_bind_int(s, 3, ad_store_time());
    rc = ad_db_run(s, err);
    return rc == AD_OK ? link_gen(st, sid, mid, num(ch, "gen", 1), err) : rc;
}

/* A record's id by gid in table (person, vote, note, clue): 0 when none. */
static ad_code find_gid(ad_store *st, const char *sql, const char *gid, int64_t *id, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, gid);
    ad_code rc = ad_db_int(s, id, err);
    if (rc == AD_ERR_NOT_FOUND) {
        *id = 0;
        return AD_OK;
    }
    return rc;
}

static ad_code apply_person(ad_store *st, const char *origin, const json_t *ch, ad_err *err)
{
    const char *gid = str(ch, "gid"), *type = str(ch, "type"), *code = str(ch, "code");
    const char *series = str(ch, "series");
    if (!ad_gid_valid(gid) || !type || (strcmp(type, "victim") && strcmp(type, "offender")) ||
        !code || !*code || !series)
        return bad(err, origin, ch, "a person needs gid, type, code and series");
    int64_t id, sid;
    ad_code rc = find_gid(st, "SELECT id FROM person WHERE gid = ?", gid, &id, err);
    if (rc == AD_OK)
        rc = series_by_gid(st, series, &sid, err);
    if (rc == AD_OK && !id) {
        /* codes are unique per kind: another origin's person of the same code is kept apart */
        char cd[300];
        int64_t other = 0;
        snprintf(cd, sizeof cd, "%s", code);
        ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM person WHERE kind = ? AND code = ?", err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_text(s, 1, type);
        ad_bind_text(s, 2, cd);
        rc = ad_db_int(s, &other, err);
        if (rc == AD_OK)
            snprintf(cd, sizeof cd, "%s [%.8s]", code, origin);
        else if (rc != AD_ERR_NOT_FOUND)
            return rc;
        s = ad_db_stmt(st->db,
                       "INSERT INTO person (kind, code, series_id, created, gid)"
                       " VALUES (?, ?, ?, ?, ?) RETURNING id",
                       err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_text(s, 1, type);
        ad_bind_text(s, 2, cd);
        ad_bind_int(s, 3, sid);
        ad_bind_int(s, 4, num(ch, "created", ad_store_time()));
        ad_bind_text(s, 5, gid);
        rc = ad_db_int(s, &id, err);
    }
    if (rc == AD_OK && json_is_integer(json_object_get(ch, "retracted_at"))) {
        /* a retraction undoes only the identification its author made */
        ad_stmt *s = ad_db_stmt(st->db,
                                "UPDATE person SET identified = 0, identified_by = NULL,"
                                " identified_at = NULL, country = NULL, identified_origin = NULL,"
                                " retracted_at = ? WHERE id = ? AND identified = 1"
                                " AND identified_origin = ?",
                                err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_int(s, 1, num(ch, "retracted_at", 0));
        ad_bind_int(s, 2, id);
        ad_bind_text(s, 3, origin);
        return ad_db_run(s, err);
    }
    if (rc != AD_OK || !json_is_true(json_object_get(ch, "identified")))
        return rc; /* identification is monotonic: an unidentified state never undoes one */
    const char *by_origin = str(ch, "identified_origin");
    int64_t by;
    rc = agency(st, json_object_get(ch, "identified_by"), &by, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "UPDATE person SET identified = 1, identified_by = ?,"
                            " identified_at = ?, country = ?, identified_origin = ?"
                            " WHERE id = ? AND identified = 0",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_id_opt(s, 1, by);
    ad_bind_int(s, 2, num(ch, "identified_at", ad_store_time()));
    ad_bind_text_opt(s, 3, str(ch, "country"));
    ad_bind_text(s, 4, by_origin && strlen(by_origin) == AD_UUID_LEN ? by_origin : origin);
    ad_bind_int(s, 5, id);
    return ad_db_run(s, err);
}

/* An unlink (docs/federation.md "Unlinking"): added once (by gid), only from the origin that
 * made the series (the owner's act, as a series' own changes); it withdraws the link's
 * generation it names and those before, never a link made again after it. */
static ad_code apply_unlink(ad_store *st, const char *origin, const json_t *ch, ad_err *err)
{
    const char *gid = str(ch, "gid"), *series = str(ch, "series"), *author = str(ch, "author");
    int64_t gen = num(ch, "gen", 0);
    if (!ad_gid_valid(gid) || !gid_of_origin(gid, origin) || !series || !author || gen < 1 ||
        !json_is_object(json_object_get(ch, "media")))
        return bad(err, origin, ch, "an unlink needs gid, series, media, gen and author");
    if (!gid_of_origin(series, origin))
        return ad_err_set(err, AD_ERR_PERM,
                          "change %lld of origin %s unlinks media of series %s, which another"
                          " origin owns",
                          (long long)num(ch, "seq", 0), origin, series);
    int64_t id, sid, mid, ag;
    ad_code rc = find_gid(st, "SELECT id FROM series_unlink WHERE gid = ?", gid, &id, err);
    if (rc != AD_OK || id)
        return rc; /* added once */
    rc = series_by_gid(st, series, &sid, err);
    if (rc == AD_OK)
        rc = media(st, json_object_get(ch, "media"), &mid, err);
    if (rc == AD_OK)
        rc = agency(st, json_object_get(ch, "agency"), &ag, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO series_unlink (series_id, media_id, gen, agency_id,"
                            " author, created, gid) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, sid);
    ad_bind_int(s, 2, mid);
    ad_bind_int(s, 3, gen);
    ad_bind_id_opt(s, 4, ag);
    ad_bind_text(s, 5, author);
    ad_bind_int(s, 6, num(ch, "created", ad_store_time()));
    ad_bind_text(s, 7, gid);
    return ad_db_run(s, err);
}

static ad_code apply_vote(ad_store *st, const char *origin, const json_t *ch, ad_err *err)
{
    const char *gid = str(ch, "gid"), *scheme = str(ch, "scheme"), *code = str(ch, "code");
    const char *voter = str(ch, "voter"), *withdraws = str(ch, "withdraws");
    if (!ad_gid_valid(gid) || !scheme || !code || !voter ||
        (json_object_get(ch, "withdraws") && !ad_gid_valid(withdraws)) ||
        !json_is_object(json_object_get(ch, "media")))
        return bad(err, origin, ch, "a vote needs gid, media, scheme, code and voter");
    if (!ad_category_valid(scheme, code))
        return bad(err, origin, ch, "a vote's scheme and code are not a category");
    int64_t id, mid, ag;
    ad_code rc = find_gid(st, "SELECT id FROM vote WHERE gid = ?", gid, &id, err);
    if (rc != AD_OK || id)
        return rc; /* votes are added once, never overwritten */
    rc = media(st, json_object_get(ch, "media"), &mid, err);
    if (rc == AD_OK)
        rc = agency(st, json_object_get(ch, "agency"), &ag, err);
    if (rc != AD_OK)
        return rc;
    /* the store's own vote (it keeps the trusted category), for the voting agency */
    int64_t keep = st->agency_id;
    st->agency_id = ag;
    /* a withdrawal: of a vote by the same voter, which stays as it was */
    rc = withdraws ? ad_store_vote_withdraw(st, withdraws, voter, NULL, NULL, err)
                   : ad_store_vote(st, mid, scheme, code, voter, err);
    st->agency_id = keep;
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "UPDATE vote SET gid = ?, created = ? WHERE id ="
                            " (SELECT MAX(id) FROM vote)",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, gid);
    ad_bind_int(s, 2, num(ch, "created", ad_store_time()));
    return ad_db_run(s, err);
}

static ad_code apply_text(ad_store *st, const char *origin, const json_t *ch, int clue, ad_err *err)
{
    const char *gid = str(ch, "gid"), *text = str(ch, "text"), *author = str(ch, "author");
    json_t *on = json_object_get(ch, "on");
    const char *type = str(on, "type");
    const char *ck = str(ch, "clue_kind");
    if (!ad_gid_valid(gid) || !text || !author || !type || (clue && !ck))
        return bad(err, origin, ch, "a note needs gid, on, author and text");
    int64_t id, obj = 0, ag;
    ad_code rc = find_gid(
        st, clue ? "SELECT id FROM clue WHERE gid = ?" : "SELECT id FROM note WHERE gid = ?", gid,
        &id, err);
    if (rc != AD_OK || id)
        return rc;
    json_t *ref = json_object_get(on, "ref");
    if (!strcmp(type, "media"))
        rc = media(st, ref, &obj, err);
    else if (!strcmp(type, "series"))
        rc = series_by_gid(st, json_string_value(ref), &obj, err);
    else if (!strcmp(type, "victim") || !strcmp(type, "offender"))
        rc = find_gid(st, "SELECT id FROM person WHERE gid = ?",
                      json_string_value(ref) ? json_string_value(ref) : "", &obj, err);
    else
        return bad(err, origin, ch, "a shared note is on a media, series, victim or offender");
    if (rc == AD_OK && !obj)
        return bad(err, origin, ch, "a note on a person this instance does not know");
    if (rc == AD_OK)
        rc = agency(st, json_object_get(ch, "agency"), &ag, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            clue ? "INSERT INTO clue (object_type, object_id, kind, value,"
                                   " agency_id, author, created, private, gid)"
                                   " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"
                                 : "INSERT INTO note (object_type, object_id, body, agency_id,"
                                   " author, created, private, gid)"
                                   " VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, type);
    ad_bind_int(s, 2, obj);
    if (clue) {
        ad_bind_text(s, 3, ck);
        ad_bind_text(s, 4, text);
    } else {
        ad_bind_text(s, 3, text);
    }
    ad_bind_id_opt(s, clue ? 5 : 4, ag);
    ad_bind_text(s, clue ? 6 : 5, author);
    ad_bind_int(s, clue ? 7 : 6, num(ch, "created", ad_store_time()));
    ad_bind_text(s, clue ? 8 : 7, gid);
    return ad_db_run(s, err);
}

ad_code ad_fed_apply_change(ad_store *st, const char *origin, const json_t *ch, ad_err *err)
{
    const char *kind = str(ch, "kind");
    if (!strcmp(kind, "media")) {
        int64_t id;
        return media(st, ch, &id, err);
    }
    if (!strcmp(kind, "series"))
        return apply_series(st, origin, ch, err);
    if (!strcmp(kind, "link"))
        return apply_link(st, origin, ch, err);
    if (!strcmp(kind, "person"))
        return apply_person(st, origin, ch, err);
    if (!strcmp(kind, "vote"))
        return apply_vote(st, origin, ch, err);
    if (!strcmp(kind, "note"))
        return apply_text(st, origin, ch, 0, err);
    if (!strcmp(kind, "clue"))
        return apply_text(st, origin, ch, 1, err);
    if (!strcmp(kind, "merge"))
        return ad_fed_apply_merge(st, origin, ch, err);
    if (!strcmp(kind, "unlink"))
        return apply_unlink(st, origin, ch, err);
    return bad(err, origin, ch, "unknown kind");
}

ad_code ad_fed_series_by_gid(ad_store *st, const char *gid, int64_t *id, ad_err *err)
{
    return series_by_gid(st, gid, id, err);
}

ad_code ad_fed_agency(ad_store *st, const json_t *a, int64_t *id, ad_err *err)
{
    return agency(st, a, id, err);
}

/* ---- batches: media and links, the bulk of a large set, in store batches ---------------- */

#define BATCH 8192

void ad_fed_batch_init(ad_fed_batch *b, ad_store *st, const char *origin)
{
    memset(b, 0, sizeof *b);
    b->st = st;
    b->origin = origin;
}

static void frames_clear(ad_fed_batch *b)
{
    for (size_t i = 0; b->fr && i < b->nm; i++) {
        free(b->fr[i]);
        b->fr[i] = NULL;
    }
}

void ad_fed_batch_free(ad_fed_batch *b)
{
    frames_clear(b);
    free(b->fr);
    free(b->nfr);
    free(b->m);
    free(b->mime);
    free(b->lm);
    free(b->lgid);
    free(b->ids);
    free(b->sids);
    free(b->dig);
    free(b->mids);
    free(b->known);
    memset(b, 0, sizeof *b);
}

/* The slot of digest d in the known map (empty: id 0). */
static struct ad_fed_known *known_slot(struct ad_fed_known *t, size_t cap, const uint8_t *d)
{
    uint64_t h;
    memcpy(&h, d, sizeof h); /* a SHA-256 is uniform already */
    for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1))
        if (!t[j].id || !memcmp(t[j].d, d, 32))
            return &t[j];
}

/* Remembers SHA-256 -> id; 0 if out of memory (the map is only a shortcut: a lookup
 * in the store gives the same answer). */
static int known_put(ad_fed_batch *b, const uint8_t *d, int64_t id)
{
    if (2 * (b->nknown + 1) > b->kcap) {
        size_t cap = b->kcap ? 2 * b->kcap : 4096;
        struct ad_fed_known *t = calloc(cap, sizeof *t);
        if (!t)
            return 0;
        for (size_t i = 0; i < b->kcap; i++)
            if (b->known[i].id)
                *known_slot(t, cap, b->known[i].d) = b->known[i];
        free(b->known);
        b->known = t;
        b->kcap = cap;
    }
    struct ad_fed_known *k = known_slot(b->known, b->kcap, d);
    if (!k->id)
        b->nknown++;
    memcpy(k->d, d, 32);
    k->id = id;
    return 1;
}

static int64_t known_get(const ad_fed_batch *b, const uint8_t *d)
{
    return b->kcap ? known_slot(b->known, b->kcap, d)->id : 0;
}

static ad_code flush_media(ad_fed_batch *b, ad_err *err)
{
    if (!b->nm)
        return AD_OK;
    ad_code rc = ad_store_media_upsert_batch(b->st, b->m, b->nm, b->mids, err);
    for (size_t i = 0; i < b->nm && rc == AD_OK; i++)
        if (b->m[i].has_sha256 && b->mids[i] && !known_put(b, b->m[i].sha256, b->mids[i]))
            break;
    /* the received vPDQ frames (media changes with a "vpdq" field: the general path) */
    for (size_t i = 0; i < b->nm && rc == AD_OK; i++)
        if (b->fr[i])
            rc = ad_fed_frames_put(b->st, b->mids[i], b->fr[i], b->nfr[i], err);
    frames_clear(b);
    b->nm = 0;
    return rc;
}

typedef struct {
    const int64_t *sids, *ids;
} link_rows;

static void bind_link(void *ctx, ad_stmt *s, size_t i)
{
    const link_rows *l = ctx;
    ad_bind_int(s, 1, l->sids[i]);
    ad_bind_int(s, 2, l->ids[i]);
    ad_bind_int(s, 3, ad_store_time());
}

/* The links (sids[i], ids[i]), i < n. SQLite: LINK_ROWS to a statement (one VALUES list: the
 * work per statement once for many rows), the rest one by one; PostgreSQL: one by one, in one
 * pipeline (ad_db_many; its statements take at most AD_DB_MAX_PARAMS parameters). */
#define LINK_ROWS 64
#define LINK_INSERT "INSERT INTO series_media (series_id, media_id, added) VALUES (?, ?, ?)"
static const char link_sql[] = LINK_INSERT " ON CONFLICT DO NOTHING";

/* PostgreSQL, from LINK_COPY_MIN links on (with the shortcuts): the links by one COPY into a
 * temporary table (dropped at the transaction's end), then one INSERT ... SELECT of them in
 * their order, ON CONFLICT DO NOTHING as each INSERT of the general path (a link already there,
 * or twice in the batch, is kept once, as it was), and a TRUNCATE of the table (a DELETE would
 * leave its rows dead, read again by every later batch of the transaction). */
#define LINK_COPY_MIN 64
static ad_code copy_links(ad_store *st, const int64_t *sids, const int64_t *ids, size_t n,
                          ad_err *err)
{
    ad_code rc = st->db->ops->exec(st->db,
                                   "CREATE TEMPORARY TABLE IF NOT EXISTS ad_link_copy (ord BIGINT,"
                                   " series_id BIGINT, media_id BIGINT, added BIGINT)"
                                   " ON COMMIT DROP",
                                   err);
    ad_copy_buf b = {0};
    int64_t now = ad_store_time();
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        ad_copy_int(&b, (int64_t)i);
        ad_copy_int(&b, sids[i]);
        ad_copy_int(&b, ids[i]);
        ad_copy_int(&b, now);
        ad_copy_row_end(&b);
    }
    if (rc == AD_OK)
        rc = ad_db_copy(st->db, "COPY ad_link_copy (ord, series_id, media_id, added) FROM STDIN",
                        &b, err);
    ad_copy_free(&b);
    if (rc == AD_OK)
        rc = st->db->ops->exec(st->db,
                               "INSERT INTO series_media (series_id, media_id, added)"
                               " SELECT series_id, media_id, added FROM ad_link_copy"
                               " ORDER BY ord ON CONFLICT DO NOTHING; TRUNCATE ad_link_copy",
                               err);
    return rc;
}

static ad_code insert_links(ad_store *st, const int64_t *sids, const int64_t *ids, size_t n,
                            ad_err *err)
{
#define LINK_ROW ", (?, ?, ?)"
    static const char many_sql[] = /* link_sql's first row and 63 more */
        LINK_INSERT AD_SQL_X32(LINK_ROW) AD_SQL_X16(LINK_ROW) AD_SQL_X8(LINK_ROW)
            AD_SQL_X4(LINK_ROW) AD_SQL_X2(LINK_ROW) LINK_ROW " ON CONFLICT DO NOTHING";
#undef LINK_ROW
    if (st->db->is_pg && ad_store_media_shortcuts && ad_store_pg_copy && n >= LINK_COPY_MIN)
        return copy_links(st, sids, ids, n, err);
    size_t i = 0;
    ad_code rc = AD_OK;
    for (; rc == AD_OK && !st->db->is_pg && n - i >= LINK_ROWS; i += LINK_ROWS) {
        ad_stmt *s = ad_db_stmt(st->db, many_sql, err);
        if (!s)
            return AD_ECODE(err);
        int64_t now = ad_store_time();
        for (int r = 0; r < LINK_ROWS; r++) {
            ad_bind_int(s, 3 * r + 1, sids[i + r]);
            ad_bind_int(s, 3 * r + 2, ids[i + r]);
            ad_bind_int(s, 3 * r + 3, now);
        }
        rc = ad_db_run(s, err);
    }
    link_rows l = {sids + i, ids + i};
    return rc == AD_OK ? ad_db_many(st->db, link_sql, n - i, bind_link, NULL, &l, err) : rc;
}

/* The media of the pending links: looked up by SHA-256 (usually in the set just before them),
 * the rest upserted (they may carry only MD5 or SHA-1, or be new here). */
static ad_code link_media(ad_fed_batch *b, ad_err *err)
{
    size_t n = 0, missing = 0;
    for (size_t i = 0; i < b->nl; i++) {
        b->ids[i] = b->lm[i].has_sha256 ? known_get(b, b->lm[i].sha256) : 0;
        if (b->lm[i].has_sha256 && !b->ids[i])
            memcpy(b->dig + 32 * n++, b->lm[i].sha256, 32);
    }
    size_t found = 0;
    ad_code rc =
        n ? ad_store_media_find_batch(b->st, AD_HASH_SHA256, b->dig, n, b->sids, &found, err)
          : AD_OK;
    for (size_t i = 0, k = 0; i < b->nl && rc == AD_OK && n; i++)
        if (b->lm[i].has_sha256 && !b->ids[i])
            b->ids[i] = b->sids[k++];
    for (size_t i = 0; i < b->nl && rc == AD_OK; i++)
        if (!b->ids[i]) {
            b->lm[missing] = b->lm[i];
            b->sids[missing++] = (int64_t)i; /* where its id goes */
        }
    if (rc != AD_OK || !missing)
        return rc;
    /* the rest, upserted; their ids back in place (lm is scratch from here on) */
    int64_t *tmp = malloc(missing * sizeof *tmp);
    if (!tmp)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    rc = ad_store_media_upsert_batch(b->st, b->lm, missing, tmp, err);
    for (size_t j = 0; j < missing && rc == AD_OK; j++)
        b->ids[b->sids[j]] = tmp[j];
    free(tmp);
    return rc;
}

static ad_code flush_links(ad_fed_batch *b, ad_err *err)
{
    if (!b->nl)
        return AD_OK;
    ad_code rc = flush_media(b, err);
    if (rc == AD_OK)
        rc = link_media(b, err);
    for (size_t i = 0; i < b->nl && rc == AD_OK; i++) {
        if (i == 0 || strcmp(b->lgid[i], b->lgid[i - 1]))
            rc = series_by_gid(b->st, b->lgid[i], &b->sids[i], err);
        else
            b->sids[i] = b->sids[i - 1];
    }
    if (rc == AD_OK)
        rc = insert_links(b->st, b->sids, b->ids, b->nl, err);
    b->nl = 0;
    return rc;
}

ad_code ad_fed_batch_flush(ad_fed_batch *b, ad_err *err)
{
    ad_code rc = flush_media(b, err);
    return rc == AD_OK ? flush_links(b, err) : rc;
}

static ad_code grow(ad_fed_batch *b, ad_err *err)
{
    if (b->m)
        return AD_OK;
    b->m = calloc(BATCH, sizeof *b->m);
    b->mime = calloc(BATCH, sizeof *b->mime);
    b->lm = calloc(BATCH, sizeof *b->lm);
    b->lgid = calloc(BATCH, sizeof *b->lgid);
    b->ids = calloc(BATCH, sizeof *b->ids);
    b->sids = calloc(BATCH, sizeof *b->sids);
    b->dig = calloc(BATCH, 32);
    b->mids = calloc(BATCH, sizeof *b->mids);
    b->fr = calloc(BATCH, sizeof *b->fr);
    b->nfr = calloc(BATCH, sizeof *b->nfr);
    if (!b->m || !b->mime || !b->lm || !b->lgid || !b->ids || !b->sids || !b->dig || !b->mids ||
        !b->fr || !b->nfr)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    return AD_OK;
}

ad_code ad_fed_batch_add(ad_fed_batch *b, const json_t *ch, ad_err *err)
{
    const char *kind = str(ch, "kind");
    ad_code rc = grow(b, err);
    if (rc != AD_OK)
        return rc;
    if (!strcmp(kind, "media")) {
        if (b->nl && (rc = flush_links(b, err)) != AD_OK)
            return rc;
        ad_media *m = &b->m[b->nm];
        if ((rc = media_from(ch, m, err)) != AD_OK ||
            (rc = frames_from(ch, &b->fr[b->nm], &b->nfr[b->nm], err)) != AD_OK)
            return bad(err, b->origin, ch, err->msg);
        if (m->mime) {
            snprintf(b->mime[b->nm], sizeof b->mime[b->nm], "%s", m->mime);
            m->mime = b->mime[b->nm];
        }
        return ++b->nm == BATCH ? flush_media(b, err) : AD_OK;
    }
    if (!strcmp(kind, "link") && !json_object_get(ch, "gen")) {
        const char *gid = str(ch, "series");
        json_t *ref = json_object_get(ch, "media");
        if (!gid || !ad_gid_valid(gid) || !json_is_object(ref))
            return bad(err, b->origin, ch, "a link needs series and media");
        if ((rc = media_from(ref, &b->lm[b->nl], err)) != AD_OK)
            return bad(err, b->origin, ch, err->msg);
        b->lm[b->nl].mime = NULL;
        snprintf(b->lgid[b->nl], sizeof b->lgid[b->nl], "%s", gid);
        return ++b->nl == BATCH ? flush_links(b, err) : AD_OK;
    }
    if ((rc = ad_fed_batch_flush(b, err)) != AD_OK)
        return rc;
    /* a bulk load's media indexes (ad_store_media_ix_off) are made again before any change but
     * a series' (which reads the series table only): the other kinds may look media up by any
     * digest or gid */
    if (strcmp(kind, "series") && (rc = ad_store_media_ix_on(b->st, err)) != AD_OK)
        return rc;
    return ad_fed_apply_change(b->st, b->origin, ch, err);
}

/* ---- the bulk without jansson: media and link lines read by the canonical reader ---------- */

/* Fills m from the members of a media object as media_from does; 0 when anything is not
 * plainly as media_from expects (another key, another type, a malformed digest): the general
 * path then reads the line and gives its answer, error or not. */
static int media_fast(const ad_fed_member *mem, int n, int top, ad_media *m)
{
    static const char *const digests[] = {"sha256", "md5", "sha1", "pdq"};
    static const size_t want[] = {64, 32, 40, 64};
    memset(m, 0, sizeof *m);
    m->pdq_quality = -1;
    m->size = -1;
    int any = 0;
    for (int i = 0; i < n; i++) {
        const ad_fed_member *f = &mem[i];
        char k[16];
        if (f->klen >= sizeof k)
            return 0;
        memcpy(k, f->key, f->klen);
        k[f->klen] = 0;
        int d = -1;
        for (int j = 0; j < 4; j++)
            if (!strcmp(k, digests[j]))
                d = j;
        if (d >= 0) {
            char hex[65];
            if (f->type != 's' || f->vlen != want[d])
                return 0;
            memcpy(hex, f->val, f->vlen);
            hex[f->vlen] = 0;
            if (ad_media_set_hash_hex(m, hex, d == 3, NULL) != AD_OK)
                return 0;
            any = 1;
            continue;
        }
        int64_t v;
        if (top && (!strcmp(k, "kind") || !strcmp(k, "seq")))
            continue;
        if (!strcmp(k, "mime")) {
            if (f->type != 's')
                return 0;
            continue; /* the caller copies it */
        }
        if (!ad_fed_member_int(f, &v))
            return 0;
        if (!strcmp(k, "pdq_quality"))
            m->pdq_quality = v >= 0 && v <= 100 ? (int)v : -1;
        else if (!strcmp(k, "size"))
            m->size = v;
        else if (!strcmp(k, "width"))
            m->width = v > 0 && v < (1 << 30) ? (int)v : 0;
        else if (!strcmp(k, "height"))
            m->height = v > 0 && v < (1 << 30) ? (int)v : 0;
        else if (!strcmp(k, "duration_ms"))
            m->duration_ms = v;
        else
            return 0;
    }
    return any;
}

/* A media or link line added to the batch from the canonical reader: 1 done (rc in *rc), 0 not
 * the reader's to do. */
static int add_fast(ad_fed_batch *b, const char *line, size_t n, ad_code *rc, ad_err *err)
{
    ad_fed_member mem[24], sub[16];
    int k = ad_fed_canon_scan(line, n, mem, 24);
    const ad_fed_member *kind = k > 0 ? ad_fed_member_get(mem, k, "kind") : NULL;
    if (!kind || kind->type != 's')
        return 0;
    if (kind->vlen == 5 && !memcmp(kind->val, "media", 5)) {
        ad_media m;
        if (!media_fast(mem, k, 1, &m) || (*rc = grow(b, err)) != AD_OK)
            return *rc = AD_OK, 0;
        if (b->nl && (*rc = flush_links(b, err)) != AD_OK)
            return 1;
        const ad_fed_member *mime = ad_fed_member_get(mem, k, "mime");
        b->m[b->nm] = m;
        if (mime) {
            snprintf(b->mime[b->nm], sizeof b->mime[b->nm], "%.*s", (int)mime->vlen, mime->val);
            b->m[b->nm].mime = b->mime[b->nm];
        }
        *rc = ++b->nm == BATCH ? flush_media(b, err) : AD_OK;
        return 1;
    }
    if (kind->vlen == 4 && !memcmp(kind->val, "link", 4)) {
        const ad_fed_member *series = ad_fed_member_get(mem, k, "series");
        const ad_fed_member *media = ad_fed_member_get(mem, k, "media");
        char gid[AD_GID_MAX];
        if (k != 4 || !series || series->type != 's' || series->vlen >= sizeof gid || !media ||
            media->type != 'o')
            return 0;
        memcpy(gid, series->val, series->vlen);
        gid[series->vlen] = 0;
        int ks = ad_fed_canon_scan(media->val, media->vlen, sub, 16);
        ad_media m;
        if (!ad_gid_valid(gid) || ks < 0 || !media_fast(sub, ks, 0, &m) ||
            (*rc = grow(b, err)) != AD_OK)
            return *rc = AD_OK, 0;
        b->lm[b->nl] = m;
        memcpy(b->lgid[b->nl], gid, series->vlen + 1);
        *rc = ++b->nl == BATCH ? flush_links(b, err) : AD_OK;
        return 1;
    }
    return 0;
}

ad_code ad_fed_batch_add_line(ad_fed_batch *b, const char *line, size_t n, ad_err *err)
{
    ad_code rc = AD_OK;
    if (add_fast(b, line, n, &rc, err))
        return rc;
    json_t *ch = json_loadb(line, n, 0, NULL);
    if (!ch)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory reading a change");
    rc = ad_fed_batch_add(b, ch, err);
    json_decref(ch);
    return rc;
}
