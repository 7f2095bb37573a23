"""The matrix: every case on every stack."""


def test_case(probe, conformance_case):
    conformance_case.run(probe)
