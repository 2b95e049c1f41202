"""PROTOCOL.md's "codes the buyer page must translate" are exactly the codes the buyer's
paths can raise, read from the code: every ``raise`` in the functions on those paths
(and the whole signaling core), resolved to its error class and code."""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from collections.abc import Callable
from types import ModuleType
from typing import Any

from server.api import buyer, deps
from server.api.errors import CODE_BY_STATUS, INTERNAL_ERROR_MESSAGE
from server.api.sessions import inspection as inspection_routes
from server.api.sessions import photos as photo_routes
from server.calls.desk import CallDesk
from server.calls.media import CallMedia
from server.errors import DomainError
from server.evidence import images, photos
from server.infra.rate_limits import RateLimits
from server.inspections import checklist
from server.inspections import store as inspection_store
from server.links import buyer_links
from signaling import call, errors, messages, switchboard
from signaling.errors import SignalingError
from signaling.vocabulary import CloseCode
from tests.helpers.buyer_codes import documented

# what the buyer's page calls over HTTP, and every function there that raises
BUYER_HTTP_PATHS: list[Callable[..., Any]] = [
    buyer.open_link,
    buyer.buyer_context,
    deps.buyer_link,
    photo_routes.upload_photo,
    photo_routes.take_live_photo,
    buyer_links.redeem_token,
    photos.store_photo,
    images.header_size,
    images.clean_copy,
    RateLimits._refuse,
    # the photo upload's capture id, and the inspection's buyer routes with their rules
    photo_routes.check_capture,
    photo_routes.store_call_photo,
    inspection_routes.buyer_inspection,
    inspection_routes.decide_item,
    inspection_routes.sign_off,
    inspection_routes.buyer_inspection_pdf,
    inspection_routes._buyer_report_exists,
    inspection_routes.buyer_inspection_photo,
    inspection_routes._buyer_call,
    inspection_store.get,
    inspection_store.change,
    checklist,
]
# what the framework answers on any path: no route, wrong method, a body over the cap,
# a malformed request, an unexpected failure
FRAMEWORK_CODES = {CODE_BY_STATUS[status] for status in (404, 405, 413, 422)} | {"internal_error"}
# the buyer's socket: the whole signaling core, and the server's own refusals on it
BUYER_SOCKET_PATHS: list[Callable[..., Any] | ModuleType] = [
    messages,
    call,
    switchboard,
    CallDesk.consent,
    CallMedia.offer,
    CallMedia.candidate,
    RateLimits._refuse,
]
STAFF_ONLY_CLOSE_CODES = {CloseCode.SUPERSEDED}  # one staff user on two pages


def _resolve(module: ModuleType, node: ast.expr) -> Any:
    if isinstance(node, ast.Name):
        found = module.__dict__.get(node.id, getattr(builtins, node.id, None))
        assert found is not None, f"{node.id} in {module.__name__}"
        return found
    assert isinstance(node, ast.Attribute), ast.dump(node)
    return getattr(_resolve(module, node.value), node.attr)


def _fixed_code(cls: type[SignalingError]) -> str | None:
    """The code a signaling error class passes to ``super().__init__``, if fixed."""
    if "__init__" not in cls.__dict__:
        return None
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            return node.args[0].value
    return None


def raised_codes(where: Callable[..., Any] | ModuleType) -> set[str]:
    """The codes of the errors ``raise``d in ``where`` (a function or a whole module)."""
    module = where if isinstance(where, ModuleType) else inspect.getmodule(where)
    assert module is not None
    tree = ast.parse(textwrap.dedent(inspect.getsource(where)))
    codes = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        cls = _resolve(module, node.exc.func)
        keywords = {k.arg: k.value for k in node.exc.keywords}
        if isinstance(keywords.get("code"), ast.Constant):
            codes.add(keywords["code"].value)
        elif issubclass(cls, SignalingError):
            fixed = _fixed_code(cls)
            if fixed is None:  # the code is the first argument (ProtocolError, LinkUnusable)
                assert isinstance(node.exc.args[0], ast.Constant), ast.dump(node)
                fixed = node.exc.args[0].value
            codes.add(fixed)
        elif issubclass(cls, DomainError) or hasattr(cls, "code"):
            codes.add(cls.code)
        else:  # a guard that is no refusal (ValueError, TypeError, AssertionError)
            assert issubclass(cls, Exception) and not issubclass(cls, SignalingError)
    return codes


def test_the_documented_http_codes_are_the_ones_the_buyers_requests_can_get():
    derived = set().union(*(raised_codes(f) for f in BUYER_HTTP_PATHS)) | FRAMEWORK_CODES
    assert documented("HTTP code") == derived
    assert INTERNAL_ERROR_MESSAGE  # the 500's sentence exists; its code is internal_error


def test_the_documented_signaling_codes_are_the_ones_the_buyers_socket_can_get():
    derived = set().union(*(raised_codes(where) for where in BUYER_SOCKET_PATHS))
    assert "consent_outdated" in derived and "phrase_not_found" not in derived
    assert documented("signaling `error` code") == derived


def test_the_documented_close_codes_are_every_close_code_but_the_staff_ones():
    derived = {str(int(code)) for code in CloseCode if code not in STAFF_ONLY_CLOSE_CODES}
    assert documented("close code") == derived


def test_every_signaling_error_class_has_its_code_in_the_errors_module_table():
    for cls in (errors.ConsentOutdated, errors.PhraseNotFound, errors.QueueFull):
        assert f"``{_fixed_code(cls)}``" in (errors.__doc__ or "")
