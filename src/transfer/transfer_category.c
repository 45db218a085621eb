/* transfer_category.c: the exchange's categories (scheme enum, integer code) and the store's
 * votes (scheme name, code text) are the same (scheme, code) pairs written two ways; the scheme
 * names are the same in both (ad_cat_scheme_name). */
#include <stdio.h>
#include <string.h>

#include "ariadne/transfer.h"

int ad_category_to_store(ad_category c, char scheme[16], char code[8])
{
    char text[16];
    if (c.scheme == AD_CAT_NONE || c.scheme == AD_CAT_CUSTOM || !ad_category_is_valid(c))
        return 0;
    const char *name = ad_cat_scheme_name(c.scheme);
    ad_category_code_text(c, text);
    if (!ad_category_valid(name, text)) /* e.g. UK 0 "uncategorised", baseline 0 */
        return 0;
    snprintf(scheme, 16, "%s", name);
    snprintf(code, 8, "%s", text);
    return 1;
}

int ad_category_from_store(const char *scheme, const char *code, ad_category *out)
{
    ad_cat_scheme s;
    out->scheme = AD_CAT_NONE;
    out->code = 0;
    if (!ad_category_valid(scheme, code) || ad_cat_scheme_parse(scheme, &s, NULL) != AD_OK ||
        ad_category_parse(code, s, out, NULL) != AD_OK || out->scheme != s) {
        out->scheme = AD_CAT_NONE;
        out->code = 0;
        return 0;
    }
    return 1;
}
