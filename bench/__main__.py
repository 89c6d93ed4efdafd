"""Run one benchmark: ``python -m bench NAME [--quick] [--json]``."""

import argparse
import importlib
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", help="the benchmark module in bench/, e.g. people_import")
    parser.add_argument("--quick", action="store_true", help="a smaller run, for a smoke test")
    parser.add_argument("--json", action="store_true", help='print {"figures": {...}} as JSON')
    args = parser.parse_args(argv)
    module = importlib.import_module(f"bench.{args.name}")
    figures = module.run(quick=args.quick)
    if args.json:
        print(json.dumps({"figures": figures}, ensure_ascii=False, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
