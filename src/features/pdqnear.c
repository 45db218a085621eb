/* pdqnear.c: the PDQ-guided check (docs/features.md "The PDQ-guided check"). A picture that
 * digests, PDQ within its radius and the features' own search left new, but one of whose PDQs
 * (plain, trimmed or area, any of its 8 forms) lies within a wider radius of a known picture's,
 * is a copy of that picture when its local features agree at the placement the near PDQ
 * implies: the query's frame on the known picture's frame (a halved, watermarked or re-encoded
 * copy), or the query's content inside a border on it (a frame, padding), or the similarity the
 * tentative matches suggest when it does not turn the picture. There, guided matches (a query
 * point landing on a known point with a near signature, whatever their visual words) must be
 * many, consistent with one similarity that keeps the frames together, spread over the
 * picture, and far more than the same placement shifted gathers (what chance gives this pair:
 * a repeated pattern or lines of text gather as much shifted). A rule relaxed because two
 * independent signals agree: a watermark across the middle, a frame or padding, a halved or
 * quartered copy move PDQ 32-60 bits on some pictures and leave too few tentative matches for
 * the copy rule alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/feat_int.h"
#include "features/pdqnear.h"

size_t ad_feat_near_places(const ad_features *q, const ad_features *k, const double content[4],
                           double place[AD_FEAT_NEAR_PLACES][4])
{
    size_t n = 0;
    if (!q->width || !q->height || !k->width || !k->height)
        return 0;
    /* the frames together: the mean of the two axes' scales (a copy keeps its aspect) */
    double a = 0.5 * ((double)k->width / q->width + (double)k->height / q->height);
    place[n][0] = a, place[n][1] = 0, place[n][2] = 0, place[n][3] = 0, n++;
    if (content && content[2] > content[0] && content[3] > content[1]) {
        double cx = content[0] * q->width, cy = content[1] * q->height;
        double cw = (content[2] - content[0]) * q->width,
               ch = (content[3] - content[1]) * q->height;
        a = 0.5 * (k->width / cw + k->height / ch);
        place[n][0] = a, place[n][1] = 0, place[n][2] = -a * cx, place[n][3] = -a * cy, n++;
    }
    ad_feat_sim_stats st;
    ad_feat_measure_sim(q, k, &st);
    if (st.raw >= 2 && fabs(st.m.rotation) <= NEAR_ROT)
        memcpy(place[n++], st.sim, sizeof st.sim);
    return n;
}

/* How far the refined placement moved the query's corners from where the start put them, as a
 * fraction of the known picture's longer side. */
static double drift(const ad_features *q, const ad_features *k, const double s0[4],
                    const double s1[4])
{
    double most = 0;
    for (int c = 0; c < 4; c++) {
        double x = c & 1 ? q->width : 0, y = c & 2 ? q->height : 0;
        double dx = (s1[0] - s0[0]) * x - (s1[1] - s0[1]) * y + s1[2] - s0[2];
        double dy = (s1[1] - s0[1]) * x + (s1[0] - s0[0]) * y + s1[3] - s0[3];
        most = fmax(most, hypot(dx, dy));
    }
    int side = k->width > k->height ? k->width : k->height;
    return side ? most / side : 1;
}

int ad_feat_near_pass(const ad_features *q, const ad_features *k, const double start[4],
                      int implied, const ad_feat_sim_stats *st)
{
    /* one repeated pattern is evidence only at the placement the frames imply: elsewhere,
     * enough matches on words found once in each picture (two: only there,
     * ad_features_verify_near) */
    if (implied ? drift(q, k, start, st->sim) > NEAR_DRIFT : st->unique < NEAR_UNIQUE)
        return 0;
    return st->raw >= NEAR_MIN && st->raw >= NEAR_OVER * st->chance + NEAR_MARGIN &&
           st->raw >= NEAR_OVER_MOST * st->chance_most + NEAR_MARGIN &&
           fabs(st->m.rotation) <= NEAR_ROT && st->m.coverage >= NEAR_COVER &&
           st->known_cover >= NEAR_KCOVER && st->spread >= NEAR_SPREAD;
}

/* Two lattices at a placement the frames imply: the guided matches land on at least
 * NEAR_LATTICE_DENSE of the known picture's points inside the query's frame as placed. A copy
 * of a checkerboard has every corner of it (the robustness corpus's `chessboard` halved,
 * quartered, padded: 38-67% of the known's points matched; a generated one halved: 23%); a
 * checkerboard of twice the period, its corners a quarter of the known's, lands on them all
 * and is no copy (7.5%). */
