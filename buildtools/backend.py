"""setuptools' build backend, plus mypy in the build environment when OBLIGO_COMPILE=1 asks for the
compiled build (setup.py): a pure build needs nothing but setuptools."""

from __future__ import annotations

import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every hook not overridden below

_MYPYC = ["mypy>=1.10"]  # mypyc ships with mypy


def _compiling() -> bool:
    return os.environ.get("OBLIGO_COMPILE", "") == "1"


def get_requires_for_build_wheel(config_settings=None):  # type: ignore[no-untyped-def]
    return _setuptools.get_requires_for_build_wheel(config_settings) + (_MYPYC if _compiling() else [])


def get_requires_for_build_editable(config_settings=None):  # type: ignore[no-untyped-def]
    return _setuptools.get_requires_for_build_editable(config_settings) + (_MYPYC if _compiling() else [])
