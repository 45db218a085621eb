/* cmd_case.c: `ariadne case open|list`: an agency's investigations (the list through the service
 * layer, ad_svc_case_list, as the server's GET /v1/cases). */
#include <stdio.h>

#include "args.h"
#include "cli.h"

static int case_open(int argc, char **argv)
{
    static const char *const opts[] = {"--agency", "--title", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "case open", "case open NUMBER [--agency AGENCY] [--title T]",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_case c = {.number = a.pos[0], .title = ad_arg(&a, "--title")};
    if ((rc = ad_cli_agency(&a, st, ad_arg(&a, "--agency"), &c.agency_id)) >= 0)
        return ad_cli_close(st, rc);
    ad_err err;
    int64_t id;
    if (ad_store_case_open(st, &c, &id, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "number", c.number));
    else
        printf("case %lld: %s opened\n", (long long)id, c.number);
    return ad_cli_close(st, AD_EXIT_OK);
}

static int case_list(int argc, char **argv)
{
    static const char *const opts[] = {"--agency", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "case list", "case list [--agency AGENCY] [--json]", argc, argv,
                          opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    int64_t agency;
    if ((rc = ad_cli_agency(&a, st, ad_arg(&a, "--agency"), &agency)) >= 0)
        return ad_cli_close(st, rc);
    ad_identity id;
    ad_call c;
    ad_cli_call(st, &id, &c);
    json_t *doc, *x;
    ad_err err;
    if (ad_svc_case_list(&c, agency, &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_svc_fail(&a, &err));
    size_t i;
    json_array_foreach(json_object_get(doc, "cases"), i, x)
    {
        if (a.json) {
            ad_cli_json(json_incref(x));
        } else {
            const char *title = json_string_value(json_object_get(x, "title"));
            printf("%lld\t%s\t%s\t%s\t%s\n",
                   (long long)json_integer_value(json_object_get(x, "id")),
                   json_string_value(json_object_get(x, "agency")),
                   json_string_value(json_object_get(x, "number")),
                   json_string_value(json_object_get(x, "status")), title ? title : "");
        }
    }
    json_decref(doc);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"open", case_open, "open a case for an agency"},
    {"list", case_list, "list cases"},
};

int ad_cmd_case(int argc, char **argv)
{
    return ad_cli_dispatch("case", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
