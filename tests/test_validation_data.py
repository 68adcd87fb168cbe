"""Degenerate data and oversized or non-CSV data files are refused (InputError, exit 2)."""

import os
import resource
import time
import zipfile

import numpy as np
import pytest

from platform_abm.cli import main
from platform_abm.common import data
from platform_abm.common.errors import InputError
from platform_abm.platform.model import PlatformModel


def _csv(path, rows, header="x1,x2,y"):
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _rows(labels, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(len(labels), 2))
    return [f"{a:.4f},{b:.4f},{y}" for (a, b), y in zip(features, labels, strict=True)]


@pytest.mark.parametrize(
    ("labels", "found"),
    [([0] * 40, "40 user(s) of label 0 and 0 of label 1"), ([0] * 39 + [1], "and 1 of label 1")],
)
def test_a_population_without_two_users_of_each_label_is_refused(tmp_path, labels, found):
    path = _csv(tmp_path / "d.csv", _rows(labels))
    with pytest.raises(InputError) as info:
        PlatformModel(population="csv", data_path=str(path), label="y", strategic_features=["x1"])
    assert info.value.field == "population" and found in info.value.value
    assert "at least 2 users of each label" in info.value.allowed


def test_a_tiny_synthetic_population_with_one_defaulter_is_refused(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text("[scenario]\nrounds = 1\n[population]\nn = 3\n")
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "1 of label 1" in capsys.readouterr().err


def test_two_users_of_each_label_are_enough(tmp_path):
    path = _csv(tmp_path / "d.csv", _rows([0, 0, 1, 1, 0, 1]))
    model = PlatformModel(
        population="csv",
        data_path=str(path),
        label="y",
        strategic_features=["x1"],
        epsilon_distribution="constant",
        max_rounds=1,
    )
    model.step()
    assert model.status in ("converged", "round-limit")


@pytest.mark.parametrize("feature", ["bias", 4])
def test_the_bias_column_is_not_a_strategic_feature(feature):
    with pytest.raises(InputError) as info:
        PlatformModel(
            population="gaussian", n_users=100, n_features=4, strategic_features=[0, feature]
        )
    assert info.value.field == "strategic_features" and info.value.value == "bias"


def test_duplicate_column_names_are_refused_not_renamed(tmp_path):
    path = _csv(tmp_path / "d.csv", ["1,2,3,0", "4,5,6,1"], header="a,b,a,y")
    with pytest.raises(InputError) as info:
        data.load_csv(path, label="y")
    assert info.value.value == ["a"] and "distinct column names" in info.value.allowed
    archive = tmp_path / "d.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "d.csv")
    with pytest.raises(InputError, match="distinct column names"):
        data.load_csv(archive, label="y")


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"", "an empty file (0 bytes)"),
        (b"x1,x2,y\n\x00\x01\x02", "binary data (a NUL byte at offset 8"),
        (b"x1,\xff\xfe,y\n1,2,0\n", "not UTF-8"),
    ],
)
def test_files_that_are_not_csv_text_are_refused_before_reading(tmp_path, content, found):
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        data.load_csv(path, label="y")
    assert found in str(info.value)


def test_a_header_longer_than_the_inspected_chunk_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x" * (2 * data.SNIFF_BYTES) + ",y\n1,0\n")
    with pytest.raises(InputError, match="no line break"):
        data.load_csv(path, label="y")


def test_a_csv_larger_than_the_limit_is_refused_by_its_size(tmp_path, monkeypatch):
    path = _csv(tmp_path / "d.csv", _rows([0, 1] * 20))
    monkeypatch.setattr(data.tables, "MAX_DATA_BYTES", 100)
    with pytest.raises(InputError) as info:
        data.load_csv(path, label="y")
    assert "a CSV of" in info.value.value and "at most" in info.value.allowed


def _sparse(path, size):
    with open(path, "wb") as handle:
        handle.truncate(size)  # what `truncate -s 3G` does: no block is written
    return path


@pytest.mark.parametrize("how", ["population.path", "--data"])
def test_a_multi_gigabyte_file_of_zero_bytes_fails_fast_in_bounded_memory(tmp_path, capsys, how):
    big = _sparse(tmp_path / "zeros.csv", 3 * 1024**3)
    out = tmp_path / "out"
    if how == "--data":
        argv = ["run", "--data", str(big), "--out", str(out), "--quiet"]
    else:
        scenario = tmp_path / "s.toml"
        scenario.write_text(
            f'[population]\nsource = "csv"\npath = "{big}"\nlabel = "y"\n'
            'strategic_features = ["x1"]\n'
        )
        argv = ["run", str(scenario), "--out", str(out), "--quiet"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.perf_counter()
    code = main(argv)
    elapsed = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    err = capsys.readouterr().err
    assert code == 2 and "only NUL bytes" in err and str(big) in err
    # Reading the file would take minutes and 3 GiB; the check reads 64 KiB. The bounds
    # are generous for a shared machine: well under a second and a few MiB are typical.
    assert elapsed < 10 and grown < 200 * 1024
    assert not out.exists()
    assert os.path.getsize(big) == 3 * 1024**3
