/* verify.c: the geometric check that decides (docs/features.md "The check"): tentative matches
 * (same visual word, signatures within AD_FEAT_SIG_DIST bits, unambiguous and one-to-one), then
 * RANSAC for a similarity (2 points; keypoint orientations must agree with its rotation), and
 * when that is not a copy, RANSAC for a homography (4 points, DLT). A copy: enough matches
 * consistent with a similarity and most of the query's frame inside the known picture. The same
 * scene: enough matches consistent with a non-degenerate homography spread over both pictures.
 * Consistent matches are counted by distinct visual words (a repeated pattern is no evidence),
 * and enough of them must be on words found once in each picture (a shifted piece of a periodic
 * texture fits a transform with points of its repeating unit only), and a copy between two
 * lattices (each picture matches itself one period away) is none.
 * Deterministic (a fixed seed). */
#include <math.h>

#include "feat_int.h"

#define SIG_DIST 10       /* of 32 bits */
#define SIM_ITER 600
#define HOM_ITER 1500
#define SIM_TOL 3.0       /* pixels of the known reduction */
#define HOM_TOL 4.0
#define ANGLE_TOL 25.0    /* degrees between a pair's orientation difference and the rotation */
#define COPY_MIN 10       /* consistent matches for a copy */
#define COPY_COVER 0.6    /* of the query's frame inside the known */
#define COPY_RATIO 0.35   /* of the tentative matches consistent (a stereo pair has fewer: aloeL/R
                             0.33 on the features of the PDQ decode; robust-corpus copies >= 0.37) */
#define SCENE_MIN 10      /* consistent matches for the same scene */
#define SPREAD_MIN 0.04   /* inliers' box, fraction of each picture's area */
#define REPEATED AD_FEAT_REPEATED /* feat_int.h */
#define UNIQUE_MIN 13     /* consistent matches on words found once in each picture ... */
#define UNIQUE_PLAIN 8    /* ... or, when neither picture repeats (REPEATS_LOW), this many */
#define REPEATS_LOW 0.2   /* of a picture's points on recurring words: no repeated pattern */
#define GUIDE_SEED 4      /* consistent tentative matches that start guided matching */
#define GUIDE_TOL 5.0     /* pixels between where the homography puts a query point and a known */
#define GUIDE_SIG 8       /* of 32 signature bits, for a guided match */
#define GUIDE_MIN 15      /* consistent guided matches for the same scene ... */
#define GUIDE_UNIQUE 10   /* ... this many on words found once in each picture ... */
#define GUIDE_OVER 5.0    /* ... at least 5 x what chance gives on average + 6 ... */
#define GUIDE_MARGIN 6.0
#define GUIDE_OVER_MOST 2.0 /* ... and 2 x the most a shifted place gathers + 4 (text lines: */
#define GUIDE_MARGIN_MOST 4.0 /* a shift along the line gathers as many) */
#define GUIDE_SPREAD 0.005 /* inliers' box (a narrow overlap; chance is measured instead) */
#define GUIDE_SHIFT 12.0  /* pixels the homography is shifted by to measure chance */
#define REPEATS_GUIDED 0.35 /* guided matching also between pictures with up to this share of
                               points on recurring words (photos of shelves, toys, a render:
                               0.2-0.35), under the strict chance test: */
#define GUIDE_OVER_STRICT 8.0     /* 8 x the mean a shifted place gathers + 6, and */
#define GUIDE_OVER_MOST_STRICT 3.0 /* 3 x the most + 4 */
#define DENSE_FROM 12     /* guided matches consistent on the query's 500 points from which its
                             denser points are tried, up to GUIDE_MIN (they finish what the 500
                             nearly found, never start from scratch) */

typedef struct {
    float qx, qy, kx, ky, dang;
    uint32_t word;  /* the known point's */
    uint32_t qword; /* the query point's own (a match may be under one of its next words) */
} pair;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

const char *ad_feat_kind_name(ad_feat_kind k)
{
    return k == AD_FEAT_COPY ? "copy" : k == AD_FEAT_SCENE ? "scene" : "none";
}

typedef struct {
    uint32_t word;
    uint32_t i;
} wi;

static int by_word(const void *a, const void *b)
{
    const wi *x = a, *y = b;
    return x->word != y->word ? (x->word < y->word ? -1 : 1) : (x->i < y->i ? -1 : x->i > y->i);
}

/* tentative matches: for each query point, the known point of its word with the nearest
 * signature, when that one is clearly nearer than the next; then one query point per known */
static size_t tentative(const ad_features *q, const ad_features *k, pair *out)
{
    wi *kw = malloc(sizeof *kw * (k->n ? k->n : 1));
    int32_t *best_q = malloc(sizeof *best_q * (k->n ? k->n : 1));
    int *best_d = malloc(sizeof *best_d * (k->n ? k->n : 1));
    int32_t *qk = malloc(sizeof *qk * (q->n ? q->n : 1));
    int *qd = malloc(sizeof *qd * (q->n ? q->n : 1));
    size_t n = 0;
    if (!kw || !best_q || !best_d || !qk || !qd)
        goto done;
    for (size_t i = 0; i < k->n; i++) {
        kw[i] = (wi){k->p[i].word, (uint32_t)i};
        best_q[i] = -1;
        best_d[i] = 99;
    }
    qsort(kw, k->n, sizeof *kw, by_word);
    for (size_t j = 0; j < q->n; j++) {
        qk[j] = -1;
        const ad_feat_point *p = &q->p[j];
        int d1 = 99, d2 = 99, b = -1;
        for (int a = -1; a < AD_FEAT_ALT; a++) {
            uint32_t word = a < 0 ? p->word : p->alt[a];
            if (word == AD_FEAT_NOWORD)
                continue;
            size_t lo = 0, hi = k->n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (kw[mid].word < word)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t m = lo; m < k->n && kw[m].word == word; m++) {
                int d = __builtin_popcount(k->p[kw[m].i].sig ^ p->sig);
                if (d < d1) {
                    d2 = d1;
                    d1 = d;
                    b = (int)kw[m].i;
                } else if (d < d2) {
                    d2 = d;
                }
            }
        }
        if (b < 0 || d1 > SIG_DIST || d2 <= d1 + 1)
            continue;
        qk[j] = b;
        qd[j] = d1;
        if (d1 < best_d[b]) {
            best_d[b] = d1;
            best_q[b] = (int32_t)j;
        }
    }
    for (size_t j = 0; j < q->n; j++) {
        if (qk[j] < 0 || best_q[qk[j]] != (int32_t)j)
            continue;
        const ad_feat_point *a = &q->p[j], *b = &k->p[qk[j]];
        float da = b->angle - a->angle;
        out[n++] = (pair){a->x, a->y, b->x, b->y, da, b->word, a->word};
    }
