"""Generate services/contracts from proto/meterpay/v1 (`make proto`), or check it is current.

protoc writes imports as `from meterpay.v1 import x_pb2`; the generated code lives in
the package `services.contracts`, so those imports are rewritten to the full path.
`--check` regenerates into a temporary folder and fails when anything differs, which
is how CI catches a proto edited without `make proto`.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "services" / "contracts"
IMPORT_RE = re.compile(r"^from meterpay\.v1 import", re.MULTILINE)


def generate(out_dir: Path) -> None:
    from grpc_tools import protoc  # dev-only dependency, imported on use

    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in (PROTO_DIR / "meterpay" / "v1").glob("*.proto"))
    include = str(resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for path in (out_dir / "meterpay").rglob("*.py*"):
        path.write_text(IMPORT_RE.sub("from services.contracts.meterpay.v1 import", path.read_text()))
    for package in (out_dir / "meterpay", out_dir / "meterpay" / "v1"):
        (package / "__init__.py").write_text("")


def differences(left: Path, right: Path) -> list[str]:
    cmp = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in {cmp.left}: {n}" for n in cmp.left_only]
    found += [f"only in {cmp.right}: {n}" for n in cmp.right_only]
    found += [f"differs: {n}" for n in cmp.diff_files]
    for sub in cmp.common_dirs:
        found += differences(left / sub, right / sub)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed code is stale")
    check = parser.parse_args().check
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        current = OUT_DIR / "meterpay"
        if check:
            stale = differences(Path(tmp) / "meterpay", current) if current.exists() else ["missing"]
            if stale:
                print("services/contracts is stale; run `make proto`:\n  " + "\n  ".join(stale))
                sys.exit(1)
            print("services/contracts is current")
            return
        shutil.rmtree(current, ignore_errors=True)
        shutil.copytree(Path(tmp) / "meterpay", current)
        (OUT_DIR / "__init__.py").write_text('"""Code generated from proto/ by `make proto`. Do not edit."""\n')
        print(f"generated {sum(1 for _ in current.rglob('*.py'))} modules in {current}")


if __name__ == "__main__":
    main()
