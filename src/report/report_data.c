/* report_data.c: the case report as JSON (one document) and CSV (one row per file). */
#include <string.h>

#include "ariadne/json.h"
#include "ariadne/report.h"
#include "ariadne/util.h"

static void jstr(FILE *o, const char *key, const char *v, int comma)
{
    if (comma)
        fputc(',', o);
    fprintf(o, "\"%s\":", key);
    if (v)
        ad_json_string(o, v, strlen(v));
    else
        fputs("null", o);
}

static void jint(FILE *o, const char *key, long long v)
{
    fprintf(o, ",\"%s\":%lld", key, v);
}

/* A time as an ISO 8601 string, null when unknown. */
static void jtime(FILE *o, const char *key, int64_t t)
{
    char buf[32];
    jstr(o, key, t > 0 ? ad_time_iso(t, buf) : NULL, 1);
}

/* The jobs of the case: id, exhibit, roots (one string each), who, status, options, times. */
static void jjobs(FILE *o, const ad_report *r)
{
    fputs(",\"jobs\":[", o);
    for (size_t j = 0; j < r->njobs; j++) {
        const ad_report_job *jb = &r->jobs[j];
        fputs(j ? ",{" : "{", o);
        jstr(o, "id", jb->id, 0);
        jstr(o, "exhibit", jb->exhibit, 1);
        fputs(",\"roots\":[", o);
        const char *it = jb->roots, *root;
        size_t n;
        for (int k = 0; ad_report_job_root(&it, &root, &n); k++) {
            if (k)
                fputc(',', o);
            ad_json_string(o, root, n);
        }
        fputc(']', o);
        jstr(o, "who", jb->who, 1);
        jstr(o, "status", jb->status, 1);
        jtime(o, "started", jb->started);
        jtime(o, "finished", jb->finished);
        jstr(o, "options", jb->options, 1);
        fputc('}', o);
    }
    fputc(']', o);
}

ad_code ad_report_write_json(const ad_report *r, FILE *o, ad_err *err)
{
    fputc('{', o);
    jstr(o, "case", r->case_number, 0);
    jstr(o, "agency", r->agency, 1);
    jstr(o, "exhibit", r->exhibit[0] ? r->exhibit : NULL, 1);
    jstr(o, "job", r->job[0] ? r->job : NULL, 1);
    jstr(o, "generated", r->generated, 1);
    jstr(o, "ariadne_version", r->version, 1);
    jstr(o, "store", r->store, 1);
    jstr(o, "audit_anchor", r->audit_anchor[0] ? r->audit_anchor : NULL, 1);
    fputs(",\"made_by\":{", o);
    jstr(o, "actor", r->actor, 0);
    jstr(o, "os_user", r->os_user[0] ? r->os_user : NULL, 1);
    fputc('}', o);
    jjobs(o, r);
    fputs(",\"counts\":{", o);
    for (int c = 0; c < AD_RC__COUNT; c++)
        fprintf(o, "%s\"%s\":%zu", c ? "," : "", ad_report_class_name((ad_report_class)c),
                r->counts[c]);
    fprintf(o, "},\"total\":%zu,\"groups\":[", r->n);
    for (size_t g = 0; g < r->ngroups; g++) {
        const ad_report_group *gr = &r->groups[g];
        fprintf(o, "%s{\"id\":%d", g ? "," : "", gr->id);
        jstr(o, "reasons", gr->reasons, 1);
        fputs(",\"files\":[", o);
        for (size_t i = 0; i < gr->n; i++) {
            const char *p = r->items[gr->items[i]].path;
            if (i)
                fputc(',', o);
            ad_json_string(o, p ? p : "", p ? strlen(p) : 0);
        }
        fputs("]}", o);
    }
    fputs("],\"files\":[", o);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *it = &r->items[i];
        fputs(i ? ",{" : "{", o);
        jstr(o, "path", it->path ? it->path : "", 0);
        jstr(o, "class", ad_report_class_name(it->cls), 1);
        if (it->parent_path) {
            jstr(o, "archive", it->parent_path, 1);
            jstr(o, "path_in_archive", it->inner_path, 1);
        }
        jint(o, "size", it->size);
        if (it->mtime)
            jint(o, "mtime", it->mtime);
        if (it->sha256[0]) {
            jstr(o, "md5", it->md5, 1);
            jstr(o, "sha1", it->sha1, 1);
            jstr(o, "sha256", it->sha256, 1);
        }
        if (it->mime[0])
            jstr(o, "mime", it->mime, 1);
        if (it->width)
            jint(o, "width", it->width), jint(o, "height", it->height);
        if (it->quality >= 0 && it->pdq[0]) {
            jstr(o, "pdq", it->pdq, 1);
            jint(o, "quality", it->quality);
        }
        if (it->match_kind[0]) {
            fprintf(o, ",\"match\":{\"media_id\":%lld,\"by\":\"%s\",\"distance\":%d,\"variant\":%d",
                    (long long)it->match_media_id, it->match_kind, it->match_distance,
                    it->match_variant);
            if (it->match_ranges)
                jstr(o, "ranges", it->match_ranges, 1);
            fputc('}', o);
        }
        if (it->nlinks) {
            fputs(",\"possible_links\":[", o);
            for (size_t k = 0; k < it->nlinks; k++) {
                const ad_report_link *l = &it->links[k];
                fprintf(o, "%s{\"media_id\":%lld,\"kind\":\"scene\"", k ? "," : "",
                        (long long)l->media_id);
                jstr(o, "sha256", l->sha256, 1);
                fprintf(o, ",\"inliers\":%d,\"matches\":%d,\"region_known\":[%s],"
                           "\"region_query\":[%s]",
                        l->inliers, l->matches, l->region_known, l->region_query);
                if (l->series_id) {
                    fprintf(o, ",\"series\":{\"id\":%lld", (long long)l->series_id);
                    jstr(o, "name", l->series_name, 1);
                    fputc('}', o);
                }
                fputc('}', o);
            }
            fputc(']', o);
        }
        if (it->series_id) {
            fprintf(o, ",\"series\":{\"id\":%lld", (long long)it->series_id);
            jstr(o, "name", it->series_name, 1);
            jstr(o, "owner", it->series_owner, 1);
            jstr(o, "contact", it->series_contact, 1);
            if (it->series_merged_from)
                jstr(o, "merged_from", it->series_merged_from, 1);
            fputc('}', o);
        }
        if (it->camera_make || it->camera_model || it->camera_serial || it->captured_text[0] ||
            it->has_gps || it->software) {
            fputs(",\"clues\":{", o);
            int c = 0;
            if (it->camera_make)
                jstr(o, "camera_make", it->camera_make, c++);
            if (it->camera_model)
                jstr(o, "camera_model", it->camera_model, c++);
            if (it->camera_serial)
                jstr(o, "camera_serial", it->camera_serial, c++);
            if (it->software)
                jstr(o, "software", it->software, c++);
            if (it->captured_text[0])
                jstr(o, "captured", it->captured_text, c++);
            if (it->has_gps)
                fprintf(o, "%s\"lat\":%.7f,\"lon\":%.7f", c++ ? "," : "", it->lat, it->lon);
            fputc('}', o);
        }
        if (it->group > 0)
            jint(o, "group", it->group);
        if (it->error_code) {
            jstr(o, "error", it->error_code, 1);
            jstr(o, "message", it->error_message, 1);
        }
        fputc('}', o);
    }
    fputs("]}\n", o);
    if (ferror(o))
        return ad_err_set(err, AD_ERR_IO, "cannot write the JSON report");
    return AD_OK;
}

