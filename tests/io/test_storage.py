import os

import pytest

from byom_monitor.io import storage


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path):
    if request.param == "local":
        return str(tmp_path / "store")
    return request.getfixturevalue("s3_bucket") + "/store"


def test_write_read_exists(root):
    location = storage.join(root, "a", "statistics.json")
    assert not storage.exists(location)
    storage.write_text(location, '{"version": 0.0}')
    assert storage.exists(location)
    assert storage.read_text(location) == '{"version": 0.0}'
    assert storage.exists(storage.join(root, "a"))  # a folder / prefix with content


def test_list_is_recursive_sorted_and_prefix_safe(root):
    for name in ("b/2.jsonl", "b/1.jsonl", "b/deep/3.jsonl", "bb/other.jsonl"):
        storage.write_bytes(storage.join(root, *name.split("/")), b"x")
    listed = storage.list_files(storage.join(root, "b"))
    assert [item.replace("\\", "/").split("/store/")[1] for item in listed] == [
        "b/1.jsonl", "b/2.jsonl", "b/deep/3.jsonl"]
    single = storage.join(root, "b", "1.jsonl")
    assert storage.list_files(single) == [single]


def test_missing_file_names_the_location(root):
    missing = storage.join(root, "nothing.json")
    with pytest.raises(FileNotFoundError, match="nothing.json"):
        storage.read_bytes(missing)


def test_copy_tree_between_local_and_s3(tmp_path, s3_bucket):
    source = tmp_path / "out"
    storage.write_text(source / "statistics.json", "s")
    storage.write_text(source / "metrics" / "m.json", "m")
    copied = storage.copy_tree(source, s3_bucket + "/results")
    assert sorted(copied) == [s3_bucket + "/results/metrics/m.json",
                              s3_bucket + "/results/statistics.json"]
    back = tmp_path / "back"
    storage.copy_tree(s3_bucket + "/results", back)
    assert (back / "metrics" / "m.json").read_text() == "m"


def test_local_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "constraints.json"
    storage.write_text(target, "old")

    def fail(*_args):
        raise OSError("interrupted")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        storage.write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["constraints.json"]


def test_bad_s3_uri():
    with pytest.raises(ValueError, match="not an S3 URI"):
        storage.split_s3_uri("s3:///key-without-bucket")
