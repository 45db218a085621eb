/* cmd_note.c: `ariadne note add TYPE REF TEXT`: a note on a media (by hash), series (name or
 * id), victim or offender (code) or case (id). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

/* The record id REF names for TYPE. */
static ad_code resolve(ad_store *st, const char *type, const char *ref, int64_t *id, ad_err *err)
{
    if (!strcmp(type, "media"))
        return ad_store_media_find_hex(st, ref, id, err);
    if (!strcmp(type, "series"))
        return ad_store_series_find(st, ref, 0, id, err);
    if (!strcmp(type, "victim") || !strcmp(type, "offender"))
        return ad_store_person_find(st, type[0] == 'v' ? AD_VICTIM : AD_OFFENDER, ref, id, err);
    long long v = 0;
    if (ad_cli_parse_int(ref, 1, INT64_MAX, &v))
        return ad_err_set(err, AD_ERR_ARG, "a case is named by its id (a number), not '%s'", ref);
    *id = v;
    return AD_OK;
}

static int note_add(int argc, char **argv)
{
    static const char *const opts[] = {"--clue", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "note add",
                          "note add media|series|victim|offender|case REF TEXT "
                          "[--clue camera|serial|gps|time|object|language|other]",
                          argc, argv, opts, 3, 3, 0);
    if (rc >= 0)
        return rc;
    const char *type = a.pos[0], *clue = ad_arg(&a, "--clue");
    static const char *const types[] = {"media", "series", "victim", "offender", "case"};
    int ok = 0;
    for (int i = 0; i < 5; i++)
        ok |= !strcmp(type, types[i]);
    if (!ok)
        return ad_cli_close(st, ad_args_usage_error(&a, "unknown record type '%s'", type));
    ad_err err;
    int64_t oid, id;
    ad_code c = resolve(st, type, a.pos[1], &oid, &err);
    if (c == AD_OK)
        c = clue ? ad_store_clue_add(st, type, oid, clue, a.pos[2], &id, &err)
                 : ad_store_note_add(st, type, oid, a.pos[2], &id, &err);
    if (c != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:I}", clue ? "clue" : "note", (json_int_t)id, type,
                              (json_int_t)oid));
    else
        printf("%s %lld added to %s %lld\n", clue ? "clue" : "note", (long long)id, type,
               (long long)oid);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"add", note_add, "add a note (or, with --clue KIND, a clue) to a record"},
};

int ad_cmd_note(int argc, char **argv)
{
    return ad_cli_dispatch("note", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
