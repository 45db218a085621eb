/* cmd_note.c: `ariadne note add TYPE REF TEXT`: a note on a media (by hash), series (name or
 * id), victim or offender (code) or case (id), through the service layer (ad_svc_note_add, as
 * the server's POST /v1/notes). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

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
    ad_identity id;
    ad_call c;
    ad_cli_call(st, &id, &c);
    json_t *doc;
    ad_err err;
    if (ad_svc_note_add(&c, type, a.pos[1], a.pos[2], clue, 0, &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_svc_fail(&a, &err));
    long long nid = (long long)json_integer_value(json_object_get(doc, "id")),
              oid = (long long)json_integer_value(json_object_get(doc, "object_id"));
    json_decref(doc);
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:I}", clue ? "clue" : "note", (json_int_t)nid, type,
                              (json_int_t)oid));
    else
        printf("%s %lld added to %s %lld\n", clue ? "clue" : "note", nid, type, oid);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"add", note_add, "add a note (or, with --clue KIND, a clue) to a record"},
};

int ad_cmd_note(int argc, char **argv)
{
    return ad_cli_dispatch("note", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
