"""The one error tree: each class sits where what the caller must do puts it."""

from __future__ import annotations

import inspect

import pytest

from connectors import errors
from connectors.errors import (
    AuthenticationError,
    CoercionError,
    ConfigurationError,
    DocumentError,
    FatalError,
    InvalidRecordError,
    MalformedResponseError,
    RateLimitedError,
    RecordError,
    RejectedRecordError,
    SyncError,
    TransientError,
    UnreadableMatchError,
    UnresolvedReferenceError,
    unusable_answer,
)

# Each class of the tree and its parent, as the module's docstring draws it.
TREE: dict[type[Exception], type[Exception]] = {
    SyncError: Exception,
    ConfigurationError: SyncError,
    DocumentError: ConfigurationError,
    TransientError: SyncError,
    RateLimitedError: TransientError,
    MalformedResponseError: TransientError,
    FatalError: SyncError,
    AuthenticationError: FatalError,
    RecordError: SyncError,
    InvalidRecordError: RecordError,
    CoercionError: InvalidRecordError,
    UnreadableMatchError: InvalidRecordError,
    RejectedRecordError: RecordError,
    UnresolvedReferenceError: RecordError,
}
BRANCHES = (ConfigurationError, TransientError, FatalError, RecordError)


@pytest.mark.parametrize(("cls", "parent"), TREE.items(), ids=lambda c: c.__name__)
def test_each_class_sits_under_its_parent(cls, parent):
    assert issubclass(cls, parent)
    assert cls.__bases__ == (parent,)


@pytest.mark.parametrize("cls", [c for c in TREE if c is not SyncError])
def test_each_class_is_on_exactly_one_branch(cls):
    assert sum(issubclass(cls, branch) for branch in BRANCHES) == 1


def test_the_tree_has_every_error_class_of_the_module_and_draws_it():
    defined = {
        value
        for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, Exception)
    }
    assert defined == set(TREE)
    for cls in TREE:
        if cls is not SyncError:
            assert cls.__name__ in (errors.__doc__ or "")


def test_a_document_error_names_file_and_line():
    error = DocumentError("expected a title", path="flows/a.md", line=7)
    assert str(error) == "flows/a.md:7: expected a title"
    assert (error.path, error.line, error.message) == (
        "flows/a.md",
        7,
        "expected a title",
    )


def test_a_coercion_error_costs_one_record_and_can_carry_its_coordinates():
    error = CoercionError("Price: expected a number", system="webcrm", record_id="9")
    assert (error.system, error.entity, error.record_id) == ("webcrm", "", "9")
    assert not isinstance(error, ValueError)


def test_an_unreadable_match_carries_what_the_search_found():
    error = UnreadableMatchError(
        "x", system="customcrm", record_id="C-4", unreadable={"C-4": "bad"}
    )
    assert (error.system, error.record_id, error.found) == ("customcrm", "C-4", [])
    assert error.unreadable == {"C-4": "bad"}


def test_an_unusable_answer_to_a_read_is_read_again():
    error = unusable_answer(
        "get",
        "webcrm GET /Queries -> 200 sent an HTML page",
        status=200,
        content_type="text/html",
        excerpt="<html>",
    )
    assert isinstance(error, MalformedResponseError)
    assert (error.status, error.content_type, error.excerpt) == (
        200,
        "text/html",
        "<html>",
    )
    assert error.retry_after is None


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_unusable_answer_to_a_write_stops_the_worker(method):
    error = unusable_answer(
        method, "webcrm POST /Persons -> 200 sent XML", excerpt="<x>"
    )
    assert type(error) is FatalError
    assert str(error) == "webcrm POST /Persons -> 200 sent XML"
