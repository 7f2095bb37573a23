import json

from runu.commands import runtime


def run(args, log):
    states = [s.oci() for s in runtime(args, log).list()]
    if args.quiet:
        for s in states:
            print(s["id"])
    elif args.format == "json":
        print(json.dumps(states))
    else:
        print(f"{'ID':<24}{'PID':<10}{'STATUS':<10}{'BUNDLE':<40}CREATED")
        for s in states:
            print(f"{s['id']:<24}{s['pid']:<10}{s['status']:<10}{s['bundle']:<40}{s['created']}")
