"""One interface over local paths and ``s3://`` URIs.

Every function takes a *location*: a local path (``str`` or ``Path``) or an ``s3://bucket/key``
URI. Local writes are atomic (temporary file in the same folder, then rename), so a reader never
sees a half-written file and a failed write leaves the old file in place; new files get the
mode the umask gives (as ``open`` would), not 0600. S3 puts are atomic by
nature.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlparse

Location = str | os.PathLike

_S3_SCHEME = "s3://"


def is_s3(location: Location) -> bool:
    return str(location).startswith(_S3_SCHEME)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``; raises ValueError for anything else."""
    parsed = urlparse(str(uri))
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an S3 URI: {uri!r} (expected s3://bucket/key)")
    return parsed.netloc, parsed.path.lstrip("/")


def join(base: Location, *parts: str) -> str:
    """Join path parts with ``/`` for S3 and the OS separator locally."""
    if is_s3(base):
        pieces = [str(base).rstrip("/")] + [p.strip("/") for p in parts if p]
        return "/".join(pieces)
    return str(Path(base, *parts))


_s3_client: Any = None


def set_s3_client(client: Any) -> None:
    """Use this boto3 S3 client (for a given profile or region) instead of the default one."""
    global _s3_client
    _s3_client = client


def _s3() -> Any:
    global _s3_client
    if _s3_client is None:
        import boto3

        _s3_client = boto3.client("s3")
    return _s3_client


def read_bytes(location: Location) -> bytes:
    """The whole content; FileNotFoundError names the location when it does not exist."""
    if is_s3(location):
        bucket, key = split_s3_uri(str(location))
        client = _s3()
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(f"no such object: {location}") from exc
    try:
        return Path(location).read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"no such file: {location}") from exc


def open_binary(location: Location) -> BinaryIO:
    """A readable binary stream (a local file, or an S3 object's streaming body)."""
    if is_s3(location):
        bucket, key = split_s3_uri(str(location))
        client = _s3()
        try:
            return contextlib.closing(client.get_object(Bucket=bucket, Key=key)["Body"])
        except client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(f"no such object: {location}") from exc
    try:
        return open(location, "rb")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"no such file: {location}") from exc


def read_text(location: Location, encoding: str = "utf-8") -> str:
    return read_bytes(location).decode(encoding)


def write_bytes(location: Location, data: bytes) -> None:
    """Write atomically, creating local parent folders as needed."""
    if is_s3(location):
        bucket, key = split_s3_uri(str(location))
        _s3().put_object(Bucket=bucket, Key=key, Body=data)
        return
    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the mode follows the umask
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(location: Location, text: str, encoding: str = "utf-8") -> None:
    write_bytes(location, text.encode(encoding))


def delete(location: Location) -> None:
    """Remove a file or object (no error when it is already gone)."""
    if is_s3(location):
        bucket, key = split_s3_uri(str(location))
        _s3().delete_object(Bucket=bucket, Key=key)
        return
    Path(location).unlink(missing_ok=True)


def exists(location: Location) -> bool:
    """True for an existing file or object, or a folder / prefix with something below it."""
    if is_s3(location):
        bucket, key = split_s3_uri(str(location))
        response = _s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=2)
        return any(
            obj["Key"] == key or obj["Key"].startswith(key.rstrip("/") + "/")
            for obj in response.get("Contents", [])
        )
    return Path(location).exists()


def list_files(location: Location) -> list[str]:
    """Every file below a folder or prefix (recursively), sorted; a file lists itself."""
    if is_s3(location):
        bucket, key = split_s3_uri(str(location))
        keys = sorted(_list_s3_keys(bucket, key))
        if key in keys:
            return [f"s3://{bucket}/{key}"]
        prefix = key.rstrip("/") + "/" if key else ""
        return [f"s3://{bucket}/{k}" for k in keys if k.startswith(prefix) and not k.endswith("/")]
    path = Path(location)
    if path.is_file():
        return [str(path)]
    return sorted(str(p) for p in path.rglob("*") if p.is_file())


def _list_s3_keys(bucket: str, prefix: str) -> Iterator[str]:
    paginator = _s3().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"]


def copy(source: Location, destination: Location) -> None:
    """Copy one file between any two locations (local or S3)."""
    if not is_s3(source) and not is_s3(destination):
        destination_path = Path(destination)
        destination_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = destination_path.with_name(f".{destination_path.name}.copying")
        shutil.copyfile(source, tmp)
        os.replace(tmp, destination_path)
        return
    write_bytes(destination, read_bytes(source))


def copy_tree(source: Location, destination: Location) -> list[str]:
    """Copy every file below ``source`` to the same relative place below ``destination``."""
    copied = []
    base = str(source).rstrip("/")
    for item in list_files(source):
        relative = item[len(base):].lstrip("/\\") or Path(item).name
        target = join(destination, *relative.replace("\\", "/").split("/"))
        copy(item, target)
        copied.append(target)
    return copied
