/* cmd_media.c: `ariadne media show HASH`: everything known about one media, found by MD5,
 * SHA-1, SHA-256 or PDQ: digests, classification, series, sightings, votes, lists, notes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static int on_media(void *ctx, const ad_media *m)
{
    json_t *o = ctx;
    char pdq[65];
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "sha256", ad_cli_json_hex(m->sha256, 32, m->has_sha256));
    json_object_set_new(o, "md5", ad_cli_json_hex(m->md5, 16, m->has_md5));
    json_object_set_new(o, "sha1", ad_cli_json_hex(m->sha1, 20, m->has_sha1));
    json_object_set_new(o, "pdq",
                        m->has_pdq ? json_string(ad_h256_format(&m->pdq, pdq)) : json_null());
    json_object_set_new(o, "pdq_quality",
                        m->pdq_quality >= 0 ? json_integer(m->pdq_quality) : json_null());
    json_object_set_new(o, "size", m->size >= 0 ? json_integer(m->size) : json_null());
    json_object_set_new(o, "mime", m->mime ? json_string(m->mime) : json_null());
    if (m->width)
        json_object_set_new(o, "dimensions", json_sprintf("%dx%d", m->width, m->height));
    json_object_set_new(o, "flags", json_integer(m->flags));
    return 0;
}

static int on_series(void *ctx, const ad_series *s)
{
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s?, s:I, s:I}", "id", (json_int_t)s->id,
                                         "name", s->name, "owner", s->owner_agency_name, "victims",
                                         (json_int_t)s->victims, "victims_unidentified",
                                         (json_int_t)s->victims_unidentified));
    return 0;
}

static int on_sighting(void *ctx, const ad_sighting *x)
{
    char t[32];
    json_array_append_new(ctx, json_pack("{s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:s}", "id",
                                         (json_int_t)x->id, "agency", (json_int_t)x->agency_id,
                                         "case", (json_int_t)x->case_id, "exhibit", x->exhibit,
                                         "path", x->path, "parent", x->parent_path, "inner_path",
                                         x->inner_path, "ingested", ad_cli_time(x->ingested, t)));
    return 0;
}

static int on_vote(void *ctx, const ad_vote *v)
{
    char t[32];
    json_array_append_new(ctx,
                          json_pack("{s:s, s:s, s:s, s:s}", "scheme", v->scheme, "code", v->code,
                                    "voter", v->voter, "time", ad_cli_time(v->created, t)));
    return 0;
}

static int on_list(void *ctx, const ad_list *l)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s?}", "name", l->name, "source", l->source));
    return 0;
}

static int on_note(void *ctx, int64_t id, const char *author, int64_t created, const char *kind,
                   const char *text)
{
    char t[32];
    (void)id;
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s?, s:s}", "author", author, "time",
                                         ad_cli_time(created, t), "kind", kind, "text", text));
    return 0;
}

/* Text form: one "key: value" line per field, one line per array element. */
static void print_text(json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                char *s = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
                printf("%s: %s\n", key, s ? s : "");
                free(s);
            }
        } else if (json_is_string(v)) {
            printf("%s: %s\n", key, json_string_value(v));
        } else if (!json_is_null(v)) {
            char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            printf("%s: %s\n", key, s ? s : "");
            free(s);
        }
    }
}

static json_t *arr(json_t *o, const char *key)
{
    json_t *a = json_array();
    json_object_set_new(o, key, a);
    return a;
}

static int media_show(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "media show",
                          "media show HASH [--json] (MD5, SHA-1, SHA-256 or PDQ hex)", argc, argv,
                          NULL, 1, 1, 0);
    if (rc >= 0)
        return rc;
    int64_t id;
    if ((rc = ad_cli_media(&a, st, a.pos[0], &id)) >= 0)
        return ad_cli_close(st, rc);
    ad_err err;
    ad_classification c;
    json_t *o = json_object();
    ad_code k = ad_store_media_get(st, id, on_media, o, &err);
    if (k == AD_OK)
        k = ad_store_classify(st, id, &c, &err);
    if (k == AD_OK) {
        json_object_set_new(o, "class", json_string(ad_class_name(c.cls)));
        if (c.series_id)
            json_object_set_new(o, "contact",
                                json_pack("{s:s, s:s, s:s}", "series", c.series_name, "owner",
                                          c.owner_agency, "contact", c.contact));
        k = ad_store_media_series(st, id, on_series, arr(o, "series"), &err);
    }
    if (k == AD_OK)
        k = ad_store_sighting_list(st, id, on_sighting, arr(o, "sightings"), &err);
    if (k == AD_OK)
        k = ad_store_vote_list(st, id, on_vote, arr(o, "votes"), &err);
    static const char *const schemes[] = {"vics-us", "dhs", "uk", "baseline"};
    json_t *trusted = arr(o, "trusted");
    for (size_t i = 0; i < 4 && k == AD_OK; i++) {
        char code[16];
        if (ad_store_trusted_category(st, id, schemes[i], code, sizeof code, NULL) == AD_OK)
            json_array_append_new(trusted,
                                  json_pack("{s:s, s:s}", "scheme", schemes[i], "code", code));
    }
    if (k == AD_OK)
        k = ad_store_media_lists(st, id, on_list, arr(o, "lists"), &err);
    if (k == AD_OK)
        k = ad_store_note_list(st, "media", id, on_note, arr(o, "notes"), &err);
    if (k == AD_OK)
        k = ad_store_clue_list(st, "media", id, on_note, arr(o, "clues"), &err);
    if (k != AD_OK) {
        json_decref(o);
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    }
    if (a.json) {
        ad_cli_json(o);
    } else {
        print_text(o);
        json_decref(o);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"show", media_show, "show what is known about a media (by any hash)"},
};

int ad_cmd_media(int argc, char **argv)
{
    return ad_cli_dispatch("media", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
