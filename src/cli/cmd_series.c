/* cmd_series.c: `ariadne series create|show|list|link`: series, their owner and contact, their
 * victims and offenders, and the media attached to them by any hash. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static int series_create(int argc, char **argv)
{
    static const char *const opts[] = {"--owner", "--contact", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "series create",
                          "series create NAME [--owner AGENCY] [--contact TEXT]", argc, argv, opts,
                          1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_series x = {.name = a.pos[0], .contact = ad_arg(&a, "--contact")};
    if ((rc = ad_cli_agency(&a, st, ad_arg(&a, "--owner"), &x.owner_agency_id)) >= 0)
        return ad_cli_close(st, rc);
    int64_t id;
    ad_err err;
    if (ad_store_series_create(st, &x, &id, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", x.name));
    else
        printf("series %lld: %s\n", (long long)id, x.name);
    return ad_cli_close(st, AD_EXIT_OK);
}

static json_t *series_json(const ad_series *s)
{
    return json_pack("{s:I, s:s, s:s?, s:s?, s:s, s:I, s:I, s:I}", "id", (json_int_t)s->id, "name",
                     s->name, "owner", s->owner_agency_name, "contact", s->contact, "status",
                     s->status, "media", (json_int_t)s->media_count, "victims",
                     (json_int_t)s->victims, "victims_unidentified",
                     (json_int_t)s->victims_unidentified);
}

static int print_series(void *ctx, const ad_series *s)
{
    if (*(int *)ctx)
        ad_cli_json(series_json(s));
    else
        printf("%lld\t%s\t%s\t%lld media\t%lld/%lld victims unidentified\n", (long long)s->id,
               s->name, s->owner_agency_name ? s->owner_agency_name : "-",
               (long long)s->media_count, (long long)s->victims_unidentified,
               (long long)s->victims);
    return 0;
}

static int series_list(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc =
        ad_cli_start(&a, &st, "series list", "series list [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    if (ad_store_series_list(st, print_series, &a.json, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    return ad_cli_close(st, AD_EXIT_OK);
}

typedef struct {
    int json;
    json_t *out;
} show_ctx;

static int keep_series(void *ctx, const ad_series *s)
{
    show_ctx *c = ctx;
    c->out = series_json(s);
    if (!c->json)
        printf("series %lld: %s\nowner: %s\ncontact: %s\nstatus: %s\nmedia: %lld\n"
               "victims: %lld (%lld unidentified)\n",
               (long long)s->id, s->name, s->owner_agency_name ? s->owner_agency_name : "-",
               s->contact ? s->contact : "-", s->status, (long long)s->media_count,
               (long long)s->victims, (long long)s->victims_unidentified);
    return 0;
}

static int add_person(void *ctx, const ad_person *p)
{
    show_ctx *c = ctx;
    const char *kind = p->kind == AD_VICTIM ? "victim" : "offender";
    char t[32];
    ad_cli_time(p->identified_at, t);
    json_array_append_new(
        json_object_get(c->out, p->kind == AD_VICTIM ? "victim_list" : "offender_list"),
        json_pack("{s:s, s:s, s:s?, s:s?}", "code", p->code, "status",
                  p->identified ? "identified" : "unidentified", "identified_at",
                  p->identified ? t : NULL, "country", p->country));
    if (!c->json)
        printf("%s %s: %s %s %s\n", kind, p->code, p->identified ? "identified" : "unidentified", t,
               p->country ? p->country : "");
    return 0;
}

static int series_show(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "series show", "series show SERIES [--json]", argc, argv, NULL,
                          1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    int64_t id;
    show_ctx c = {a.json, NULL};
    if (ad_store_series_find(st, a.pos[0], 0, &id, &err) != AD_OK ||
        ad_store_series_get(st, id, keep_series, &c, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    json_object_set_new(c.out, "victim_list", json_array());
    json_object_set_new(c.out, "offender_list", json_array());
    if (ad_store_person_list(st, AD_VICTIM, id, add_person, &c, &err) != AD_OK ||
        ad_store_person_list(st, AD_OFFENDER, id, add_person, &c, &err) != AD_OK) {
        json_decref(c.out);
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    }
    if (a.json)
        ad_cli_json(c.out);
    else
        json_decref(c.out);
    return ad_cli_close(st, AD_EXIT_OK);
}

/* The media of hash text h (MD5, SHA-1, SHA-256 hex, or pdq:HEX). With create, upserted (a
 * bare 64-hex hash is then a SHA-256); without, it must be in the store. */
static ad_code link_media(ad_store *st, const char *h, int create, int64_t *mid, ad_err *err)
{
    int pdq = !strncmp(h, "pdq:", 4);
    ad_media m;
    ad_media_init(&m);
    ad_code c = ad_media_set_hash_hex(&m, pdq ? h + 4 : h, pdq, err);
    if (c != AD_OK || create)
        return c == AD_OK ? ad_store_media_upsert(st, &m, mid, NULL, err) : c;
    /* as `media show` finds it: a bare 64-hex hash is a SHA-256, else a PDQ */
    c = pdq ? ad_store_media_find(st, AD_HASH_PDQ, m.pdq.b, mid, err)
            : ad_store_media_find_hex(st, h, mid, err);
    if (c == AD_ERR_NOT_FOUND)
        ad_err_set(err, c, "%s is not in the store (--create records it)", h);
    return c;
}

/* Attaches each hash's media to the series, all or nothing; with --create a hash the store
 * does not hold yet is recorded as a new media first. */
static int series_link(int argc, char **argv)
{
    int create = ad_args_take_flag(&argc, argv, "--create");
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "series link",
                          "series link SERIES HASH... [--create] (MD5, SHA-1, SHA-256 or, as "
                          "pdq:HEX, PDQ; --create records hashes the store does not hold)",
                          argc, argv, NULL, 2, AD_ARGS_MAX, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    int64_t sid, mid;
    ad_code c = ad_store_series_find(st, a.pos[0], 0, &sid, &err);
    if (c == AD_OK)
        c = ad_store_begin(st, &err);
    int began = c == AD_OK, linked = 0;
    for (int i = 1; i < a.npos && c == AD_OK; i++) {
        c = link_media(st, a.pos[i], create, &mid, &err);
        if (c == AD_OK)
            c = ad_store_series_link(st, sid, mid, &err);
        linked += c == AD_OK;
    }
    if (began)
        c = c == AD_OK ? ad_store_commit(st, &err) : (ad_store_rollback(st, NULL), c);
    if (c != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:i}", "series", (json_int_t)sid, "linked", linked));
    else
        printf("series %lld: %d media linked\n", (long long)sid, linked);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"create", series_create, "create a series with its owner agency and contact"},
    {"show", series_show, "show a series, its victims and offenders"},
    {"list", series_list, "list series"},
    {"link", series_link, "attach media to a series by hash"},
};

int ad_cmd_series(int argc, char **argv)
{
    return ad_cli_dispatch("series", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
