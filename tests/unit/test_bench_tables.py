"""Benchmark arithmetic: summary statistics and the dashboard's ratio rows (no root, no docker)."""

from benchmarks.render.tables import density_rows, guest_rows, startup_rows, verbs_rows
from benchmarks.stats import summary


def test_summary_in_ms():
    s = summary([0.010, 0.020, 0.030, 0.040])
    assert s == {"n": 4, "mean_ms": 25.0, "stdev_ms": 12.91, "median_ms": 25.0, "p95_ms": 40.0}


def test_startup_rows_ratio_to_runc_and_native_and_failures():
    run = {"runtimes": {"native": summary([0.05]), "runc": summary([0.5]), "runu": summary([1.0]),
                        "crun": {"error": "cgroups in hybrid mode not supported"}}}
    rows = {row[0]: row for row in startup_rows(run)}
    assert rows["runu"][4:6] == ["2.00", "20.00"]
    assert rows["runc"][4:6] == ["1.00", "10.00"]
    assert rows["crun"][1] == "failed" and "hybrid" in rows["crun"][-1]


def test_density_rows_show_where_a_runtime_broke():
    level = {"n": 10, "mean_per_container_kib": 2048, "total_kib": 20480, "start_all_s": 1.0, "all_ready_s": 2.0}
    run = {"runtimes": {"runu": {"levels": [level], "broke": {"n": 50, "running": 31, "reason": "out of memory"}}}}
    rows = density_rows(run)
    assert rows[0][:4] == ["runu", "10", "2.0", "20"]
    assert rows[1][1] == "50" and "31 running: out of memory" in rows[1][-1]


def test_seed_rows_put_the_seed_beside_this_run_each_against_its_own_runc():
    from benchmarks.render.tables import seed_rows

    run = {"runtimes": {"runc": {"mean_ms": 400.0}, "runu-default": {"mean_ms": 600.0},
                        "runsc-kvm": {"error": "no"}}}
    rows = {row[0]: row for row in seed_rows(run)}
    assert rows["runu"] == ["runu", "726", "0.76", "runu-default", "600", "1.50"]
    assert rows["gvisor(k)"][3:] == ["runsc-kvm", "–", "–"]
    assert rows["kata"][3:] == ["not measured here", "–", "–"]


def test_verbs_rows_ratio_each_verb_to_runcs():
    verbs = ("create", "start")
    run = {"runtimes": {"runc": {"create": summary([0.040]), "start": summary([0.010])},
                        "runu": {"create": summary([0.200]), "start": summary([0.005])},
                        "crun": {"error": "no cgroup"}}}
    rows = {row[0]: row for row in verbs_rows(run, verbs)}
    assert rows["runu"] == ["runu", "200.0 (5.00×)", "5.0 (0.50×)", "n=1"]
    assert rows["crun"][-1] == "no cgroup"


def test_guest_rows_one_column_per_metric():
    run = {"runtimes": {"runc": {"medians": {"syscall_us": 0.4, "python_start_ms": 18.5}},
                        "runu": {"medians": {"syscall_us": 14.0, "python_start_ms": 70.2}}}}
    assert guest_rows(run) == (["syscall_us", "python_start_ms"], [["runc", "0.4", "18.5"], ["runu", "14", "70.2"]])


def test_console_speeds_one_column_per_way_whole_and_net():
    from benchmarks.render.tables import console_speeds

    run = {"runtimes": {"runc": {"docker": {"median_ms": 3000, "mb_per_s": 16.6, "net_mb_per_s": 20.1}},
                        "runu": {"docker": {"error": 'APIError: 500 ("runtime failed")'}}}}
    ways, rows = console_speeds(run)
    assert ways == ["docker"]
    assert rows == [["runc", "16.6 / 20.1"], ["runu", "runtime failed"]]


def test_phases_rows_one_column_per_phase_and_the_whole_run_against_runcs():
    from benchmarks.render.tables import phases_rows

    run = {"runtimes": {"runc": {**summary([0.200]), "phases_median_ms": {"create": 150.0, "start": 7.0}},
                        "runu": {**summary([0.250]), "phases_median_ms": {"create": 160.0, "start": 6.0}},
                        "crun": {"error": "no cgroup"}}}
    phases, rows = phases_rows(run)
    assert phases == ["create", "start"]
    assert rows[1] == ["runu", "160.0", "6.0", "250 (1.25×)", "n=1"]
    assert rows[2] == ["crun", "", "", "", "no cgroup"]


def test_footprint_rows_split_host_pss_and_a_guest_kernels_ram_blank_without_one():
    from benchmarks.render.tables import footprint_rows

    host = {"private anonymous": 8192, "private file-backed": 2048, "shared": 0, "total": 10240}
    guest = {"total": 258048, "used": 30720, "anonymous": 12288, "page cache": 16384, "slab": 2048,
             "stacks and page tables": 1024, "other": -1024}
    run = {"runtimes": {"runc": {"host_pss_kib": host},
                        "runu": {"host_pss_kib": {**host, "shared": 30720, "total": 40960}, "guest_kib": guest},
                        "crun": {"error": "no cgroup"}, "lkl": {"host_pss_kib": host, "note": "no exec"}}}
    rows = footprint_rows(run)
    assert rows[0] == ["runc", "8.0", "2.0", "0.0", "10.0 (1.00×)", "", "", "", "", "", "", ""]
    assert rows[1] == ["runu", "8.0", "2.0", "30.0", "40.0 (4.00×)", "30.0", "12.0", "16.0", "2.0", "1.0", "-1.0", ""]
    assert rows[2] == ["crun", *[""] * 10, "no cgroup"]
    assert rows[3][-2:] == ["", "no exec"]
