"""The kernel profile comes from the annotation, else from RUNU_KERNEL_PROFILE in the env
(Docker 20.10 passes no image labels or annotations), else `default`."""

from runu.spec import ANNOTATION_PROFILE, ANNOTATION_SANDBOX, annotation


def spec(annotations=None, env=()):
    return {"annotations": annotations or {}, "process": {"args": ["true"], "env": list(env)}}


def test_default_when_neither():
    assert annotation(spec(env=["PATH=/bin"]), ANNOTATION_PROFILE, "default") == "default"


def test_env_when_no_annotation():
    assert annotation(spec(env=["RUNU_KERNEL_PROFILE=tiny"]), ANNOTATION_PROFILE, "default") == "tiny"


def test_first_env_entry_wins_like_getenv():
    env = ["RUNU_KERNEL_PROFILE=tiny", "RUNU_KERNEL_PROFILE=default"]
    assert annotation(spec(env=env), ANNOTATION_PROFILE, "default") == "tiny"


def test_annotation_wins_over_env():
    s = spec({ANNOTATION_PROFILE: "default"}, ["RUNU_KERNEL_PROFILE=tiny"])
    assert annotation(s, ANNOTATION_PROFILE, "x") == "default"


def test_other_annotations_have_no_env_fallback():
    assert annotation(spec(env=["RUNU_KERNEL_PROFILE=tiny"]), ANNOTATION_SANDBOX, "uml") == "uml"
