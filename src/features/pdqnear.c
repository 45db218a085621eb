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
        double cw = (content[2] - content[0]) * q->width, ch = (content[3] - content[1]) * q->height;
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
    /* a repeated pattern (a checkerboard) is evidence only at the placement the frames imply:
     * elsewhere, enough matches on words found once in each picture */
    if (implied ? drift(q, k, start, st->sim) > NEAR_DRIFT : st->unique < NEAR_UNIQUE)
        return 0;
    return st->raw >= NEAR_MIN && st->raw >= NEAR_OVER * st->chance + NEAR_MARGIN &&
           st->raw >= NEAR_OVER_MOST * st->chance_most + NEAR_MARGIN &&
           fabs(st->m.rotation) <= NEAR_ROT && st->m.coverage >= NEAR_COVER &&
           st->known_cover >= NEAR_KCOVER && st->spread >= NEAR_SPREAD;
}

void ad_features_verify_near(const ad_features *query, const ad_features *known,
                             const double content[4], ad_feat_match *out)
{
    memset(out, 0, sizeof *out);
    out->query_size[0] = query->width, out->query_size[1] = query->height;
    out->known_size[0] = known->width, out->known_size[1] = known->height;
    double place[AD_FEAT_NEAR_PLACES][4];
    size_t np = ad_feat_near_places(query, known, content, place);
    const size_t implied = content && content[2] > content[0] && content[3] > content[1] ? 2 : 1;
    for (size_t i = 0; i < np; i++) {
        ad_feat_sim_stats st;
        ad_feat_guided_at(query, known, place[i], &st);
        if (ad_feat_near_pass(query, known, place[i], i < implied, &st) &&
            st.raw > out->inliers) {
            *out = st.m;
            out->inliers = st.raw;
            out->kind = AD_FEAT_COPY;
        }
    }
}
