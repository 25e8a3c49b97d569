"""Agreement on audio regions: segment F1 (one-to-one matching at an IoU threshold),
temporal IoU, and a project's agreement between three annotators, with alpha over time
checked against the krippendorff package over one-millisecond units."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench.kinds.audio.agreement import (
    ALL,
    RegionAgreement,
    pairwise_f1,
    project_agreement,
    region_counts,
    region_iou,
    segment_f1,
    temporal_iou,
)

krippendorff = pytest.importorskip("krippendorff")

SR = 8000
CLASSES = ["speech", "music"]
#: clip -> duration in whole milliseconds
CLIPS = {"c1": 2000, "c2": 1500, "c3": 1000, "c4": 500}

#: annotator -> clip -> regions (start ms, end ms, class)
LABELS = {
    "ann": {
        "c1": [(0, 800, "speech"), (1000, 1600, "music")],
        "c2": [(200, 900, "speech")],
        "c3": [(0, 500, "music")],
        "c4": [(0, 100, "speech")],  # only ann labels c4: it is not compared
    },
    "bob": {
        "c1": [(0, 700, "speech"), (1100, 1600, "music"), (1700, 1900, "speech")],
        "c2": [(200, 500, "speech"), (500, 900, "speech")],
    },
    "cy": {
        "c1": [(100, 800, "speech"), (1000, 2000, "music")],
        "c3": [(0, 500, "speech"), (700, 1000, "music")],
    },
}

#: With overlapping regions: a moment may carry both classes (a set of classes as a code).
OVERLAPPING = {
    "ann": {
        "c1": [(0, 800, "speech"), (600, 1600, "music")],
        "c2": [(0, 1500, "music"), (200, 900, "speech"), (300, 400, "speech")],
    },
    "bob": {
        "c1": [(0, 700, "speech"), (500, 1600, "music")],
        "c2": [(0, 1400, "music"), (200, 500, "speech")],
    },
    "cy": {"c1": [(0, 900, "speech"), (0, 900, "music")]},
}


def regions(rows):
    return [{"start": s / 1000, "end": e / 1000, "class": c} for s, e, c in rows]


def make_project(tmp_path, labels=LABELS, overlapping=False):
    """A project on disk whose annotators each open it as themselves and label clips."""
    path = tmp_path / "p.db"
    schema = wb.Schema((wb.AudioRegions("regions", classes=CLASSES, overlapping=overlapping),))
    first = wb.Project(path, schema=schema, annotator="admin")
    signals = [np.random.default_rng(i).uniform(-0.5, 0.5, ms * SR // 1000).astype(np.float32)
               for i, ms in enumerate(CLIPS.values())]  # fmt: skip
    first.add_audio(signals, sample_rate=SR, ids=list(CLIPS))
    first.close()
    for who, clips in labels.items():
        p = wb.Project(path, annotator=who)
        for iid, rows in clips.items():
            p.label(iid, regions(rows), task="regions")
        p.close()
    return wb.Project(path, annotator="admin")


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path)
    yield p
    p.close()


def reference_alpha(labels, cls=None, overlapping=False):
    """krippendorff.alpha (nominal) over one-millisecond units of every clip two or more
    annotators labeled: annotators × units, NaN where an annotator did not label a clip."""
    names = sorted(labels)
    blocks = []
    for iid, ms in CLIPS.items():
        labeled = [a for a in names if iid in labels[a]]
        if len(labeled) < 2:
            continue
        block = np.full((len(names), ms), np.nan)
        for a in labeled:
            codes = np.zeros(ms)
            for s, e, c in labels[a][iid]:
                if cls is not None:
                    if c == cls:
                        codes[s:e] = 1
                elif overlapping:  # the set of classes covering the millisecond, as bits
                    covered = codes[s:e].astype(np.int64) | (1 << CLASSES.index(c))
                    codes[s:e] = covered
                else:
                    codes[s:e] = CLASSES.index(c) + 1
            block[names.index(a)] = codes
        blocks.append(block)
    data = np.concatenate(blocks, axis=1)
    return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")


# -- two values ----------------------------------------------------------------------------


def test_region_iou():
    assert region_iou((0, 2), (1, 3)) == pytest.approx(1 / 3)
    assert region_iou((0, 1), (1, 2)) == 0.0  # touching
    assert region_iou((0, 1), (2, 3)) == 0.0
    assert region_iou((0, 4), (1, 2)) == 0.25


def test_segment_f1_matches_one_class_at_the_threshold():
    a = {"regions": regions([(0, 1000, "speech"), (2000, 3000, "music")])}
    b = {"regions": regions([(100, 1000, "speech"), (2000, 2400, "music")])}
    # speech IoU 0.9 matches; music IoU 0.4 does not at 0.5, does at 0.4 itself (though
    # (2.4 - 2.0) / 1.0 is 0.3999999999999999 in floating point).
    counts = region_counts(a, b)
    assert counts.matched == {"speech": 1}
    assert counts.left == {"speech": 1, "music": 1} == counts.right
    assert segment_f1(a, b) == 0.5
    assert segment_f1(a, b, threshold=0.4) == 1.0
    assert segment_f1(a, b, threshold=0.95) == 0.0
    # Same times, other class: no match.
    c = {"regions": regions([(0, 1000, "music")])}
    assert segment_f1(a["regions"][:1], c) == 0.0
    # Symmetric; nothing against nothing agrees; something against nothing does not.
    assert segment_f1(b, a) == segment_f1(a, b)
    assert segment_f1({"regions": []}, None) == 1.0
    assert segment_f1(a, {"regions": []}) == 0.0
    with pytest.raises(ValueError, match="threshold"):
        segment_f1(a, b, threshold=0)
    with pytest.raises(ValueError, match="threshold"):
        segment_f1(a, b, threshold=True)


def test_one_long_region_matches_one_of_two_short_ones():
    long = regions([(0, 2000, "speech")])
    short = regions([(0, 1000, "speech"), (1000, 2000, "speech")])
    # Both halves have IoU 0.5 with the long one; it can count for one of them only.
    counts = region_counts(long, short)
    assert counts.matched == {"speech": 1}
    assert segment_f1(long, short) == pytest.approx(2 * 1 / 3)
    assert segment_f1(short, long) == pytest.approx(2 * 1 / 3)
    # The better match is taken: 0-1200 overlaps the first half best (IoU 1000/1200).
    skewed = regions([(0, 1200, "speech"), (1100, 2000, "speech")])
    assert region_counts(long, skewed, threshold=0.45).matched == {"speech": 1}
    two = regions([(0, 1000, "speech"), (1000, 2000, "speech")])
    assert region_counts(short, two).matched == {"speech": 2}
    assert pairwise_f1([long, short, two]) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert pairwise_f1([long]) == 1.0


def test_temporal_iou_per_class_and_overall():
    a = regions([(0, 1000, "speech"), (1000, 2000, "music")])
    b = regions([(500, 1500, "speech"), (1500, 2000, "music")])
    assert temporal_iou(a, b, "speech") == pytest.approx(500 / 1500)
    assert temporal_iou(a, b, "music") == pytest.approx(500 / 1000)
    # Over all classes: time covered with any class, whatever the class.
    assert temporal_iou(a, b) == pytest.approx(1500 / 2000)
    # A class neither uses agrees; one only one uses does not.
    assert temporal_iou(a, b, "noise") == 1.0
    assert temporal_iou(a, [], "speech") == 0.0
    assert temporal_iou(None, []) == 1.0


def test_temporal_iou_counts_overlapping_regions_of_one_annotator_once():
    a = regions([(0, 2000, "speech"), (1000, 3000, "speech")])  # covers 0-3 s once
    b = regions([(1000, 3000, "speech")])
    assert temporal_iou(a, b, "speech") == pytest.approx(2 / 3)
    assert temporal_iou(b, a) == pytest.approx(2 / 3)
    # Contained and repeated regions change nothing either.
    c = regions([(0, 3000, "speech"), (500, 700, "speech"), (0, 3000, "music")])
    assert temporal_iou(c, regions([(0, 3000, "speech")]), "speech") == 1.0
    assert temporal_iou(c, regions([(0, 3000, "music")])) == 1.0


# -- a project ------------------------------------------------------------------------------


def test_project_pairs_per_class_and_overall(project):
    result = project_agreement(project, "regions")
    assert isinstance(result, RegionAgreement)
    assert result.task == "regions" and result.threshold == 0.5
    assert result.items == 3  # c1 (three people), c2 (ann, bob), c3 (ann, cy); c4 ann alone
    pairs = result.pairs.set_index(["annotator_a", "annotator_b", "class"])
    assert set(pairs.index.get_level_values(0)) | set(pairs.index.get_level_values(1)) == {
        "ann", "bob", "cy"}  # fmt: skip
    ab = pairs.loc[("ann", "bob", ALL)]
    # c1: speech (IoU .875) and music (.833) match, bob's second speech does not;
    # c2: ann's long region matches one of bob's two halves (the one with IoU 4/7).
    assert ab["items"] == 2 and (ab["regions_a"], ab["regions_b"]) == (3, 5)
    assert ab["segment_f1"] == pytest.approx(2 * 3 / 8)
    # Time covered with any class, both / either, summed over c1 and c2.
    assert ab["temporal_iou"] == pytest.approx((1.2 + 0.7) / (1.6 + 0.7))
    speech = pairs.loc[("ann", "bob", "speech")]
    assert (speech["regions_a"], speech["regions_b"]) == (2, 4)
    assert speech["segment_f1"] == pytest.approx(2 * 2 / 6)
    assert speech["temporal_iou"] == pytest.approx((0.7 + 0.7) / (1.0 + 0.7))
    music = pairs.loc[("ann", "bob", "music")]
    assert music["segment_f1"] == 1.0
    assert music["temporal_iou"] == pytest.approx(0.5 / 0.6)
    # ann and cy: c1 and c3. c3: ann music 0-.5, cy speech 0-.5 and music .7-1: no match.
    ac = pairs.loc[("ann", "cy", ALL)]
    assert ac["items"] == 2 and (ac["regions_a"], ac["regions_b"]) == (3, 4)
    # c1 speech .1-.8 vs 0-.8 (IoU .875) matches; music 1-2 vs 1-1.6 (IoU .6) matches.
    assert ac["segment_f1"] == pytest.approx(2 * 2 / 7)
    # bob and cy share c1 only; neither has a region of a class: NaN, not 1.
    bc = pairs.loc[("bob", "cy", ALL)]
    assert bc["items"] == 1
    classes = result.classes
    assert list(classes.index) == [ALL, *CLASSES]
    # Every annotator's regions on the clips two or more labeled (not c4's).
    assert classes.loc[ALL, "regions"] == 2 + 1 + 1 + 3 + 2 + 2 + 2
    assert classes.loc["music", "regions"] == 1 + 1 + 1 + 1 + 1
    assert "alpha=" in repr(result) and "segment_f1=" in repr(result)


def test_alpha_equals_krippendorff_over_milliseconds(project):
    result = project_agreement(project, "regions")
    want = reference_alpha(LABELS)
    assert 0 < want < 1
    assert result.alpha == pytest.approx(want, abs=1e-9)
    assert result.classes.loc[ALL, "alpha"] == pytest.approx(want, abs=1e-9)
    for cls in CLASSES:
        assert result.classes.loc[cls, "alpha"] == pytest.approx(
            reference_alpha(LABELS, cls=cls), abs=1e-9
        )


def test_alpha_over_overlapping_regions_codes_the_set_of_classes(tmp_path):
    p = make_project(tmp_path, OVERLAPPING, overlapping=True)
    result = project_agreement(p, "regions")
    assert result.items == 2
    want = reference_alpha(OVERLAPPING, overlapping=True)
    assert result.alpha == pytest.approx(want, abs=1e-9)
    for cls in CLASSES:
        assert result.classes.loc[cls, "alpha"] == pytest.approx(
            reference_alpha(OVERLAPPING, cls=cls), abs=1e-9
        )
    p.close()


def test_the_registered_agreement_is_the_same(project):
    direct = project_agreement(project, "regions")
    via = wb.agreement.agreement(project, "regions")
    assert isinstance(via, RegionAgreement)
    assert via.alpha == direct.alpha and via.items == direct.items
    assert via.pairs.equals(direct.pairs)
    assert via.classes.equals(direct.classes)


def test_prelabels_and_retracted_labels_do_not_count(tmp_path):
    p = make_project(tmp_path)
    before = project_agreement(p, "regions")
    # A model's suggestion on c4 is not an annotation; bob's retracted label of c3 is gone.
    p.label("c4", regions([(0, 100, "speech")]), kind="prelabel", annotator="model:m@1")
    bob = wb.Project(tmp_path / "p.db", annotator="bob")
    event = bob.label("c3", regions([(0, 500, "music")]))
    assert project_agreement(p, "regions").items == 3  # c3 gains bob, c4 stays alone
    bob.retract(event)
    bob.close()
    after = project_agreement(p, "regions")
    assert after.items == before.items
    assert after.alpha == pytest.approx(before.alpha, abs=1e-12)
    assert after.pairs.equals(before.pairs)
    p.close()


def test_changing_a_label_changes_alpha(tmp_path):
    agree = {who: {"c1": [(0, 800, "speech"), (1000, 1600, "music")]} for who in ("a", "b")}
    p = make_project(tmp_path, agree)
    result = project_agreement(p, "regions")
    assert result.alpha == pytest.approx(1.0)
    assert result.classes.loc[ALL, "segment_f1"] == 1.0
    assert result.classes.loc[ALL, "temporal_iou"] == 1.0
    b = wb.Project(tmp_path / "p.db", annotator="b")
    b.label("c1", regions([(0, 800, "music"), (1000, 1600, "speech")]))
    b.close()
    changed = project_agreement(p, "regions")
    flipped = {"a": agree["a"], "b": {"c1": [(0, 800, "music"), (1000, 1600, "speech")]}}
    assert changed.alpha < 0.5
    assert changed.alpha == pytest.approx(reference_alpha(flipped), abs=1e-9)
    assert changed.classes.loc[ALL, "segment_f1"] == 0.0
    # The same time is covered, with other classes.
    assert changed.classes.loc[ALL, "temporal_iou"] == 1.0
    assert changed.classes.loc["speech", "temporal_iou"] == 0.0
    p.close()


def test_no_clip_with_two_annotators(tmp_path):
    p = make_project(tmp_path, {"ann": LABELS["ann"]})
    result = project_agreement(p, "regions")
    assert result.items == 0 and result.pairs.empty and np.isnan(result.alpha)
    p.close()


def test_figure(project):
    pytest.importorskip("plotly")
    result = project_agreement(project, "regions")
    fig = result.figure()
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (3, 3) and list(fig.data[0].x) == ["ann", "bob", "cy"]
    assert np.all(np.diag(z) == 1.0)
    assert z[0, 1] == z[1, 0] == pytest.approx(0.75)
    iou = np.asarray(result.figure("temporal_iou").data[0].z, dtype=float)
    assert iou[0, 1] == pytest.approx(1.9 / 2.3)
    with pytest.raises(ValueError, match="measure"):
        result.figure("alpha")


def test_threshold_is_passed_through(project):
    strict = project_agreement(project, "regions", threshold=0.9)
    loose = project_agreement(project, "regions", threshold=0.3)
    ab = strict.pairs.set_index(["annotator_a", "annotator_b", "class"]).loc[("ann", "bob", ALL)]
    assert ab["segment_f1"] == 0.0  # no pair of regions of ann and bob has IoU 0.9
    assert loose.classes.loc[ALL, "segment_f1"] > strict.classes.loc[ALL, "segment_f1"]
    # Alpha does not depend on the threshold.
    assert strict.alpha == loose.alpha
