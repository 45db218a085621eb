#!/usr/bin/python3
"""scene_ceiling.py: how many of the same-scene pairs local features can link at all, with no
budget and none of Ariadne's rules (issue 13's "same scene >= 90%"; docs/benchmarks.md "Stop 22:
the ceiling of the same scene").

Both sides' own keypoints (OpenCV's SIFT or ORB) with their full descriptors, mutual nearest
neighbours passing Lowe's ratio 0.8, a RANSAC homography at 4 pixels; a pair counts as linked
when its consistent matches exceed the most that any b side gets against another pair's a side
(the unrelated pairs among these pictures: a lower bar than 10,000 unrelated pictures would set).
A measurement, not part of the product: needs Debian's python3-opencv (not in install-deps).

usage: bench/scene_ceiling.py CORPUS SIZE DETECTOR POINTS
  CORPUS   scripts/make-feature-corpus's output (its scene/NAME-a.jpg, NAME-b.jpg)
  SIZE     long side the pictures are reduced to (0: as they are)
  DETECTOR sift | orb
  POINTS   keypoints a picture
"""
import glob
import os
import sys

import cv2
import numpy as np


def main():
    if len(sys.argv) != 5 or sys.argv[3] not in ("sift", "orb"):
        sys.stderr.write(__doc__)
        return 2
    corpus, size, det, points = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    names = sorted({os.path.basename(p)[:-6] for p in glob.glob(corpus + "/scene/*-a.jpg")})
    if not names:
        sys.stderr.write("scene_ceiling: no scene/*-a.jpg in %s\n" % corpus)
        return 1
    if det == "sift":
        fx, norm = cv2.SIFT_create(nfeatures=points), cv2.NORM_L2
    else:
        fx, norm = cv2.ORB_create(nfeatures=points, fastThreshold=16), cv2.NORM_HAMMING

    def features(path):
        g = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if g is None:
            raise SystemExit("scene_ceiling: cannot read %s" % path)
        s = size / max(g.shape) if size else 1
        if s < 1:
            g = cv2.resize(g, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        k, d = fx.detectAndCompute(g, None)
        return np.float32([p.pt for p in k]).reshape(-1, 2), d

    f = {(n, s): features("%s/scene/%s-%s.jpg" % (corpus, n, s)) for n in names for s in "ab"}
    bf = cv2.BFMatcher(norm)

    def consistent(q, k):
        (pq, dq), (pk, dk) = q, k
        if dq is None or dk is None or len(dq) < 2 or len(dk) < 2:
            return 0
        back = {m.queryIdx: m.trainIdx for m in bf.match(dk, dq)}
        good = [m[0] for m in bf.knnMatch(dq, dk, k=2)
                if len(m) == 2 and m[0].distance < 0.8 * m[1].distance
                and back.get(m[0].trainIdx) == m[0].queryIdx]
        if len(good) < 4:
            return 0
        _, mask = cv2.findHomography(pq[[m.queryIdx for m in good]],
                                     pk[[m.trainIdx for m in good]], cv2.RANSAC, 4.0)
        return int(mask.sum()) if mask is not None else 0

    pair = {n: consistent(f[n, "b"], f[n, "a"]) for n in names}
    bar = max(consistent(f[n, "b"], f[m, "a"]) for n in names for m in names if m != n)
    above = [n for n in names if pair[n] > bar]
    print("%s, %s, %d points: %d pairs; unrelated pairs' most %d; linked above it %d (%.1f%%), "
          "with 15 or more %d" % (det, "size %d" % size if size else "full size", points,
                                  len(names), bar, len(above), 100.0 * len(above) / len(names),
                                  sum(pair[n] >= 15 for n in above)))
    print("not linked: " + " ".join("%s (%d)" % (n, pair[n]) for n in names if n not in above))
    return 0


if __name__ == "__main__":
    sys.exit(main())