done:
    free(kw);
    free(best_q);
    free(best_d);
    free(qk);
    free(qd);
    return n;
}

static double angdiff(double a, double b) /* |a - b| on the circle, degrees */
{
    double d = fmod(fabs(a - b), 360.0);
    return d > 180 ? 360 - d : d;
}

/* similarity k = A q + t with A = [a -b; b a] */
typedef struct {
    double a, b, tx, ty;
} sim;

static int sim_inliers(const pair *m, size_t n, const sim *s, double tol, uint8_t *mask)
{
    int c = 0;
    double rot = atan2(s->b, s->a) * 180 / M_PI;
    for (size_t i = 0; i < n; i++) {
        double x = s->a * m[i].qx - s->b * m[i].qy + s->tx - m[i].kx;
        double y = s->b * m[i].qx + s->a * m[i].qy + s->ty - m[i].ky;
        int in = x * x + y * y <= tol * tol && angdiff(m[i].dang, rot) <= ANGLE_TOL;
        if (mask)
            mask[i] = (uint8_t)in;
        c += in;
    }
    return c;
}

/* least squares similarity over the masked pairs */
static int sim_fit(const pair *m, size_t n, const uint8_t *mask, sim *s)
{
    double cx = 0, cy = 0, dx = 0, dy = 0, c = 0;
    for (size_t i = 0; i < n; i++)
        if (mask[i]) {
            cx += m[i].qx, cy += m[i].qy, dx += m[i].kx, dy += m[i].ky, c++;
        }
    if (c < 2)
        return 0;
    cx /= c, cy /= c, dx /= c, dy /= c;
    double sa = 0, sb = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        if (mask[i]) {
            double qx = m[i].qx - cx, qy = m[i].qy - cy, kx = m[i].kx - dx, ky = m[i].ky - dy;
            sa += qx * kx + qy * ky;
            sb += qx * ky - qy * kx;
            sq += qx * qx + qy * qy;
        }
    if (sq <= 0)
        return 0;
    s->a = sa / sq;
    s->b = sb / sq;
    s->tx = dx - (s->a * cx - s->b * cy);
    s->ty = dy - (s->b * cx + s->a * cy);
    return 1;
}

static int ransac_sim(const pair *m, size_t n, uint8_t *mask, sim *best)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int bestc = 0;
    for (int it = 0; it < SIM_ITER && n >= 2; it++) {
        size_t i = rnd(&seed) % n, j = rnd(&seed) % n;
        if (i == j)
            continue;
        double qx = m[j].qx - m[i].qx, qy = m[j].qy - m[i].qy;
        double kx = m[j].kx - m[i].kx, ky = m[j].ky - m[i].ky;
        double d = qx * qx + qy * qy;
        if (d < 25) /* points too close to fix a rotation and scale */
            continue;
        sim s = {(qx * kx + qy * ky) / d, (qx * ky - qy * kx) / d, 0, 0};
        double sc = hypot(s.a, s.b);
        if (sc < 0.1 || sc > 10)
            continue;
        double rot = atan2(s.b, s.a) * 180 / M_PI;
        if (angdiff(m[i].dang, rot) > ANGLE_TOL || angdiff(m[j].dang, rot) > ANGLE_TOL)
            continue;
        s.tx = m[i].kx - (s.a * m[i].qx - s.b * m[i].qy);
        s.ty = m[i].ky - (s.b * m[i].qx + s.a * m[i].qy);
        int c = sim_inliers(m, n, &s, SIM_TOL, NULL);
        if (c > bestc) {
            bestc = c;
            *best = s;
        }
    }
    if (bestc < 2)
        return 0;
    /* refine twice by least squares over the inliers */
    for (int r = 0; r < 2; r++) {
        sim_inliers(m, n, best, SIM_TOL, mask);
        sim t;
        if (!sim_fit(m, n, mask, &t))
            break;
        if (sim_inliers(m, n, &t, SIM_TOL, NULL) >= bestc) {
            *best = t;
            bestc = sim_inliers(m, n, best, SIM_TOL, NULL);
        }
    }
    return sim_inliers(m, n, best, SIM_TOL, mask);
}

