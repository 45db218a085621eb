/* test_authz.c: who may do what (ad_authz_check), as a generated matrix: every action of the
 * service layer, every role, on the caller's own agency's object, another agency's, one held by
 * no agency, and one that is nobody's evidence; against the table of sharing.md written out
 * here as text, so that a change of the code's table shows as a difference, and an action
 * added without a row here fails. */
#include <stdio.h>
#include <string.h>

#include "ariadne/service.h"
#include "testutil.h"

/* sharing.md's table, one row per action: the roles allowed (a admin, i investigator, n analyst,
 * p platform, u auditor) and whether the object must be the caller's agency's ("own"). */
static const struct {
    const char *action, *roles;
    int own;
} expected[] = {
    {"match", "p", 0},        {"hash", "ainp", 0},          {"feedback", "p", 0},
    {"read_shared", "ain", 0}, {"read_evidence", "ain", 1}, {"read_pixels", "ai", 1},
    {"upload", "i", 1},       {"series_write", "i", 0},     {"vote", "in", 0},
    {"note", "in", 0},        {"identify", "i", 1},         {"transfer", "ai", 0},
    {"admin", "a", 1},        {"audit", "u", 0},            {"series_merge", "i", 1},
    {"series_unlink", "i", 1},
};

static const char role_letter[AD_ROLE__COUNT] = {
    [AD_ROLE_ADMIN] = 'a',    [AD_ROLE_INVESTIGATOR] = 'i', [AD_ROLE_ANALYST] = 'n',
    [AD_ROLE_PLATFORM] = 'p', [AD_ROLE_AUDITOR] = 'u',
};

static int row_of(ad_action a)
{
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (!strcmp(expected[i].action, ad_action_name(a)))
            return (int)i;
    return -1;
}

static void t_matrix(void **state)
{
    (void)state;
    int checked = 0;
    for (int a = 0; a < AD_ACT__COUNT; a++) {
        int r = row_of((ad_action)a);
        if (r < 0)
            fail_msg("action %s has no row in sharing.md's table here", ad_action_name(a));
        ad_action back;
        assert_int_equal(ad_action_parse(ad_action_name(a), &back), AD_OK);
        assert_int_equal(back, a);
        for (int role = 0; role < AD_ROLE__COUNT; role++) {
            ad_identity id;
            memset(&id, 0, sizeof id);
            id.user_id = 7;
            id.agency_id = 10;
            id.role = (ad_role)role;
            int may = strchr(expected[r].roles, role_letter[role]) != NULL;
            /* the object: own agency, another agency, no agency, none (0: the caller's own) */
            const int64_t objects[] = {10, 11, -1, 0};
            for (int o = 0; o < 4; o++) {
                ad_err e;
                ad_code got = ad_authz_check(&id, (ad_action)a, objects[o], &e);
                int want = may && (!expected[r].own || objects[o] == 10 || objects[o] == 0);
                if ((got == AD_OK) != want)
                    fail_msg("%s by %s on agency %lld: %s, expected %s (%s)", ad_action_name(a),
                             ad_role_name((ad_role)role), (long long)objects[o],
                             got == AD_OK ? "allowed" : "refused", want ? "allowed" : "refused",
                             got == AD_OK ? "" : e.msg);
                if (got != AD_OK) {
                    assert_int_equal(got, AD_ERR_PERM);
                    assert_true(e.msg[0]);
                }
                assert_int_equal(ad_authz_allowed((ad_role)role, (ad_action)a), may);
                assert_int_equal(ad_authz_agency_bound((ad_action)a), expected[r].own);
                checked++;
            }
            /* a caller without an agency may do nothing agency-bound */
            id.agency_id = 0;
            ad_code got = ad_authz_check(&id, (ad_action)a, 0, NULL);
            assert_int_equal(got == AD_OK, may && !expected[r].own);
        }
    }
    assert_int_equal(checked, AD_ACT__COUNT * AD_ROLE__COUNT * 4);
    assert_int_equal(AD_ACT__COUNT, (int)(sizeof expected / sizeof expected[0]));
}

static void t_local_and_none(void **state)
{
    (void)state;
    ad_identity id;
    ad_identity_local(&id, "local:tester", 0);
    for (int a = 0; a < AD_ACT__COUNT; a++) {
        assert_int_equal(ad_authz_check(&id, (ad_action)a, 11, NULL), AD_OK);
        assert_int_equal(ad_authz_check(&id, (ad_action)a, -1, NULL), AD_OK);
    }
    ad_err e;
    assert_int_equal(ad_authz_check(NULL, AD_ACT_READ_SHARED, 0, &e), AD_ERR_PERM);
    assert_int_equal(ad_authz_check(&id, AD_ACT__COUNT, 0, &e), AD_ERR_ARG);
    ad_action x;
    assert_int_equal(ad_action_parse("fly", &x), AD_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_matrix),
        cmocka_unit_test(t_local_and_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
