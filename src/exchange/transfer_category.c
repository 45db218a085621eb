/* transfer_category.c: the exchange's categories (scheme enum, integer code) and the store's
 * votes (scheme name, code text) are the same (scheme, code) pairs written two ways. */
#include <stdio.h>
#include <string.h>

#include "ariadne/transfer.h"

int ad_category_to_store(ad_category c, char scheme[16], char code[8])
{
    switch (c.scheme) {
    case AD_CAT_VIC_US:
        if (c.code < 0 || c.code > 4)
            return 0;
        snprintf(scheme, 16, "vics-us");
        snprintf(code, 8, "%d", c.code);
        return 1;
    case AD_CAT_DHS:
        if (c.code < 0 || c.code > 5)
            return 0;
        snprintf(scheme, 16, "dhs");
        snprintf(code, 8, "%d", c.code);
        return 1;
    case AD_CAT_UK:
        if (c.code < 1 || c.code > 3)
            return 0;
        snprintf(scheme, 16, "uk");
        snprintf(code, 8, "%c", 'A' + c.code - 1);
        return 1;
    case AD_CAT_BASELINE:
        if (c.code != 1)
            return 0;
        snprintf(scheme, 16, "baseline");
        snprintf(code, 8, "1");
        return 1;
    default:
        return 0;
    }
}

int ad_category_from_store(const char *scheme, const char *code, ad_category *out)
{
    out->scheme = AD_CAT_NONE;
    out->code = 0;
    if (!scheme || !code || !*code)
        return 0;
    if (!strcmp(scheme, "uk")) {
        if (code[1] || code[0] < 'A' || code[0] > 'C')
            return 0;
        out->scheme = AD_CAT_UK;
        out->code = code[0] - 'A' + 1;
        return 1;
    }
    if (code[0] < '0' || code[0] > '9' || code[1])
        return 0;
    int v = code[0] - '0';
    if (!strcmp(scheme, "vics-us") && v <= 4)
        out->scheme = AD_CAT_VIC_US;
    else if (!strcmp(scheme, "dhs") && v <= 5)
        out->scheme = AD_CAT_DHS;
    else if (!strcmp(scheme, "baseline") && v == 1)
        out->scheme = AD_CAT_BASELINE;
    else
        return 0;
    out->code = v;
    return 1;
}