/* homography from 4 pairs (DLT with h33 = 1, Gaussian elimination) */
static int hom4(const pair *m, const size_t *ix, double h[9])
{
    double A[8][9];
    for (int r = 0; r < 4; r++) {
        const pair *p = &m[ix[r]];
        double x = p->qx, y = p->qy, u = p->kx, v = p->ky;
        double r0[9] = {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
        double r1[9] = {0, 0, 0, x, y, 1, -v * x, -v * y, v};
        memcpy(A[2 * r], r0, sizeof r0);
        memcpy(A[2 * r + 1], r1, sizeof r1);
    }
    for (int c = 0; c < 8; c++) {
        int piv = c;
        for (int r = c + 1; r < 8; r++)
            if (fabs(A[r][c]) > fabs(A[piv][c]))
                piv = r;
        if (fabs(A[piv][c]) < 1e-9)
            return 0;
        if (piv != c)
            for (int k = 0; k < 9; k++) {
                double t = A[c][k];
                A[c][k] = A[piv][k];
                A[piv][k] = t;
            }
        for (int r = 0; r < 8; r++) {
            if (r == c)
                continue;
            double f = A[r][c] / A[c][c];
            for (int k = c; k < 9; k++)
                A[r][k] -= f * A[c][k];
        }
    }
    for (int c = 0; c < 8; c++)
        h[c] = A[c][8] / A[c][c];
    h[8] = 1;
    return 1;
}

static int hom_sane(const double h[9])
{
    double det = h[0] * h[4] - h[1] * h[3];
    return det > 0.05 && det < 20 && fabs(h[6]) < 0.004 && fabs(h[7]) < 0.004;
}

static int hom_inliers(const pair *m, size_t n, const double h[9], uint8_t *mask)
{
    int c = 0;
    for (size_t i = 0; i < n; i++) {
        double w = h[6] * m[i].qx + h[7] * m[i].qy + h[8];
        int in = 0;
        if (w > 1e-6) {
            double x = (h[0] * m[i].qx + h[1] * m[i].qy + h[2]) / w - m[i].kx;
            double y = (h[3] * m[i].qx + h[4] * m[i].qy + h[5]) / w - m[i].ky;
            in = x * x + y * y <= HOM_TOL * HOM_TOL;
        }
        if (mask)
            mask[i] = (uint8_t)in;
        c += in;
    }
    return c;
}

static int distinct_inliers(const pair *m, size_t n, const uint8_t *mask);
static int unique_inliers(const pair *m, size_t n, const uint8_t *mask, const ad_features *q,
                          const ad_features *k);
static double boxes(const pair *m, size_t n, const uint8_t *mask, const ad_features *q,
                    const ad_features *k, ad_feat_match *out);

static int ransac_hom(const pair *m, size_t n, uint8_t *mask, double hout[9])
{
    uint64_t seed = 0x2545f4914f6cdd1dull;
    int bestc = 0;
    double best[9];
    for (int it = 0; it < HOM_ITER && n >= 4; it++) {
        size_t ix[4];
        for (int r = 0; r < 4; r++)
            ix[r] = rnd(&seed) % n;
        if (ix[0] == ix[1] || ix[0] == ix[2] || ix[0] == ix[3] || ix[1] == ix[2] ||
            ix[1] == ix[3] || ix[2] == ix[3])
            continue;
        double h[9];
        if (!hom4(m, ix, h) || !hom_sane(h))
            continue;
        int c = hom_inliers(m, n, h, NULL);
        if (c > bestc) {
            bestc = c;
            memcpy(best, h, sizeof best);
        }
    }
    if (bestc && hout)
        memcpy(hout, best, sizeof best);
    return bestc ? hom_inliers(m, n, best, mask) : 0;
}

/* The known points by cells of a grid (cs pixels, at least the tolerance of a search): the
 * points near a place are those of the 3 x 3 cells around it (guided matching looks up each
 * query point there, not among all known points). */
typedef struct {
    double cs;
    int cw, ch;
    int *start; /* cw x ch + 1: the cell c's points are idx[start[c]..start[c + 1]) */
    int *idx;
} kgrid;

static int kgrid_cell(const kgrid *g, double x, double y)
{
    int cx = (int)floor(x / g->cs), cy = (int)floor(y / g->cs);
    cx = cx < 0 ? 0 : cx >= g->cw ? g->cw - 1 : cx;
    cy = cy < 0 ? 0 : cy >= g->ch ? g->ch - 1 : cy;
    return cy * g->cw + cx;
}

static void kgrid_free(kgrid *g)
{
    free(g->start);
    free(g->idx);
    g->start = g->idx = NULL;
}

static int kgrid_make(const ad_features *k, double tol, kgrid *g)
{
    g->cs = tol > 1 ? tol : 1;
    g->cw = (int)(k->width / g->cs) + 2;
    g->ch = (int)(k->height / g->cs) + 2;
    const size_t nc = (size_t)g->cw * (size_t)g->ch;
    g->start = calloc(nc + 1, sizeof *g->start);
    g->idx = malloc(sizeof *g->idx * (k->n ? k->n : 1));
    int *fill = malloc(sizeof *fill * (nc + 1));
    if (!g->start || !g->idx || !fill) {
        free(fill);
        kgrid_free(g);
        return -1;
    }
    for (size_t i = 0; i < k->n; i++)
        g->start[kgrid_cell(g, k->p[i].x, k->p[i].y) + 1]++;
    for (size_t c = 0; c < nc; c++)
        g->start[c + 1] += g->start[c];
    memcpy(fill, g->start, sizeof *fill * (nc + 1));
    for (size_t i = 0; i < k->n; i++)
        g->idx[fill[kgrid_cell(g, k->p[i].x, k->p[i].y)]++] = (int)i;
    free(fill);
    return 0;
}

/* Guided matching: every query point that the homography h carries to within GUIDE_TOL pixels
 * of a known point whose signature is within GUIDE_SIG bits, whatever their visual words (a
 * point seen from another side, at another scale or in other light often falls in another
 * word), when that known point is the only such one near there (the next is 2 bits further or
 * more); one query point per known point. Returns the pairs written to out (query->n room). */
static size_t guided(const ad_features *q, const ad_features *k, const double h[9], double tol,
                     pair *out)
{
    int32_t *best_q = malloc(sizeof *best_q * (k->n ? k->n : 1));
    int *best_d = malloc(sizeof *best_d * (k->n ? k->n : 1));
    int32_t *qk = malloc(sizeof *qk * (q->n ? q->n : 1));
    size_t n = 0;
    kgrid kg = {0};
    if (!best_q || !best_d || !qk || kgrid_make(k, tol, &kg))
        goto done;
    for (size_t i = 0; i < k->n; i++)
        best_q[i] = -1, best_d[i] = 99;
    for (size_t j = 0; j < q->n; j++) {
        const ad_feat_point *p = &q->p[j];
        qk[j] = -1;
        double w = h[6] * p->x + h[7] * p->y + h[8];
        if (w <= 1e-6)
            continue;
        double u = (h[0] * p->x + h[1] * p->y + h[2]) / w;
        double v = (h[3] * p->x + h[4] * p->y + h[5]) / w;
        int d1 = 99, d2 = 99, b = -1;
        /* the known points within tol: those of the 3 x 3 cells around (u, v); the answer does
         * not depend on their order (a tie for the nearest signature is refused) */
        const double cu = floor(u / kg.cs), cv = floor(v / kg.cs);
        if (!(cu >= -1 && cv >= -1 && cu <= kg.cw && cv <= kg.ch)) /* far outside (or NaN) */
            continue;
        for (int y = (int)cv - 1; y <= (int)cv + 1; y++)
            for (int x = (int)cu - 1; x <= (int)cu + 1; x++) {
                if (x < 0 || y < 0 || x >= kg.cw || y >= kg.ch)
                    continue;
                const int c = y * kg.cw + x;
                for (int e = kg.start[c]; e < kg.start[c + 1]; e++) {
                    const int i = kg.idx[e];
                    double dx = k->p[i].x - u, dy = k->p[i].y - v;
                    if (dx * dx + dy * dy > tol * tol)
                        continue;
                    int d = __builtin_popcount(k->p[i].sig ^ p->sig);
                    if (d < d1)
                        d2 = d1, d1 = d, b = i;
                    else if (d < d2)
                        d2 = d;
                }
            }
        if (b < 0 || d1 > GUIDE_SIG || d2 <= d1 + 1)
            continue;
        qk[j] = b;
        if (d1 < best_d[b])
            best_d[b] = d1, best_q[b] = (int32_t)j;
    }
    for (size_t j = 0; j < q->n; j++) {
        if (qk[j] < 0 || best_q[qk[j]] != (int32_t)j)
            continue;
        const ad_feat_point *a = &q->p[j], *b = &k->p[qk[j]];
        out[n++] = (pair){a->x, a->y, b->x, b->y, b->angle - a->angle, b->word, a->word};
    }
done:
    kgrid_free(&kg);
    free(best_q);
    free(best_d);
    free(qk);
    return n;
}

/* The guided matches that chance alone gives this pair of pictures: the mean count over the
 * homography shifted by GUIDE_SHIFT pixels (and twice that) in 8 directions. Text lines, a
 * page of one font, fine regular texture: near every place a query point lands there is a
 * known point with a near signature, shifted or not. Between two views of one scene the
 * shifted homographies gather almost nothing. */
static double guided_chance(const ad_features *q, const ad_features *k, const double h[9],
                            pair *scratch, size_t *most)
{
    static const int dir[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}};
    size_t sum = 0, mx = 0;
    for (int r = 1; r <= 2; r++)
        for (int t = 0; t < 8; t++) {
            double dx = dir[t][0] * GUIDE_SHIFT * r, dy = dir[t][1] * GUIDE_SHIFT * r, g[9];
            memcpy(g, h, sizeof g);
            g[0] += dx * g[6], g[1] += dx * g[7], g[2] += dx * g[8];
            g[3] += dy * g[6], g[4] += dy * g[7], g[5] += dy * g[8];
            size_t c = guided(q, k, g, GUIDE_TOL, scratch);
            sum += c;
            mx = c > mx ? c : mx;
        }
    *most = mx;
    return sum / 16.0;
}

