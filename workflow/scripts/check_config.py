#!/usr/bin/env python3
"""Check config files without running anything: each file's YAML (naming the
file, line and column: Snakemake's own message for a broken --configfile names
neither), then config.yaml with the files merged over it in order, as the
workflow checks it (sections completed, the schema, then couae.config.check_config).

    check_config.py presets/quick.yaml results/tuning/tuned.yaml
"""

import argparse
import sys
from pathlib import Path

import yaml
from snakemake.utils import update_config

import _bootstrap  # noqa: F401  (the library's import path)
from couae import config as C
from couae.parameters import ConfigError

REPO = _bootstrap.LIBRARY_ROOT.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="config files, in --configfile order")
    args = parser.parse_args()
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    try:
        for path in args.files:
            update_config(config, C.read_config_file(path))
        C.keep_base_order(config, base)
        C.complete_sections(config)
        C.check_schema(config, yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text()), "")
        C.check_config(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"config ok: config.yaml{''.join(f' + {p}' for p in args.files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
