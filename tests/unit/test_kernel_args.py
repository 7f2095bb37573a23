"""org.runu.kernel.args (or RUNU_KERNEL_ARGS in the env): guest kernel tuning, each parameter
checked, so a container cannot rewrite runu's own part of the kernel command line."""

import pytest

from runu.errors import RunuError
from runu.sandbox.uml import tuning_args
from runu.spec import ANNOTATION_KERNEL_ARGS


def spec(args=None, env=()):
    annotations = {ANNOTATION_KERNEL_ARGS: args} if args is not None else {}
    return {"annotations": annotations, "process": {"args": ["true"], "env": list(env)}}


def test_none_by_default():
    assert tuning_args(spec()) == []


def test_tunables_pass_through_from_the_annotation_or_the_env():
    assert tuning_args(spec("fault_around_anon=1")) == ["fault_around_anon=1"]
    assert tuning_args(spec(env=["RUNU_KERNEL_ARGS=fault_around_anon=64"])) == ["fault_around_anon=64"]


@pytest.mark.parametrize("args, complaint", [
    ("init=/bin/sh", "'init' is not a tunable kernel parameter (tunable: fault_around_anon)"),
    ("con1=fd:3", "'con1' is not a tunable kernel parameter"),
    ("fault_around_anon=3", "fault_around_anon='3': the value must be one of 1, 2, 4, 8, 16, 32, 64, 128, 256, 512"),
    ("fault_around_anon", "fault_around_anon='': the value must be one of"),
    ("fault_around_anon=1024", "the value must be one of"),
])
def test_anything_else_is_refused_naming_it(args, complaint):
    with pytest.raises(RunuError, match="^org.runu.kernel.args: ") as refused:
        tuning_args(spec(args))
    assert complaint in str(refused.value)
