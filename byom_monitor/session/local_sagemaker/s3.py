"""S3 kept as files: ``s3://bucket/key`` is ``<root>/bucket/key``.

Writes are atomic (temporary file, then rename), so a reader never sees half an object.
Answers the operations the SageMaker SDK, boto3 resources and s3transfer use, including
multipart uploads (files over 8 MB) and ranged reads.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botocore.response import StreamingBody

from byom_monitor.io import storage
from byom_monitor.session.local_sagemaker.transport import ServiceError

_MULTIPART = ".multipart"


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return body.read()


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'


class LocalS3:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    # -- paths --------------------------------------------------------------------------------
    def bucket_path(self, bucket: str) -> Path:
        if not bucket or "/" in bucket or bucket.startswith("."):
            raise ServiceError("InvalidBucketName", f"invalid bucket name {bucket!r}")
        return self.root / bucket

    def object_path(self, bucket: str, key: str) -> Path:
        parts = key.split("/")
        if not key or key.endswith("/") or any(p in ("", ".", "..") for p in parts[:-1]) \
                or parts[-1] in (".", ".."):
            raise ServiceError("InvalidArgument",
                               f"key {key!r} in bucket {bucket} cannot be stored locally")
        return self.bucket_path(bucket).joinpath(*parts)

    def path_of(self, uri: str) -> Path:
        """The local file or folder holding ``s3://bucket/key`` (a key or a prefix)."""
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return self.bucket_path(bucket).joinpath(*[part for part in key.split("/") if part])

    def matching(self, uri: str) -> list[str]:
        """The files of the objects whose keys start with the URI's key (an S3Prefix)."""
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        if not self.bucket_path(bucket).is_dir():
            return []
        return [str(self.bucket_path(bucket).joinpath(*key.split("/")))
                for key in self._keys(bucket, prefix)]

    def _existing(self, bucket: str, key: str) -> Path:
        path = self.object_path(bucket, key)
        if not path.is_file():
            raise ServiceError("NoSuchKey", f"s3://{bucket}/{key}: the specified key does not "
                                            f"exist", 404)
        return path

    def _keys(self, bucket: str, prefix: str) -> list[str]:
        base = self.bucket_path(bucket)
        if not base.is_dir():
            raise ServiceError("NoSuchBucket", f"the bucket {bucket} does not exist", 404)
        keys = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if d != _MULTIPART]
            relative = Path(folder).relative_to(base).as_posix()
            for name in files:
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix) and not _is_staged(name):
                    keys.append(key)
        return sorted(keys)

    @staticmethod
    def _summary(key: str, path: Path) -> dict[str, Any]:
        stat = path.stat()
        return {"Key": key, "Size": stat.st_size, "StorageClass": "STANDARD",
                "LastModified": datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                "ETag": f'"{int(stat.st_mtime_ns):x}-{stat.st_size:x}"'}

    # -- buckets ------------------------------------------------------------------------------
    def list_buckets(self, params: dict) -> dict:
        buckets = sorted(p for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() \
            else []
        return {"Buckets": [{"Name": p.name, "CreationDate": datetime.fromtimestamp(
            p.stat().st_ctime, timezone.utc)} for p in buckets],
            "Owner": {"ID": "local", "DisplayName": "local"}}

    def create_bucket(self, params: dict) -> dict:
        self.bucket_path(params["Bucket"]).mkdir(parents=True, exist_ok=True)
        return {"Location": f"/{params['Bucket']}"}

    def head_bucket(self, params: dict) -> dict:
        if not self.bucket_path(params["Bucket"]).is_dir():
            raise ServiceError("404", "Not Found", 404)
        return {}

    def get_bucket_location(self, params: dict) -> dict:
        self.head_bucket(params)
        return {"LocationConstraint": None}

    # -- objects ------------------------------------------------------------------------------
    def put_object(self, params: dict) -> dict:
        data = _body_bytes(params.get("Body"))
        storage.write_bytes(self.object_path(params["Bucket"], params["Key"]), data)
        return {"ETag": _etag(data)}

    def get_object(self, params: dict) -> dict:
        data = self._existing(params["Bucket"], params["Key"]).read_bytes()
        size, answer = len(data), {}
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", params.get("Range") or "")
        if match:
            start = int(match[1]) if match[1] else max(size - int(match[2]), 0)
            end = int(match[2]) if match[1] and match[2] else size - 1
            data = data[start:min(end, size - 1) + 1]
            answer["ContentRange"] = f"bytes {start}-{start + len(data) - 1}/{size}"
        return {**answer, **self._head(data), "ContentLength": len(data),
                "Body": StreamingBody(io.BytesIO(data), len(data))}

    @staticmethod
    def _head(data: bytes) -> dict:
        return {"ETag": _etag(data), "ContentType": "binary/octet-stream",
                "AcceptRanges": "bytes", "Metadata": {}}

    def head_object(self, params: dict) -> dict:
        path = self.object_path(params["Bucket"], params["Key"])
        if not path.is_file():
            raise ServiceError("404", "Not Found", 404)
        summary = self._summary(params["Key"], path)
        return {"ContentLength": summary["Size"], "LastModified": summary["LastModified"],
                "ETag": summary["ETag"], "ContentType": "binary/octet-stream",
                "AcceptRanges": "bytes", "Metadata": {}}

    def delete_object(self, params: dict) -> dict:
        path = self.object_path(params["Bucket"], params["Key"])
        path.unlink(missing_ok=True)
        return {}

    def delete_objects(self, params: dict) -> dict:
        deleted = []
        for item in params.get("Delete", {}).get("Objects", []):
            self.delete_object({"Bucket": params["Bucket"], "Key": item["Key"]})
            deleted.append({"Key": item["Key"]})
        return {"Deleted": deleted}

    def copy_object(self, params: dict) -> dict:
        source = params["CopySource"]
        if isinstance(source, str):
            bucket, _, key = source.lstrip("/").partition("/")
        else:
            bucket, key = source["Bucket"], source["Key"]
        data = self._existing(bucket, key).read_bytes()
        storage.write_bytes(self.object_path(params["Bucket"], params["Key"]), data)
        return {"CopyObjectResult": {"ETag": _etag(data),
                                     "LastModified": datetime.now(timezone.utc)}}

    # -- listing ------------------------------------------------------------------------------
    def _listing(self, params: dict, after: str) -> tuple[list, list, bool]:
        prefix, delimiter = params.get("Prefix", ""), params.get("Delimiter")
        limit = int(params.get("MaxKeys", 1000))
        contents, prefixes, base = [], [], self.bucket_path(params["Bucket"])
        for key in self._keys(params["Bucket"], prefix):
            if key <= after:
                continue
            if len(contents) + len(prefixes) >= limit:
                return contents, prefixes, True
            if delimiter and delimiter in key[len(prefix):]:
                common = key[:key.index(delimiter, len(prefix)) + len(delimiter)]
                if not prefixes or prefixes[-1]["Prefix"] != common:
                    prefixes.append({"Prefix": common})
                continue
            contents.append(self._summary(key, base.joinpath(*key.split("/"))))
        return contents, prefixes, False

    def list_objects_v2(self, params: dict) -> dict:
        after = params.get("ContinuationToken") or params.get("StartAfter") or ""
        contents, prefixes, truncated = self._listing(params, after)
        answer = {"Name": params["Bucket"], "Prefix": params.get("Prefix", ""),
                  "MaxKeys": int(params.get("MaxKeys", 1000)), "IsTruncated": truncated,
                  "KeyCount": len(contents) + len(prefixes)}
        if contents:
            answer["Contents"] = contents
        if prefixes:
            answer["CommonPrefixes"] = prefixes
        if truncated:
            answer["NextContinuationToken"] = max(
                [c["Key"] for c in contents] + [p["Prefix"] for p in prefixes])
        return answer

    def list_objects(self, params: dict) -> dict:
        contents, prefixes, truncated = self._listing(params, params.get("Marker") or "")
        answer = {"Name": params["Bucket"], "Prefix": params.get("Prefix", ""),
                  "Marker": params.get("Marker", ""), "IsTruncated": truncated,
                  "MaxKeys": int(params.get("MaxKeys", 1000))}
        if contents:
            answer["Contents"] = contents
        if prefixes:
            answer["CommonPrefixes"] = prefixes
        if truncated:
            answer["NextMarker"] = max([c["Key"] for c in contents]
                                       + [p["Prefix"] for p in prefixes])
        return answer

    # -- multipart uploads (s3transfer, files over its threshold) -------------------------------
    def _upload_dir(self, params: dict) -> Path:
        folder = self.bucket_path(params["Bucket"]) / _MULTIPART / params["UploadId"]
        if not folder.is_dir():
            raise ServiceError("NoSuchUpload", f"no multipart upload {params['UploadId']}", 404)
        return folder

    def create_multipart_upload(self, params: dict) -> dict:
        self.object_path(params["Bucket"], params["Key"])  # a key we can store
        upload = uuid.uuid4().hex
        (self.bucket_path(params["Bucket"]) / _MULTIPART / upload).mkdir(parents=True)
        return {"Bucket": params["Bucket"], "Key": params["Key"], "UploadId": upload}

    def upload_part(self, params: dict) -> dict:
        data = _body_bytes(params.get("Body"))
        storage.write_bytes(self._upload_dir(params) / f"{int(params['PartNumber']):05d}", data)
        return {"ETag": _etag(data)}

    def complete_multipart_upload(self, params: dict) -> dict:
        folder = self._upload_dir(params)
        numbers = [int(p["PartNumber"]) for p in params.get("MultipartUpload", {})
                   .get("Parts", [])]
        target = self.object_path(params["Bucket"], params["Key"])
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        with open(staged, "wb") as out:
            for number in sorted(numbers):
                with open(folder / f"{number:05d}", "rb") as part:
                    shutil.copyfileobj(part, out)
        os.replace(staged, target)
        shutil.rmtree(folder, ignore_errors=True)
        return {"Bucket": params["Bucket"], "Key": params["Key"],
                "ETag": f'"{uuid.uuid4().hex}-{len(numbers)}"',
                "Location": f"s3://{params['Bucket']}/{params['Key']}"}

    def abort_multipart_upload(self, params: dict) -> dict:
        shutil.rmtree(self._upload_dir(params), ignore_errors=True)
        return {}

    def operations(self) -> dict[tuple[str, str], Callable[[dict], dict]]:
        return {
            ("s3", "ListBuckets"): self.list_buckets,
            ("s3", "CreateBucket"): self.create_bucket,
            ("s3", "HeadBucket"): self.head_bucket,
            ("s3", "GetBucketLocation"): self.get_bucket_location,
            ("s3", "PutObject"): self.put_object,
            ("s3", "GetObject"): self.get_object,
            ("s3", "HeadObject"): self.head_object,
            ("s3", "DeleteObject"): self.delete_object,
            ("s3", "DeleteObjects"): self.delete_objects,
            ("s3", "CopyObject"): self.copy_object,
            ("s3", "ListObjectsV2"): self.list_objects_v2,
            ("s3", "ListObjects"): self.list_objects,
            ("s3", "CreateMultipartUpload"): self.create_multipart_upload,
            ("s3", "UploadPart"): self.upload_part,
            ("s3", "CompleteMultipartUpload"): self.complete_multipart_upload,
            ("s3", "AbortMultipartUpload"): self.abort_multipart_upload,
        }


def _is_staged(name: str) -> bool:
    """A temporary file of an atomic write, not an object."""
    return name.startswith(".") and name.endswith(".tmp")
