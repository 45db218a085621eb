/* cmd_vote.c: `ariadne vote HASH SCHEME CODE`: a category vote on a media (ad_svc_vote, as the
 * server's POST /v1/votes); `ariadne vote withdraw GID`: withdraws one's own vote
 * (ad_svc_vote_withdraw, as POST /v1/votes/{vote}/withdraw). */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static void withdrawn_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)ctx;
    printf("media %lld: vote %s (%s=%s) withdrawn\n",
           (long long)json_integer_value(json_object_get(doc, "media")), a->pos[0],
           json_string_value(json_object_get(doc, "scheme")),
           json_string_value(json_object_get(doc, "code")));
}

static void voted_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)ctx;
    const char *trusted = json_string_value(json_object_get(doc, "trusted"));
    printf("media %lld: vote %s=%s recorded%s%s\n",
           (long long)json_integer_value(json_object_get(doc, "media")), a->pos[1], a->pos[2],
           trusted ? "; trusted category " : "", trusted ? trusted : "");
}

/* Withdraws a vote by its gid: a withdrawal row is added, the vote itself stays. */
static int vote_withdraw(int argc, char **argv)
{
    static const char *const opts[] = {"--voter", NULL};
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, "vote withdraw", "vote withdraw VOTE-GID [--voter NAME]", argc,
                              argv, opts, 1, 1);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(
        &r, ad_svc_vote_withdraw(&r.c, r.a.pos[0], ad_arg(&r.a, "--voter"), &r.doc, &r.err),
        withdrawn_text, NULL);
}

int ad_cmd_vote(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "withdraw"))
        return vote_withdraw(argc - 1, argv + 1);
    static const char *const opts[] = {"--voter", NULL};
    ad_cli_rec r;
    int rc =
        ad_cli_rec_start(&r, "vote",
                         "vote HASH SCHEME CODE [--voter NAME] (schemes: vics-us 0-4, dhs 0-5, "
                         "uk A-C, baseline 1); vote withdraw VOTE-GID (undo)",
                         argc, argv, opts, 3, 3);
    if (rc >= 0)
        return rc;
    if (!ad_category_valid(r.a.pos[1], r.a.pos[2]))
        return ad_cli_close(r.st, ad_args_usage_error(&r.a, "'%s' is not a code of scheme '%s'",
                                                      r.a.pos[2], r.a.pos[1]));
    return ad_cli_rec_reply(&r,
                            ad_svc_vote(&r.c, r.a.pos[0], r.a.pos[1], r.a.pos[2],
                                        ad_arg(&r.a, "--voter"), &r.doc, &r.err),
                            voted_text, NULL);
}