/* The same scene seen again (docs/features.md "The check", guided): from a homography that
 * the tentative matches support (hi of them), the guided matches, twice (a homography refitted
 * by RANSAC over them, then guided again). A scene when enough of them are consistent, enough
 * on words found once in each picture, far more than chance gives (guided_chance; strict: for
 * pictures that repeat somewhat, REPEATS_GUIDED), spread over both pictures. Returns the
 * consistent guided matches (0: not a scene); the boxes of out describe them. */
static int guided_scene(const ad_features *q, const ad_features *k, const double h0[9],
                        int strict, ad_feat_match *out)
{
    pair *g = malloc(sizeof *g * q->n), *scratch = malloc(sizeof *scratch * q->n);
    uint8_t *gm = malloc(q->n);
    int found = 0;
    if (!g || !gm || !scratch)
        goto done;
    double h[9];
    memcpy(h, h0, sizeof h);
    size_t ng = 0;
    int gi = 0;
    for (int round = 0; round < 3; round++) { /* the seed's place is rough: wider at first */
        ng = guided(q, k, h, round ? GUIDE_TOL : 2 * GUIDE_TOL, g);
        gi = ransac_hom(g, ng, gm, h);
        out->guided_most = gi > out->guided_most ? gi : out->guided_most;
        if (gi < (round ? GUIDE_MIN : GUIDE_SEED)) {
            /* just short, and far more than chance gives at this place: the query's denser
             * points may finish it (ad_features_dense_wanted) */
            if (round && gi >= DENSE_FROM && gi < GUIDE_MIN) {
                size_t most;
                double chance = guided_chance(q, k, h, scratch, &most);
                const double over = strict ? GUIDE_OVER_STRICT : GUIDE_OVER,
                             over_most = strict ? GUIDE_OVER_MOST_STRICT : GUIDE_OVER_MOST;
                out->near_scene |= gi >= over * chance + GUIDE_MARGIN &&
                                   gi >= over_most * (double)most + GUIDE_MARGIN_MOST;
            }
            goto done;
        }
    }
    gi = distinct_inliers(g, ng, gm);
    int gu = unique_inliers(g, ng, gm, q, k);
    size_t most;
    double chance = guided_chance(q, k, h, scratch, &most);
    ad_feat_match box;
    memset(&box, 0, sizeof box);
    const double over = strict ? GUIDE_OVER_STRICT : GUIDE_OVER,
                 over_most = strict ? GUIDE_OVER_MOST_STRICT : GUIDE_OVER_MOST;
    if (gi >= GUIDE_MIN && gu >= GUIDE_UNIQUE && gi >= over * chance + GUIDE_MARGIN &&
        gi >= over_most * (double)most + GUIDE_MARGIN_MOST &&
        boxes(g, ng, gm, q, k, &box) >= GUIDE_SPREAD) {
        memcpy(out->box_known, box.box_known, sizeof box.box_known);
        memcpy(out->box_query, box.box_query, sizeof box.box_query);
        found = gi;
    }
done:
    free(g);
    free(gm);
    free(scratch);
    return found;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The inliers counted by distinct visual words: a repeated pattern (a checkerboard, a grid, a
 * page of one font) gives many consistent matches of few words, which are no evidence. */
static int distinct_inliers(const pair *m, size_t n, const uint8_t *mask)
{
    uint32_t *w = malloc((n ? n : 1) * sizeof *w);
    if (!w)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (mask[i])
            w[k++] = m[i].word;
    qsort(w, k, sizeof *w, cmp_u32);
    int d = 0;
    for (size_t i = 0; i < k; i++)
        d += !i || w[i] != w[i - 1];
    free(w);
    return d;
}

/* How many times word w occurs in sorted[0..n). */
static int word_count(const uint32_t *sorted, size_t n, uint32_t w)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sorted[mid] < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    int c = 0;
    while (lo < n && sorted[lo++] == w)
        c++;
    return c;
}