static int lattice_dense(const ad_features *q, const ad_features *k, const double place[4],
                         const ad_feat_sim_stats *st)
{
    /* the placed frame's bounds: its four corners under x' = a x - b y + tx, y' = b x + a y + ty */
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int c = 0; c < 4; c++) {
        const double x = (c & 1) ? q->width : 0, y = (c & 2) ? q->height : 0,
                     u = place[0] * x - place[1] * y + place[2],
                     v = place[1] * x + place[0] * y + place[3];
        lo[0] = fmin(lo[0], u), hi[0] = fmax(hi[0], u);
        lo[1] = fmin(lo[1], v), hi[1] = fmax(hi[1], v);
    }
    size_t in = 0;
    for (size_t j = 0; j < k->n; j++)
        in += k->p[j].x >= lo[0] && k->p[j].x <= hi[0] && k->p[j].y >= lo[1] && k->p[j].y <= hi[1];
    return in && st->raw >= NEAR_LATTICE_DENSE * (double)in;
}

void ad_features_verify_near(const ad_features *query, const ad_features *known,
                             const double content[4], ad_feat_match *out)
{
    memset(out, 0, sizeof *out);
    out->query_size[0] = query->width, out->query_size[1] = query->height;
    out->known_size[0] = known->width, out->known_size[1] = known->height;
    /* two repeated patterns (two checkerboards) match each other one period away as well as in
     * place: decided once per pair, before any placement, they are evidence only at the
     * placements the frames imply (a halved, quartered or padded checkerboard), never at the
     * similarity their own tentative matches suggest, and only when the guided matches land on
     * many of the known picture's points there (lattice_dense). Two checkerboards of one period
     * on one canvas are then copies of each other whatever their grey levels: by construction
     * one is the other with its greys mapped (a brightness/contrast change) or shifted one
     * square (a crop of a larger lattice), which no content-based check can tell from a copy
     * (docs/features.md "The PDQ-guided check"; docs/benchmarks.md "Stop 22: lattices and
     * padding": they are the only copies the allowance adds among 10,000 unrelated pictures).
     * Checkerboards of other periods, tiles of one wallpaper: no copy (test_features
     * test_near_lattices, test_near). */
    const int lattices = ad_feat_repeated_stored(known) > AD_FEAT_REPEATED &&
                         ad_feat_repeated_stored(query) > AD_FEAT_REPEATED;
    double place[AD_FEAT_NEAR_PLACES][4];
    size_t np = ad_feat_near_places(query, known, content, place);
    const size_t implied = content && content[2] > content[0] && content[3] > content[1] ? 2 : 1;
    if (lattices && np > implied)
        np = implied;
    for (size_t i = 0; i < np; i++) {
        ad_feat_sim_stats st;
        ad_feat_guided_at(query, known, place[i], &st);
        if (ad_feat_near_pass(query, known, place[i], i < implied, &st) &&
            (!lattices || lattice_dense(query, known, place[i], &st)) && st.raw > out->inliers) {
            *out = st.m;
            out->inliers = st.raw;
            out->kind = AD_FEAT_COPY;
        }
    }
}

/* ---- in triage: the candidates and their check ---- */

int ad_feat_near_content(const ad_pdq_more *m, int width, int height, double content[4])
{
    if (!m || !m->has_trim || width <= 0 || height <= 0)
        return 0;
    content[0] = (double)m->content.x / width;
    content[1] = (double)m->content.y / height;
    content[2] = (double)(m->content.x + m->content.w) / width;
    content[3] = (double)(m->content.y + m->content.h) / height;
    return 1;
}

