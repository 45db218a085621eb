/* cmd_list.c: `ariadne list grant|revoke|show`: which hash lists a platform agency matches
 * against (docs/server.md). The work is the service layer's (ad_svc_list_*), as for the server. */
#include <stdio.h>

#include "args.h"
#include "cli.h"

/* ctx: non-NULL for a grant */
static void grant_text(const ad_args *a, json_t *doc, const void *ctx)
{
    printf("list %s %s agency %s\n", json_string_value(json_object_get(doc, "list")),
           ctx ? "granted to" : "no longer granted to", a->pos[1]);
}

static int grant_or_revoke(int argc, char **argv, int grant)
{
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, grant ? "list grant" : "list revoke",
                              grant ? "list grant LIST AGENCY [--json]"
                                    : "list revoke LIST AGENCY [--json]",
                              argc, argv, NULL, 2, 2);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(&r,
                            ad_svc_list_grant(&r.c, r.a.pos[0], r.a.pos[1], grant, &r.doc, &r.err),
                            grant_text, grant ? "grant" : NULL);
}

static int list_grant(int argc, char **argv)
{
    return grant_or_revoke(argc, argv, 1);
}

static int list_revoke(int argc, char **argv)
{
    return grant_or_revoke(argc, argv, 0);
}

static const char *text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void show_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)a, (void)ctx;
    printf("list %lld: %s\ndescription: %s\nsource: %s\nentries: %lld\n",
           (long long)json_integer_value(json_object_get(doc, "id")), text(doc, "name"),
           text(doc, "description"), text(doc, "source"),
           (long long)json_integer_value(json_object_get(doc, "entries")));
    json_t *g = json_object_get(doc, "grants");
    if (!json_array_size(g))
        printf("granted to: no agency\n");
    for (size_t i = 0; i < json_array_size(g); i++) {
        json_t *x = json_array_get(g, i);
        printf("granted to: %s (since %s, by %s)\n", text(x, "agency"), text(x, "granted"),
               text(x, "granted_by"));
    }
}

static int list_show(int argc, char **argv)
{
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, "list show", "list show LIST [--json]", argc, argv, NULL, 1, 1);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(&r, ad_svc_list_show(&r.c, r.a.pos[0], &r.doc, &r.err), show_text,
                            NULL);
}

static const ad_subcmd subs[] = {
    {"grant", list_grant, "let a platform agency match against a list"},
    {"revoke", list_revoke, "withdraw a list from an agency"},
    {"show", list_show, "a list, its entries and the agencies it is granted to"},
};

int ad_cmd_list(int argc, char **argv)
{
    return ad_cli_dispatch("list", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