static uint32_t *sorted_words(const ad_features *f)
{
    uint32_t *w = malloc((f->n ? f->n : 1) * sizeof *w);
    if (!w)
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        w[i] = f->p[i].word;
    qsort(w, f->n, sizeof *w, cmp_u32);
    return w;
}

/* Unambiguous inliers: those whose visual word occurs once in the query and once in the known
 * picture. In a periodic texture (a lattice, a tiled wallpaper, a checkerboard) the inliers
 * are points of the repeating unit, whose words recur: a shifted piece of the texture fits
 * the transform as well as the right one would. Evidence is what could only fit here. */
static int unique_inliers(const pair *m, size_t n, const uint8_t *mask, const ad_features *q,
                          const ad_features *k)
{
    uint32_t *wq = sorted_words(q), *wk = sorted_words(k);
    int c = 0;
    if (wq && wk) {
        for (size_t i = 0; i < n; i++)
            if (mask[i] && word_count(wk, k->n, m[i].word) == 1 &&
                word_count(wq, q->n, m[i].qword) == 1)
                c++;
    }
    free(wq);
    free(wk);
    return c;
}

/* inliers' bounding boxes, as fractions; returns the smaller of the two areas' fractions */
static double boxes(const pair *m, size_t n, const uint8_t *mask, const ad_features *q,
                    const ad_features *k, ad_feat_match *out)
{
    double bq[4] = {1e9, 1e9, -1e9, -1e9}, bk[4] = {1e9, 1e9, -1e9, -1e9};
    for (size_t i = 0; i < n; i++) {
        if (!mask[i])
            continue;
        bq[0] = fmin(bq[0], m[i].qx), bq[1] = fmin(bq[1], m[i].qy);
        bq[2] = fmax(bq[2], m[i].qx), bq[3] = fmax(bq[3], m[i].qy);
        bk[0] = fmin(bk[0], m[i].kx), bk[1] = fmin(bk[1], m[i].ky);
        bk[2] = fmax(bk[2], m[i].kx), bk[3] = fmax(bk[3], m[i].ky);
    }
    if (bq[2] < bq[0])
        return 0;
    for (int c = 0; c < 4; c++) {
        out->box_query[c] = fmin(1, fmax(0, bq[c] / (c & 1 ? q->height : q->width)));
        out->box_known[c] = fmin(1, fmax(0, bk[c] / (c & 1 ? k->height : k->width)));
    }
    double aq = (out->box_query[2] - out->box_query[0]) * (out->box_query[3] - out->box_query[1]);
    double ak = (out->box_known[2] - out->box_known[0]) * (out->box_known[3] - out->box_known[1]);
    return fmin(aq, ak);
}

/* the fraction of the query's frame that the similarity puts inside the known's */
static double cover(const sim *s, const ad_features *q, const ad_features *k)
{
    int in = 0;
    const double tw = k->width * 0.02, th = k->height * 0.02;
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) {
            double qx = (x + 0.5) * q->width / 16, qy = (y + 0.5) * q->height / 16;
            double kx = s->a * qx - s->b * qy + s->tx, ky = s->b * qx + s->a * qy + s->ty;
            in += kx >= -tw && ky >= -th && kx <= k->width + tw && ky <= k->height + th;
        }
    return in / 256.0;
}

/* The share of f's points whose visual word occurs more than once in f: high for a repeated
 * pattern (a checkerboard, a tiled wallpaper), low for a photo. */
static double repeated(const ad_features *f)
{
    if (f->n < 2)
        return 0;
    uint32_t *w = malloc(f->n * sizeof *w);
    if (!w)
        return 0;
    for (size_t i = 0; i < f->n; i++)
        w[i] = f->p[i].word;
    qsort(w, f->n, sizeof *w, cmp_u32);
    size_t rep = 0;
    for (size_t i = 0; i < f->n; i++)
        rep += (i > 0 && w[i] == w[i - 1]) || (i + 1 < f->n && w[i] == w[i + 1]);
    free(w);
    return (double)rep / f->n;
}