size_t ad_feat_near_candidates(const ad_lookup_index *lx, const ad_file_hash *fh, int min_quality,
                               int (*skip)(void *ctx, int64_t media_id), void *ctx,
                               int64_t ids[AD_FEAT_NEAR_CANDIDATES],
                               int dist[AD_FEAT_NEAR_CANDIDATES])
{
    const ad_h256 *set[4];
    size_t ns = 0, n = 0;
    if (!fh->has_pdq)
        return 0;
    /* the picture's own orientation only: the check verifies no turn */
    if (fh->pdq.quality >= min_quality)
        set[ns++] = &fh->pdq.hash;
    if (fh->has_more && fh->more.has_trim && fh->more.trim.quality >= min_quality)
        set[ns++] = &fh->more.trim.hash;
    if (fh->has_more && fh->more.has_area && fh->more.area.quality >= min_quality)
        set[ns++] = &fh->more.area.hash;
    if (fh->has_more && fh->more.has_trim_area && fh->more.trim_area.quality >= min_quality)
        set[ns++] = &fh->more.trim_area.hash;
    ad_index_hits h = {0};
    for (size_t s = 0; s < ns; s++) {
        if (ad_index_search(ad_lookup_index_get(lx), set[s], AD_FEAT_NEAR_RADIUS, &h, NULL))
            continue;
        for (size_t j = 0; j < h.n; j++) {
            if (h.v[j].id & AD_LOOKUP_FRAME_BIT) /* a video's frame: keyframes are searched */
                continue;
            int64_t id = ad_lookup_index_media(lx, h.v[j].id);
            int d = h.v[j].dist;
            if (!id || (skip && skip(ctx, id)))
                continue;
            size_t k = 0;
            while (k < n && ids[k] != id)
                k++;
            if (k < n) { /* seen: keep its nearest, re-sorted below */
                if (d >= dist[k])
                    continue;
                for (; k + 1 < n; k++)
                    ids[k] = ids[k + 1], dist[k] = dist[k + 1];
                n--;
            }
            /* nearest first (equal distances by media id), the nearest few kept */
            size_t at = n;
            while (at > 0 && (dist[at - 1] > d || (dist[at - 1] == d && ids[at - 1] > id)))
                at--;
            if (at >= AD_FEAT_NEAR_CANDIDATES)
                continue;
            if (n == AD_FEAT_NEAR_CANDIDATES)
                n--;
            for (size_t m = n; m > at; m--)
                ids[m] = ids[m - 1], dist[m] = dist[m - 1];
            ids[at] = id, dist[at] = d, n++;
        }
    }
    ad_index_hits_free(&h);
    return n;
}

ad_code ad_feat_near_check(ad_store *st, const int64_t *ids, const int *dist, size_t n,
                           const ad_features *q, const double content[4], ad_feat_found *out,
                           int *bits, ad_err *err)
{
    *bits = -1;
    for (size_t i = 0; i < n; i++) {
        ad_features k;
        ad_code rc = ad_feat_store_get(st, ids[i], &k, err);
        if (rc == AD_ERR_NOT_FOUND) /* no features (imported from a hash list): no check */
            continue;
        if (rc)
            return rc;
        ad_feat_match m;
        ad_features_verify_near(q, &k, content, &m);
        ad_features_free(&k);
        if (m.kind == AD_FEAT_COPY) {
            *out = (ad_feat_found){ids[i], m, -1};
            *bits = dist[i];
            return AD_OK;
        }
    }
    return AD_OK;
}

/* ---- `ariadne similar FILE` ---- */

ad_code ad_feat_near_file(ad_store *st, const uint8_t *data, size_t len, ad_feat_found *out,
                          int *bits, ad_err *err)
{
    *bits = -1;
    ad_hash_opts ho;
    ad_hash_opts_default(&ho);
    ho.more = 1; /* the trimmed and area PDQs, as ingest */
    ad_hasher *h = NULL;
    ad_file_hash fh;
    ad_code rc = ad_hasher_new(&h, &ho, err);
    if (rc == AD_OK && (ad_hasher_buffer(h, data, len, &fh, NULL) || !fh.has_pdq)) {
        ad_hasher_free(h); /* no PDQ (not an image, too small): nothing to guide */
        return AD_OK;
    }
    ad_hasher_free(h);
    ad_lookup_index *lx = NULL;
    if (rc == AD_OK)
        rc = ad_lookup_index_load(st, &lx, err);
    int64_t ids[AD_FEAT_NEAR_CANDIDATES];
    int dist[AD_FEAT_NEAR_CANDIDATES];
    ad_lookup_opts lo; /* the lookups' quality gate, as triage's */
    ad_lookup_opts_default(&lo);
    size_t n = rc ? 0 : ad_feat_near_candidates(lx, &fh, lo.min_quality, NULL, NULL, ids, dist);
    ad_lookup_index_free(lx);
    ad_features f;
    if (!n || ad_features_image(fh.type, data, len, NULL, NEAR_DETECT, &f, NULL))
        return rc;
    double box[4];
    int w = fh.image.out_width ? fh.image.out_width : fh.image.width;
    int hh = fh.image.out_height ? fh.image.out_height : fh.image.height;
    const double *content = fh.has_more && ad_feat_near_content(&fh.more, w, hh, box) ? box : NULL;
    rc = ad_feat_near_check(st, ids, dist, n, &f, content, out, bits, err);
    ad_features_free(&f);
    return rc;
}
