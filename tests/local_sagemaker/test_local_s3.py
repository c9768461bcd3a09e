"""S3 as files, through the SDK's and boto3's own S3 code paths."""
from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError

from byom_monitor.session.local_sagemaker.session import LocalSagemakerSession


@pytest.fixture
def session(tmp_path):
    return LocalSagemakerSession(tmp_path / "s3", tmp_path / "db.sqlite")


def test_a_large_file_goes_up_in_parts_and_comes_back_whole(session, tmp_path):
    from sagemaker.s3 import S3Downloader, S3Uploader

    payload = os.urandom(9 * 1024 * 1024 + 17)  # over s3transfer's 8 MB multipart threshold
    (tmp_path / "big.bin").write_bytes(payload)
    uri = S3Uploader.upload(str(tmp_path / "big.bin"), "s3://bucket/large",
                            sagemaker_session=session)
    assert uri == "s3://bucket/large/big.bin"
    assert (tmp_path / "s3" / "bucket" / "large" / "big.bin").read_bytes() == payload
    assert not (tmp_path / "s3" / "bucket" / ".multipart").exists() or \
        not any((tmp_path / "s3" / "bucket" / ".multipart").iterdir())
    S3Downloader.download(uri, str(tmp_path / "back"), sagemaker_session=session)
    assert (tmp_path / "back" / "big.bin").read_bytes() == payload


def test_listing_pages_and_folders(session):
    from sagemaker.s3 import S3Downloader

    for key in ("p/a.csv", "p/b/c.csv", "p/b/d.csv", "q/e.csv"):
        session.upload_string_as_file_body(key, "bucket", key)
    client = session.s3_client
    pages = list(client.get_paginator("list_objects_v2").paginate(
        Bucket="bucket", Prefix="p/", PaginationConfig={"PageSize": 2}))
    assert [[o["Key"] for o in page.get("Contents", [])] for page in pages] == \
        [["p/a.csv", "p/b/c.csv"], ["p/b/d.csv"]]
    folders = client.list_objects_v2(Bucket="bucket", Prefix="p/", Delimiter="/")
    assert [c["Key"] for c in folders["Contents"]] == ["p/a.csv"]
    assert folders["CommonPrefixes"] == [{"Prefix": "p/b/"}]
    assert session.list_s3_files("bucket", "p/b") == ["p/b/c.csv", "p/b/d.csv"]
    assert sorted(S3Downloader.list("s3://bucket/p", sagemaker_session=session)) == [
        "s3://bucket/p/a.csv", "s3://bucket/p/b/c.csv", "s3://bucket/p/b/d.csv"]
    assert S3Downloader.read_file("s3://bucket/q/e.csv", sagemaker_session=session) == "q/e.csv"


def test_ranged_reads_and_missing_keys(session):
    session.upload_string_as_file_body("0123456789", "bucket", "digits.txt")
    client = session.s3_client
    part = client.get_object(Bucket="bucket", Key="digits.txt", Range="bytes=2-5")
    assert part["Body"].read() == b"2345"
    assert part["ContentRange"] == "bytes 2-5/10"
    assert client.get_object(Bucket="bucket", Key="digits.txt", Range="bytes=-3")["Body"] \
        .read() == b"789"
    with pytest.raises(ClientError) as missing:
        client.head_object(Bucket="bucket", Key="nothing")
    assert missing.value.response["Error"]["Code"] == "404"
    with pytest.raises(ClientError, match="NoSuchBucket"):
        client.list_objects_v2(Bucket="no-bucket")


def test_resource_api_copy_and_delete(session):
    bucket = session.s3_resource.Bucket("bucket")
    bucket.put_object(Key="a/x.json", Body=b"{}")
    session.s3_resource.Object("bucket", "b/y.json").copy_from(
        CopySource={"Bucket": "bucket", "Key": "a/x.json"})
    assert sorted(o.key for o in bucket.objects.filter(Prefix="")) == ["a/x.json", "b/y.json"]
    bucket.objects.filter(Prefix="a/").delete()
    assert [o.key for o in bucket.objects.all()] == ["b/y.json"]


def test_keys_that_cannot_be_files_are_refused(session):
    with pytest.raises(ClientError, match="cannot be stored locally"):
        session.s3_client.put_object(Bucket="bucket", Key="a/../../escape", Body=b"x")