/* repeated() of f's points as the store would keep them (ad_features_keep): a query's 500
 * points recur more than the 200 a known picture keeps, whatever the picture */
double ad_feat_repeated_stored(const ad_features *f)
{
    if (f->n <= AD_FEAT_STORED)
        return repeated(f);
    ad_features c = {f->width, f->height, f->n, malloc(f->n * sizeof *f->p)};
    if (!c.p)
        return repeated(f);
    memcpy(c.p, f->p, f->n * sizeof *f->p);
    ad_features_keep(&c, AD_FEAT_STORED);
    double r = repeated(&c);
    free(c.p);
    return r;
}

/* ---- a lattice against a lattice is no copy (the false-findings work) ---- */

#define PERIOD_BIN 4      /* pixels: a picture's self-displacements are voted in bins this size */
#define PERIOD_NEAR 8.0   /* pixels: shorter displacements are one corner seen twice, no period */
#define PERIOD_SIG 6      /* of 32 signature bits: two points alike (one octave, any word) */
#define PERIOD_VOTES 4    /* alike pairs of points agreeing on one displacement: a period */
#define PERIOD_MAX 4      /* the strongest periods tried */
#define SELF_SHARE 0.08   /* of a picture's points matching itself one period away: a lattice */

typedef struct {
    int32_t bx, by;
    float dx, dy; /* the displacement itself */
} bin2;

static int by_bin(const void *a, const void *b)
{
    const bin2 *x = a, *y = b;
    return x->bx != y->bx ? (x->bx < y->bx ? -1 : 1) : (x->by < y->by ? -1 : x->by > y->by);
}

/* The periods of a picture: displacements between pairs of its points that look alike (one
 * pyramid level, signatures within PERIOD_SIG bits, whatever their words), voted in
 * PERIOD_BIN-pixel bins (with their 8 neighbours); the mean displacements of the strongest
 * bins with PERIOD_VOTES votes or more, strongest first, at most max.
 * A periodic texture (a lattice, a tiled wallpaper, a checkerboard, drawn shapes repeated)
 * has some; a photo has none or weak ones. Returns how many were written to out. */
static int periods(const ad_features *f, double out[][2], int max)
{
    int np = 0;
    if (f->n < 2)
        return 0;
    size_t cap = 4 * f->n, nb = 0;
    bin2 *b = malloc(sizeof *b * cap);
    if (!b)
        goto done;
    for (size_t i = 0; i < f->n; i++)
        for (size_t j = i + 1; j < f->n; j++) {
            const ad_feat_point *a = &f->p[i], *c = &f->p[j];
            if (a->octave != c->octave || __builtin_popcount(a->sig ^ c->sig) > PERIOD_SIG)
                continue;
            double dx = c->x - a->x, dy = c->y - a->y;
            if (dx < 0 || (dx == 0 && dy < 0))
                dx = -dx, dy = -dy;
            if (dx * dx + dy * dy < PERIOD_NEAR * PERIOD_NEAR)
                continue;
            if (nb == cap) {
                bin2 *t = realloc(b, sizeof *b * cap * 2);
                if (!t)
                    goto done;
                b = t, cap *= 2;
            }
            b[nb++] = (bin2){(int32_t)lround(dx / PERIOD_BIN), (int32_t)lround(dy / PERIOD_BIN),
                             (float)dx, (float)dy};
        }
    qsort(b, nb, sizeof *b, by_bin);
    /* each distinct bin: its votes with its neighbours'; the best max of them, greedily, each
     * taken bin's neighbourhood then left out */
    for (int round = 0; round < max; round++) {
        int best = 0;
        bin2 bb = {0, 0, 0, 0};
        for (size_t i = 0; i < nb;) {
            size_t e = i;
            while (e < nb && !by_bin(&b[e], &b[i]))
                e++;
            int v = 0;
            for (int ox = -1; ox <= 1; ox++)
                for (int oy = -1; oy <= 1; oy++) {
                    bin2 key = {b[i].bx + ox, b[i].by + oy, 0, 0};
                    bin2 *hit = bsearch(&key, b, nb, sizeof *b, by_bin);
                    if (!hit)
                        continue;
                    while (hit > b && !by_bin(hit - 1, &key))
                        hit--;
                    while (hit < b + nb && !by_bin(hit, &key))
                        v++, hit++;
                }
            int taken = 0;
            for (int t = 0; t < np; t++)
                taken |= labs(lround(out[t][0] / PERIOD_BIN) - b[i].bx) <= 2 &&
                         labs(lround(out[t][1] / PERIOD_BIN) - b[i].by) <= 2;
            if (!taken && v > best)
                best = v, bb = b[i];
            i = e;
        }
        if (best < PERIOD_VOTES)
            break;
        /* the period: the mean displacement of the bin and its neighbours */
        double sx = 0, sy = 0;
        int c = 0;
        for (size_t i = 0; i < nb; i++)
            if (labs((long)b[i].bx - bb.bx) <= 1 && labs((long)b[i].by - bb.by) <= 1)
                sx += b[i].dx, sy += b[i].dy, c++;
        out[np][0] = sx / c;
        out[np][1] = sy / c;
        np++;
    }
done:
    free(b);
    return np;
}

/* How much a picture matches itself shifted by one of its periods: the most guided matches
 * (any word, GUIDE_SIG bits, within SIM_TOL) that one of its periods gives between the picture
 * and itself, as a share of its points. A lattice, a checkerboard, a tiled wallpaper: a large
 * share (every corner has its twin one period away); a photo, a drawing with a few repeated
 * shapes: a small one. */
