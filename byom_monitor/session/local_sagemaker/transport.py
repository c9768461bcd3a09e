"""A real ``boto3.Session`` whose API calls never leave the process.

botocore emits ``before-call.<service>.<operation>`` just before it would send a request; a
handler that returns ``(http_response, parsed)`` replaces the HTTP call (botocore's
``BaseClient._make_api_call``). Every client of the session, its paginators, waiters,
``boto3`` resources and s3transfer therefore work unchanged, answered by the emulators given
here. An operation without an emulator raises :class:`NotEmulated`: never a silent no-op,
never the network.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.configprovider import ConstantProvider

#: (service name, operation name) -> function of the request parameters returning the response.
Operations = Mapping[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]]
ACCOUNT_ID = "000000000000"
_PARAMS = "byom_local_params"


class NotEmulated(RuntimeError):
    """An AWS API the local SageMaker session does not answer."""


class ServiceError(Exception):
    """Answered as the service's error response (a botocore ``ClientError`` for the caller)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def emulated_boto_session(region: str, operations: Operations) -> boto3.Session:
    """A boto3 session with dummy static credentials whose calls go to ``operations``.
    It reads no AWS configuration (``AWS_PROFILE``, ``~/.aws``): nothing there applies."""
    core = botocore.session.Session()
    settings = core.get_component("config_store")
    for name, value in (("profile", None), ("config_file", os.devnull),
                        ("credentials_file", os.devnull)):
        settings.set_config_provider(name, ConstantProvider(value))
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local",
                            region_name=region, botocore_session=core)

    def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = params  # the caller's parameters, after botocore's customizations

    def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict]:
        service, operation = model.service_model.service_name, model.name
        handler = operations.get((service, operation))
        if handler is None:
            raise NotEmulated(f"{service}.{operation} is not emulated by the local SageMaker "
                              f"session")
        try:
            parsed = handler(context.get(_PARAMS, {}))
            status = 200
        except ServiceError as error:
            status = error.status
            parsed = {"Error": {"Code": error.code, "Message": error.message},
                      "ResponseMetadata": {"HTTPStatusCode": status}}
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status, "HTTPHeaders": {},
                                               "RetryAttempts": 0})
        return AWSResponse(f"local://{service}/{operation}", status, {}, None), parsed

    session.events.register_last("before-parameter-build", keep_params)
    session.events.register("before-call", answer)
    return session


#: The paging and sorting parameters of List* operations.
PAGING = ("SortBy", "SortOrder", "MaxResults", "NextToken")


def only_emulated(params: dict[str, Any], operation: str, *supported: str) -> None:
    """A request parameter the emulator would ignore is refused, naming it: a filter that
    silently did nothing would give a wrong answer."""
    extra = sorted(set(params) - set(supported))
    if extra:
        raise ServiceError("ValidationException", f"{operation}: {', '.join(extra)} not "
                                                  f"emulated by the local SageMaker session")


def page(params: dict[str, Any], key: str, items: list[dict],
         sort_keys: Mapping[str, str]) -> dict[str, Any]:
    """One page of a List* answer (``MaxResults``, ``NextToken``). ``sort_keys`` maps the
    operation's ``SortBy`` values to the items' fields (the first is the default); the order
    is descending unless ``SortOrder`` is ``Ascending``."""
    sort_by = params.get("SortBy", next(iter(sort_keys)))
    if sort_by not in sort_keys:
        raise ServiceError("ValidationException", f"SortBy {sort_by} is not emulated by the "
                                                  f"local SageMaker session")
    field = sort_keys[sort_by]
    items = sorted(items, key=lambda item: (item.get(field) is not None,
                                            item.get(field) if item.get(field) is not None else 0),
                   reverse=params.get("SortOrder", "Descending") == "Descending")
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 100)
    answer: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer
