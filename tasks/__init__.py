"""invoke tasks: `invoke --list` shows them all."""

from invoke import Collection

from tasks import bench, build, conformance, dashboard, demo, doctor, dockerd, images, lkl, setup, startupprofile, test

ns = Collection()
ns.add_task(setup.setup)
ns.add_task(test.test)
ns.add_task(doctor.doctor)
ns.add_task(demo.demo)
ns.add_task(conformance.conformance)
ns.add_task(bench.bench)
ns.add_task(startupprofile.profile)
ns.add_task(dashboard.dashboard)
ns.add_collection(Collection.from_module(build, name="kernel"))
ns.add_collection(Collection.from_module(dockerd, name="docker"))
ns.add_collection(Collection.from_module(images, name="images"))
ns.add_collection(Collection.from_module(lkl, name="lkl"))