static double self_similar(const ad_features *f)
{
    double T[PERIOD_MAX][2];
    int np = periods(f, T, PERIOD_MAX);
    pair *scratch = np ? malloc(sizeof *scratch * f->n) : NULL;
    size_t most = 0;
    for (int t = 0; scratch && t < np; t++) {
        double h[9] = {1, 0, T[t][0], 0, 1, T[t][1], 0, 0, 1};
        size_t c = guided(f, f, h, SIM_TOL, scratch);
        most = c > most ? c : most;
    }
    free(scratch);
    return f->n ? (double)most / (double)f->n : 0;
}

void ad_features_verify(const ad_features *query, const ad_features *known, ad_feat_match *out)
{
    memset(out, 0, sizeof *out);
    out->query_size[0] = query->width;
    out->query_size[1] = query->height;
    out->known_size[0] = known->width;
    out->known_size[1] = known->height;
    if (!query->n || !known->n)
        return;
    int su = 0, hu = 0;
    const double rq = repeated(query), rk = repeated(known);
    /* the unambiguous matches needed: fewer when neither picture has repeats (a stereo pair of
     * a natural scene shares few points; a periodic texture is what the rule stops) */
    const int umin = rq <= REPEATS_LOW && rk <= REPEATS_LOW ? UNIQUE_PLAIN : UNIQUE_MIN;
    pair *m = malloc(sizeof *m * query->n);
    uint8_t *mask = malloc(query->n);
    if (!m || !mask)
        goto done;
    size_t n = tentative(query, known, m);
    out->matches = (int)n;
    if (n < 4)
        goto done;
    sim s = {1, 0, 0, 0};
    int si = ransac_sim(m, n, mask, &s);
    if (si) {
        si = distinct_inliers(m, n, mask);
        su = unique_inliers(m, n, mask, query, known);
    }
    double spread = si ? boxes(m, n, mask, query, known, out) : 0;
    out->inliers = si;
    out->scale = hypot(s.a, s.b);
    out->rotation = atan2(s.b, s.a) * 180 / M_PI;
    out->coverage = si ? cover(&s, query, known) : 0;
    if (si >= COPY_MIN && si >= COPY_RATIO * (double)n && out->coverage >= COPY_COVER &&
        spread >= SPREAD_MIN && su >= umin) {
        /* both pictures periodic (each matches itself one period away): a piece of one lattice
         * fits the other anywhere; no finding, copy or scene (the same matches) */
        if (self_similar(known) < SELF_SHARE || self_similar(query) < SELF_SHARE) /* the known
                                                             picture's 200 points cost less */
            out->kind = AD_FEAT_COPY;
        goto done;
    }
    double h[9];
    int hi = ransac_hom(m, n, mask, h);
    if (hi) {
        hi = distinct_inliers(m, n, mask);
        hu = unique_inliers(m, n, mask, query, known);
    }
    if (hi >= SCENE_MIN && hi > si && hu >= umin) {
        double sp = boxes(m, n, mask, query, known, out);
        out->inliers = hi;
        if (sp >= SPREAD_MIN)
            out->kind = AD_FEAT_SCENE;
    } else if (si >= SCENE_MIN && spread >= SPREAD_MIN && su >= umin) {
        out->kind = AD_FEAT_SCENE; /* a similarity that is not a copy: a part of the scene */
    }
    /* seen again from elsewhere: guided matches from the homography's or the similarity's
     * place decide */
    double hs[9] = {s.a, -s.b, s.tx, s.b, s.a, s.ty, 0, 0, 1};
    int gi = 0;
    /* neither picture repeats much (a lattice or tiled wallpaper repeats more; a query that
     * does on its 500 points measured again on the 200 it would keep as a known picture, which
     * costs a sort: only then); the chance test is strict unless neither repeats at all
     * (REPEATS_LOW) */
    const int guide = out->kind == AD_FEAT_NONE && rk <= REPEATS_GUIDED &&
                      (rq <= REPEATS_GUIDED || ad_feat_repeated_stored(query) <= REPEATS_GUIDED),
              strict = umin != UNIQUE_PLAIN;
    if (out->kind == AD_FEAT_NONE && guide && hi >= GUIDE_SEED)
        gi = guided_scene(query, known, h, strict, out);
    if (out->kind == AD_FEAT_NONE && guide && !gi && si >= 3)
        gi = guided_scene(query, known, hs, strict, out);
    if (gi) {
        out->kind = AD_FEAT_SCENE;
        out->inliers = gi;
    }
done:
    /* two repeated patterns match each other anywhere: no evidence of shared content (for the
     * same scene, the query's repeats measured on the points it would keep, as for guided
     * matching) */
    if (out->kind != AD_FEAT_NONE && rq > REPEATED && rk > REPEATED &&
        (out->kind == AD_FEAT_COPY || ad_feat_repeated_stored(query) > REPEATED))
        out->kind = AD_FEAT_NONE;
    free(m);
    free(mask);
}

/* ---- measurements for other rules (pdqnear.c: the PDQ-guided check) ---- */

/* the fraction of the known's frame that the similarity's image of the query's frame covers */
static double known_cover(const sim *s, const ad_features *q, const ad_features *k)
{
    double det = s->a * s->a + s->b * s->b;
    if (det <= 0)
        return 0;
    int in = 0;
    const double tw = q->width * 0.02, th = q->height * 0.02;
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) { /* a known point back in the query: the inverse */
            double kx = (x + 0.5) * k->width / 16 - s->tx, ky = (y + 0.5) * k->height / 16 - s->ty;
            double qx = (s->a * kx + s->b * ky) / det, qy = (-s->b * kx + s->a * ky) / det;
            in += qx >= -tw && qy >= -th && qx <= q->width + tw && qy <= q->height + th;
        }
    return in / 256.0;
}