/* One CSV cell (ad_csv_cell: RFC 4180 quoting, formulas neutralised). */
static void cfield(FILE *o, const char *s, int comma)
{
    if (comma)
        fputc(',', o);
    ad_csv_cell(o, s, ',');
}

ad_code ad_report_write_csv(const ad_report *r, FILE *o, ad_err *err)
{
    fputs("path,class,archive,path_in_archive,size,mtime,md5,sha1,sha256,mime,width,height,pdq,"
          "quality,match_by,match_media_id,match_distance,match_variant,series_id,series,"
          "series_owner,series_contact,group,camera_make,camera_model,camera_serial,captured,"
          "lat,lon,error,message,possible_links\n",
          o);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *it = &r->items[i];
        cfield(o, it->path, 0);
        cfield(o, ad_report_class_name(it->cls), 1);
        cfield(o, it->parent_path, 1);
        cfield(o, it->inner_path, 1);
        fprintf(o, ",%lld,%lld", (long long)it->size, (long long)it->mtime);
        cfield(o, it->md5, 1);
        cfield(o, it->sha1, 1);
        cfield(o, it->sha256, 1);
        cfield(o, it->mime, 1);
        if (it->width)
            fprintf(o, ",%d,%d", it->width, it->height);
        else
            fputs(",,", o);
        cfield(o, it->quality >= 0 ? it->pdq : NULL, 1);
        if (it->quality >= 0 && it->pdq[0])
            fprintf(o, ",%d", it->quality);
        else
            fputc(',', o);
        cfield(o, it->match_kind, 1);
        if (it->match_kind[0])
            fprintf(o, ",%lld,%d,%d", (long long)it->match_media_id, it->match_distance,
                    it->match_variant);
        else
            fputs(",,,", o);
        if (it->series_id)
            fprintf(o, ",%lld", (long long)it->series_id);
        else
            fputc(',', o);
        cfield(o, it->series_name, 1);
        cfield(o, it->series_owner, 1);
        cfield(o, it->series_contact, 1);
        if (it->group > 0)
            fprintf(o, ",%d", it->group);
        else
            fputc(',', o);
        cfield(o, it->camera_make, 1);
        cfield(o, it->camera_model, 1);
        cfield(o, it->camera_serial, 1);
        cfield(o, it->captured_text, 1);
        if (it->has_gps)
            fprintf(o, ",%.7f,%.7f", it->lat, it->lon);
        else
            fputs(",,", o);
        cfield(o, it->error_code, 1);
        cfield(o, it->error_message, 1);
        /* possible links: "media:ID:inliers" joined by ';' */
        char links[512] = "";
        size_t lo = 0;
        for (size_t k = 0; k < it->nlinks && lo < sizeof links; k++)
            lo += (size_t)snprintf(links + lo, sizeof links - lo, "%smedia:%lld:%d", k ? ";" : "",
                                   (long long)it->links[k].media_id, it->links[k].inliers);
        cfield(o, links, 1);
        fputc('\n', o);
    }
    if (ferror(o))
        return ad_err_set(err, AD_ERR_IO, "cannot write the CSV report");
    return AD_OK;
}
