"""Make the compiled build in a copy of the checkout, for `make test-compiled` and the benchmarks:

    python buildtools/compiled_tree.py DEST

copies the checkout's files (tracked, and untracked ones git does not ignore) to DEST/main, links
DEST/shared to the checkout's ../shared (the tests' data), and builds the modules of
buildtools/compiled.txt there in place with OBLIGO_COMPILE=1. Run with DEST/main first on
PYTHONPATH, `engine` is then the compiled build; the checkout itself is never touched, so no
extension module can shadow the sources being edited."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkout_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def compiled_modules(root: Path) -> list[str]:
    text = (root / "buildtools" / "compiled.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    dest = Path(argv[0]).resolve()
    main_dir = dest / "main"
    if dest.exists():
        shutil.rmtree(dest)
    for name in checkout_files():
        target = main_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    shared = ROOT.parent / "shared"
    if shared.exists():
        (dest / "shared").symlink_to(shared)
    env = {**os.environ, "OBLIGO_COMPILE": "1"}
    build = [sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"]
    print(f"compiling {len(compiled_modules(main_dir))} modules with mypyc in {main_dir} (about a minute)", flush=True)
    done = subprocess.run(build, cwd=main_dir, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:  # mypyc's and the C compiler's output only when they fail: it is long
        print(done.stdout + done.stderr, file=sys.stderr)
    code = done.returncode
    # setup.py leaves metadata behind: on PYTHONPATH, pip would take it for an installed obligo
    for leftover in (main_dir / "obligo.egg-info", main_dir / "build"):
        shutil.rmtree(leftover, ignore_errors=True)
    if code == 0:  # the modules left in Python get their bytecode now, as `pip install` compiles it
        code = subprocess.run([sys.executable, "-m", "compileall", "-q", "engine"], cwd=main_dir, check=False).returncode
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