/* what a similarity s with si consistent matches (mask) of m[0..n) measures */
static void sim_stats(const pair *m, size_t n, const uint8_t *mask, int si, const sim *s,
                      const ad_features *query, const ad_features *known, ad_feat_sim_stats *st)
{
    st->raw = si;
    st->m.inliers = distinct_inliers(m, n, mask);
    st->unique = unique_inliers(m, n, mask, query, known);
    st->spread = boxes(m, n, mask, query, known, &st->m);
    st->m.coverage = cover(s, query, known);
    st->known_cover = known_cover(s, query, known);
    st->m.scale = hypot(s->a, s->b);
    st->m.rotation = atan2(s->b, s->a) * 180 / M_PI;
    st->sim[0] = s->a, st->sim[1] = s->b, st->sim[2] = s->tx, st->sim[3] = s->ty;
}

void ad_feat_measure_sim(const ad_features *query, const ad_features *known, ad_feat_sim_stats *st)
{
    memset(st, 0, sizeof *st);
    st->rep_query = repeated(query);
    st->rep_known = repeated(known);
    if (!query->n || !known->n)
        return;
    pair *m = malloc(sizeof *m * query->n);
    uint8_t *mask = malloc(query->n);
    if (m && mask) {
        size_t n = tentative(query, known, m);
        st->m.matches = (int)n;
        sim s = {1, 0, 0, 0};
        int si = n >= 4 ? ransac_sim(m, n, mask, &s) : 0;
        if (si)
            sim_stats(m, n, mask, si, &s, query, known, st);
    }
    free(m);
    free(mask);
    st->m.query_size[0] = query->width;
    st->m.query_size[1] = query->height;
    st->m.known_size[0] = known->width;
    st->m.known_size[1] = known->height;
}

/* Guided matches at a given placement (pdqnear.c): from the similarity s0 (query -> known),
 * every query point landing near a known point with a near signature (guided, whatever the
 * words: first within twice GUIDE_TOL, then GUIDE_TOL), a similarity refitted over them by
 * RANSAC (orientations agreeing), three rounds; then what chance gives at that placement shifted
 * (guided_chance). */
void ad_feat_guided_at(const ad_features *query, const ad_features *known, const double s0[4],
                       ad_feat_sim_stats *st)
{
    memset(st, 0, sizeof *st);
    st->rep_query = repeated(query);
    st->rep_known = repeated(known);
    st->m.query_size[0] = query->width, st->m.query_size[1] = query->height;
    st->m.known_size[0] = known->width, st->m.known_size[1] = known->height;
    if (!query->n || !known->n)
        return;
    pair *g = malloc(sizeof *g * query->n), *scratch = malloc(sizeof *scratch * query->n);
    uint8_t *gm = malloc(query->n);
    if (!g || !gm || !scratch)
        goto done;
    sim s = {s0[0], s0[1], s0[2], s0[3]};
    size_t ng = 0;
    int gi = 0;
    for (int round = 0; round < 3; round++) {
        double h[9] = {s.a, -s.b, s.tx, s.b, s.a, s.ty, 0, 0, 1};
        ng = guided(query, known, h, round ? GUIDE_TOL : 2 * GUIDE_TOL, g);
        sim t = s;
        gi = ransac_sim(g, ng, gm, &t);
        if (gi < 3)
            goto done;
        s = t;
    }
    st->m.matches = (int)ng;
    sim_stats(g, ng, gm, gi, &s, query, known, st);
    double h[9] = {s.a, -s.b, s.tx, s.b, s.a, s.ty, 0, 0, 1};
    size_t most;
    st->chance = guided_chance(query, known, h, scratch, &most);
    st->chance_most = (int)most;
done:
    free(g);
    free(gm);
    free(scratch);
}

/* ---- the same scene with the query's denser points (docs/features.md "The check", dense) ---- */

/* The placements the tentative matches of q against k suggest, as guided matching starts from
 * them in ad_features_verify: the homography with >= GUIDE_SEED consistent matches, the
 * similarity with >= 3. Returns how many were written to h (0-2). */
static int scene_seeds(const ad_features *q, const ad_features *k, double h[2][9])
{
    int nh = 0;
    pair *m = malloc(sizeof *m * (q->n ? q->n : 1));
    uint8_t *mask = malloc(q->n ? q->n : 1);
    size_t n = m && mask ? tentative(q, k, m) : 0;
    if (n >= 4) {
        double hh[9];
        if (ransac_hom(m, n, mask, hh) && distinct_inliers(m, n, mask) >= GUIDE_SEED)
            memcpy(h[nh++], hh, sizeof hh);
        sim s = {1, 0, 0, 0};
        if (ransac_sim(m, n, mask, &s) && distinct_inliers(m, n, mask) >= 3) {
            double hs[9] = {s.a, -s.b, s.tx, s.b, s.a, s.ty, 0, 0, 1};
            memcpy(h[nh++], hs, sizeof hs);
        }
    }
    free(m);
    free(mask);
    return nh;
}

int ad_features_dense_wanted(const ad_feat_match *m)
{
    return m->kind == AD_FEAT_NONE && m->near_scene;
}

void ad_features_verify_dense(const ad_features *query, const ad_features *dense,
                              const ad_features *known, ad_feat_match *out)
{
    if (!ad_features_dense_wanted(out) || !dense || !dense->n || !query->n || !known->n)
        return;
    const double rq = repeated(query), rk = repeated(known);
    const int strict = !(rq <= REPEATS_LOW && rk <= REPEATS_LOW);
    double h[2][9];
    int nh = scene_seeds(query, known, h), gi = 0;
    for (int i = 0; i < nh && !gi; i++)
        gi = guided_scene(dense, known, h[i], strict, out);
    /* two repeated patterns: no evidence (as in ad_features_verify; the scene path was reached
     * only when guided matching was allowed, which this does not undo) */
    if (gi && !(rq > REPEATED && rk > REPEATED && ad_feat_repeated_stored(query) > REPEATED)) {
        out->kind = AD_FEAT_SCENE;
        out->inliers = gi;
        out->dense = 1;
    }
}
