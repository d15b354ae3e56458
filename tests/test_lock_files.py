"""The lock files pin every dependency pyproject.toml names, at a version it allows: a new one without `make lock` fails here."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, Version]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {canonicalize_name(n): Version(v) for n, v in PIN.findall(text)}


def requirements(*extras: str) -> list[Requirement]:
    named = [*PROJECT["dependencies"], *(r for extra in extras for r in PROJECT["optional-dependencies"][extra])]
    return [Requirement(r) for r in named]


def unpinned(lock: dict[str, Version], needed: list[Requirement]) -> list[str]:
    """What the lock lacks, or pins outside pyproject's range."""
    problems = []
    for r in needed:
        name = canonicalize_name(r.name)
        if name not in lock:
            problems.append(f"{r} is not in the lock")
        elif not r.specifier.contains(lock[name], prereleases=True):
            problems.append(f"{r}: the lock pins {lock[name]}")
    return problems


def test_the_serve_lock_pins_every_default_dependency_within_its_range():
    assert unpinned(pins("serve.txt"), requirements()) == [], "run `make lock`"


def test_the_test_lock_pins_every_dependency_of_the_test_st_and_bench_extras_too():
    assert unpinned(pins("test.txt"), requirements("test", "st", "bench")) == [], "run `make lock`"


def test_the_two_locks_agree_on_every_package_they_share():
    serve, test = pins("serve.txt"), pins("test.txt")
    assert {n: (v, test.get(n)) for n, v in serve.items() if test.get(n) != v} == {}


def test_the_serve_lock_has_no_torch_and_the_test_lock_has_the_cpu_build():
    assert "torch" not in pins("serve.txt")
    assert pins("test.txt")["torch"] == Version("2.13.0+cpu")


@pytest.mark.parametrize("name", ["serve.txt", "test.txt"])
def test_every_pin_has_a_hash(name):
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    found = list(PIN.finditer(text))
    ends = [m.start() for m in found[1:]] + [len(text)]
    assert found and [m[1] for m, end in zip(found, ends) if "--hash=sha256:" not in text[m.end():end]] == []


MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def test_every_apt_install_waits_for_another_apt_to_release_its_lock():
    """`make test` next to unattended upgrades (or a second make) waits rather than failing with "Could not get lock"."""
    assert "apt-get -o DPkg::Lock::Timeout=" in MAKEFILE
    calls = [line for line in MAKEFILE.splitlines() if "apt-get" in line and not line.lstrip().startswith("#")]
    assert all("DPkg::Lock::Timeout" in line for line in calls), calls
    recipes = [line for line in MAKEFILE.splitlines() if line.startswith("\t")]
    assert not [line for line in recipes if "apt-get" in line], "use $(APT) in recipes"


def test_the_torch_cpu_wheel_comes_from_pytorchs_cpu_index_which_fails_fast_when_unreachable():
    """The test lock pins torch==2.13.0+cpu: PyPI has no such file, PyTorch's CPU index has."""
    assert pins("test.txt")["torch"] == Version("2.13.0+cpu")
    (install,) = [line for line in MAKEFILE.splitlines() if "-r requirements/test.txt" in line and "pip install" in line]
    assert "$(TORCH_INDEX_FLAGS)" in install
    found = re.search(r"^TORCH_INDEX_FLAGS := (.*)$", MAKEFILE, re.MULTILINE)
    assert found is not None, "the Makefile sets no TORCH_INDEX_FLAGS"
    flags = found.group(1)
    assert "--extra-index-url $(TORCH_INDEX)" in flags and "--retries 0" in flags and "--timeout" in flags
    assert re.search(r"^TORCH_INDEX \?= https://download\.pytorch\.org/whl/cpu$", MAKEFILE, re.MULTILINE)
