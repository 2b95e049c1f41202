"""The ``showdesk`` command: serve, db, user, link, apikey, evidence.

A command that creates something prints it alone on the last line of stdout (the URL,
the key, the one-time password); ``--json`` prints the whole record instead.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session

from server.accounts import apikeys, users
from server.cli import public_url
from server.db import make_engine, migrate
from server.errors import DomainError, NotFound
from server.evidence import audit, bundle, cases, export, retention
from server.infra import signing
from server.infra.clock import Clock
from server.infra.config import ConfigError, Settings, load_settings, owner_only_files
from server.infra.security import passwords_for
from server.links import buyer_links
from server.models import Call, Role
from server.models.apikey import API_KEY_SCOPES, DEFAULT_API_KEY_SCOPES, ApiKeyPublic
from server.models.link import LinkBase
from server.models.order import OrderIn
from server.storage import Storage
from server.storage.factory import open_storage
from signaling.vocabulary import Purpose

DURATION = re.compile(r"^(\d+)([smhd])$")
DURATION_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_PORT = 8000


def parse_duration(text: str) -> int:
    """``90m``, ``72h``, ``7d``, ``30s`` -> seconds."""
    match = DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90m, 72h or 7d")
    return int(match.group(1)) * DURATION_UNITS_S[match.group(2)]


def _emit(record: dict[str, Any], last_line: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(record, default=str, indent=2))
    else:
        print(last_line)


def _session(settings: Settings) -> Session:
    migrate.upgrade(settings.db_url)
    return Session(make_engine(settings.db_url), expire_on_commit=False)


def _user_record(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": str(user.role),
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
    }


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> None:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise DomainError("the passwords differ")
    else:
        password = None  # no way to ask: a one-time password is made and printed
    with _session(settings) as db:
        user, one_time = users.create_user(
            db,
            email=args.email,
            role=Role(args.role),
            name=args.name,
            password=password,
            now=Clock().now(),
            passwords=passwords_for(settings.password_hashing),
        )
    record = _user_record(user) | {"one_time_password": one_time}
    _emit(record, one_time or f"{user.email} ({user.role})", args.json)


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> None:
    with _session(settings) as db:
        records = [_user_record(u) for u in users.list_users(db)]
    if args.json:
        print(json.dumps(records, indent=2))
        return
    for u in records:
        state = "disabled" if u["disabled"] else "active"
        print(f"{u['id']:>4}  {u['email']:<40} {u['role']:<10} {state:<8} {u['name']}")


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> None:
    with _session(settings) as db:
        user = users.find_user(db, args.email)
        users.set_disabled(db, user, True)
    _emit(_user_record(user), f"{user.email} disabled", args.json)


def cmd_user_reset_password(args: argparse.Namespace, settings: Settings) -> None:
    with _session(settings) as db:
        user = users.find_user(db, args.email)
        password = users.reset_password(
            db, user, passwords=passwords_for(settings.password_hashing)
        )
    _emit(_user_record(user) | {"one_time_password": password}, password, args.json)


def _order_line(text: str) -> dict[str, Any]:
    """``SKU:NAME:QTY[:LOT]`` -> an order line (checked with the order)."""
    parts = text.split(":")
    if len(parts) not in (3, 4) or not parts[2].strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not SKU:NAME:QUANTITY[:LOT]")
    return {
        "sku": parts[0],
        "name": parts[1],
        "quantity": int(parts[2]),
        "lot": parts[3] if len(parts) == 4 else None,
    }


def _order(args: argparse.Namespace) -> OrderIn | None:
    given = {
        "lines": args.line or [],
        "carrier": args.carrier,
        "tracking_number": args.tracking,
        "channel": args.channel,
        "buyer_country": args.buyer_country,
        "ordered_at": args.ordered_at,
        "delivered_at": args.delivered_at,
    }
    if not any(given.values()):
        return None
    return OrderIn.model_validate({k: v for k, v in given.items() if v})


def cmd_link_create(args: argparse.Namespace, settings: Settings) -> None:
    order = _order(args)
    fields = LinkBase.model_validate(
        {
            "order_ref": args.order,
            "purpose": args.purpose,
            "locale": args.locale,
            "buyer_name": args.buyer_name,
            "note": args.note,
            "max_calls": args.max_calls,
        }
    )
    with _session(settings) as db:
        made = buyer_links.create_link(
            db,
            fields,
            ttl_s=args.expires or settings.link_ttl_s,
            max_ttl_s=settings.link_ttl_max_s,
            public_url=public_url.for_links(settings),
            now=Clock().now(),
            order=order,
        )
    record = made.link.model_dump(exclude={"token_hash"}) | {"url": made.url}
    _emit(record, made.url, args.json)


def _scopes(text: str) -> list[str]:
    """``links:write,links:read`` -> the scopes, checked."""
    try:
        return apikeys.check_scopes(text.split(","))
    except DomainError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _apikey_record(row: Any, now: Any) -> dict[str, Any]:
    return ApiKeyPublic.from_row(row, now).model_dump(mode="json")


def cmd_apikey_create(args: argparse.Namespace, settings: Settings) -> None:
    now = Clock().now()
    with _session(settings) as db:
        scopes = (args.scopes or []) + (args.scope or []) or list(DEFAULT_API_KEY_SCOPES)
        row, key = apikeys.create_api_key(
            db, args.name, now, scopes=scopes, expires_in_s=args.expires
        )
        audit.api_key_changed(db, audit.AUDIT_APIKEY_CREATED, row, now, None)
    _emit(_apikey_record(row, now) | {"key": key}, key, args.json)


def cmd_apikey_list(args: argparse.Namespace, settings: Settings) -> None:
    now = Clock().now()
    with _session(settings) as db:
        records = [_apikey_record(k, now) for k in apikeys.list_api_keys(db)]
    if args.json:
        print(json.dumps(records, indent=2))
        return
    print(
        f"{'ID':>4}  {'NAME':<24} {'STATUS':<8} {'CREATED':<17} {'EXPIRES':<17} "
        f"{'LAST USED':<17} SCOPES"
    )
    for k in records:
        print(
            f"{k['id']:>4}  {k['name'][:24]:<24} {k['status']:<8} {_when(k['created_at']):<17} "
            f"{_when(k['expires_at']):<17} {_when(k['last_used_at']):<17} {','.join(k['scopes'])}"
        )


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def cmd_apikey_revoke(args: argparse.Namespace, settings: Settings) -> None:
    now = Clock().now()
    with _session(settings) as db:
        row = apikeys.revoke_api_key(db, args.id, now)
        audit.api_key_changed(db, audit.AUDIT_APIKEY_REVOKED, row, now, None)
    _emit(_apikey_record(row, now), f"API key {row.id} ({row.name}) revoked", args.json)


def _storage(settings: Settings) -> Storage:
    return open_storage(settings)


def cmd_retention_run(args: argparse.Namespace, settings: Settings) -> None:
    with _session(settings) as db:
        report = retention.run_retention(
            db, _storage(settings), Clock().now(), settings.retention_days, dry_run=args.dry_run
        )
    verb = "would lose" if args.dry_run else "lost"
    for call in [] if args.json else report.calls:
        print(
            f"{call.call_id}  {call.order_ref:<24} {verb} {call.recordings} recordings, "
            f"{call.photos} photos, {call.chat_lines} chat lines"
        )
    for case in [] if args.json else report.cases:
        print(
            f"case {case.case_id}  {case.order_ref:<24} {verb} {case.clips} clips, "
            f"{case.photos} photos, {case.notes} notes"
        )
    _emit(report.as_dict(), f"{len(report.calls)} calls {verb} their media", args.json)


def cmd_erase(args: argparse.Namespace, settings: Settings) -> None:
    with _session(settings) as db:
        erase, what = (
            (retention.erase_order, args.order)
            if args.order
            else (retention.erase_buyer, args.buyer)
        )
        report = erase(
            db, _storage(settings), what, Clock().now(), active_call_ids=set(), by_user_id=None
        )
    done = f"order {args.order}" if args.order else "the buyer's orders"
    cases = f" and {len(report.cases)} recorded cases" if report.cases else ""
    _emit(report.as_dict(), f"erased {done}: {len(report.calls)} calls{cases}", args.json)


def cmd_export(args: argparse.Namespace, settings: Settings) -> None:
    out = Path(args.out)
    with _session(settings) as db:
        calls = export.export_order(
            db, _storage(settings), args.order, Clock().now(), out, by_user_id=None
        )
    os.chmod(out, 0o600)  # it holds personal data
    _emit({"order_ref": args.order, "calls": calls, "file": str(out)}, str(out), args.json)


def cmd_hold(args: argparse.Namespace, settings: Settings) -> None:
    reason = args.reason if args.hold_cmd == "add" else None
    with _session(settings) as db:
        call = retention.set_hold(db, args.call_id, reason, Clock().now(), by_user_id=None)
    state = f"on hold: {call.hold_reason}" if call.hold_reason else "no longer on hold"
    _emit({"call_id": call.id, "hold_reason": call.hold_reason}, f"{call.id} {state}", args.json)


def cmd_evidence_export(args: argparse.Namespace, settings: Settings) -> None:
    """A call's bundle (``ID``), or with ``--case ID`` a case's: the same writer."""
    out = Path(args.out)
    key, now, storage = signing.signing_key(settings.data_dir), Clock().now(), _storage(settings)
    with _session(settings) as db:
        if args.case_id is not None:
            case = cases.get_case(db, args.case_id)
            record: dict[str, Any] = {"case_id": args.case_id}
            with out.open("wb") as file:
                files = bundle.write_case_bundle(
                    db, storage, case, key, now, file, user_id=None, api_key_id=None
                )
        else:
            call = db.get(Call, args.call_id)
            if call is None:
                raise NotFound(f'no call "{args.call_id}"')
            record = {"call_id": args.call_id}
            with out.open("wb") as file:
                files = bundle.write_bundle(
                    db, storage, call, key, now, file, user_id=None, api_key_id=None
                )
    os.chmod(out, 0o600)  # it holds personal data
    _emit({**record, "files": files, "file": str(out)}, str(out), args.json)


def cmd_evidence_verify(args: argparse.Namespace, settings: Settings) -> None:
    if args.public_key:
        pem = Path(args.public_key).read_bytes()
    else:  # this server's own key
        pem = signing.public_key_pem(signing.signing_key(settings.data_dir))
    problems = bundle.verify_bundle(Path(args.file), signing.load_public_key(pem))
    for problem in problems:
        print(f"showdesk: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(1)
    print(f"{args.file}: intact, signature good")


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> None:
    migrate.upgrade(settings.db_url)
    print("database is at the newest schema")


def cmd_db_rollup(args: argparse.Namespace, settings: Settings) -> None:
    from server.models.rollup import rebuild, verify

    migrate.upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with engine.begin() as conn:
            if args.check:
                wrong = verify(conn)
                if wrong:
                    print(f"showdesk: the roll-up differs from the calls in {wrong} rows")
                    raise SystemExit(1)
                print("the roll-up equals the calls")
                return
            counted = rebuild(conn)
    finally:
        engine.dispose()
    print(f"roll-up rebuilt from {counted} calls")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli.serve import serve

    serve(
        settings,
        host=args.host,
        port=args.port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        demo=args.demo,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="showdesk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server (SQLite and ./data by default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate")
    serve.add_argument("--tls-key", metavar="FILE", help="the certificate's private key")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also create a demo agent, a demo supervisor and a buyer link",
    )
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("upgrade", help="apply the migrations").set_defaults(func=cmd_db_upgrade)
    rollup = db.add_parser(
        "rollup", help="recount the analytics roll-up from the calls (or --check it)"
    )
    rollup.add_argument("--check", action="store_true", help="only compare; exit 1 when it differs")
    rollup.set_defaults(func=cmd_db_rollup)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="user_cmd", required=True
    )
    add = user.add_parser("add", help="add a staff account")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_user_add)
    lst = user.add_parser("list", help="list staff accounts")
    lst.set_defaults(func=cmd_user_list)
    dis = user.add_parser("disable", help="disable an account (signs it out everywhere)")
    dis.add_argument("email")
    dis.set_defaults(func=cmd_user_disable)
    rst = user.add_parser("reset-password", help="print a one-time password for an account")
    rst.add_argument("email")
    rst.set_defaults(func=cmd_user_reset_password)

    link = sub.add_parser("link", help="buyer links").add_subparsers(dest="link_cmd", required=True)
    create = link.add_parser("create", help="create a 'show us the problem' link")
    create.add_argument("--order", required=True, help="the order reference")
    create.add_argument("--purpose", required=True, choices=[p.value for p in Purpose])
    create.add_argument("--locale", help="the buyer's language, e.g. de or pt-BR")
    create.add_argument("--buyer-name")
    create.add_argument("--expires", type=parse_duration, help="e.g. 90m, 72h, 7d (default 72h)")
    create.add_argument("--note")
    create.add_argument(
        "--max-calls",
        type=int,
        help="calls the link may start (default: SHOWDESK_MAX_CALLS_PER_LINK)",
    )
    create.add_argument(
        "--line",
        action="append",
        type=_order_line,
        metavar="SKU:NAME:QTY[:LOT]",
        help="an order line (repeat for each)",
    )
    create.add_argument("--carrier")
    create.add_argument("--tracking", help="the carrier's tracking number")
    create.add_argument("--channel", help="the marketplace or channel, e.g. amazon.de")
    create.add_argument("--buyer-country", help="ISO 3166-1 alpha-2, e.g. DE")
    create.add_argument("--ordered-at", help="ISO 8601, e.g. 2026-11-20T10:00:00Z")
    create.add_argument("--delivered-at", help="ISO 8601")
    create.set_defaults(func=cmd_link_create)

    retention_cmd = sub.add_parser(
        "retention", help="delete old recordings, photos and chat"
    ).add_subparsers(dest="retention_cmd", required=True)
    ret = retention_cmd.add_parser(
        "run", help="delete what is older than SHOWDESK_RETENTION_DAYS (held calls are kept)"
    )
    ret.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    ret.set_defaults(func=cmd_retention_run)
    erase = sub.add_parser(
        "erase", help="erase what is held about an order or a buyer (GDPR Art. 17)"
    )
    whom = erase.add_mutually_exclusive_group(required=True)
    whom.add_argument("--order", help="the order reference")
    whom.add_argument("--buyer", help="the buyer's name: every order that names them")
    erase.set_defaults(func=cmd_erase)
    export_cmd = sub.add_parser("export", help="everything held about an order, as a ZIP")
    export_cmd.add_argument("--order", required=True, help="the order reference")
    export_cmd.add_argument("--out", required=True, help="the ZIP file to write")
    export_cmd.set_defaults(func=cmd_export)
    hold = sub.add_parser("hold", help="legal holds on calls").add_subparsers(
        dest="hold_cmd", required=True
    )
    hold_add = hold.add_parser("add", help="keep a call's evidence until the hold is removed")
    hold_add.add_argument("call_id")
    hold_add.add_argument("--reason", required=True)
    hold_remove = hold.add_parser("remove", help="lift a call's hold")
    hold_remove.add_argument("call_id")
    for p in (hold_add, hold_remove):
        p.set_defaults(func=cmd_hold)
    for p in (ret, erase, export_cmd, hold_add, hold_remove):
        p.add_argument("--json", action="store_true", help="print the whole record as JSON")

    apikey = sub.add_parser("apikey", help="integration API keys").add_subparsers(
        dest="apikey_cmd", required=True
    )
    akc = apikey.add_parser("create", help="create an API key (printed once)")
    akc.add_argument("name")
    akc.add_argument(
        "--scopes",
        type=_scopes,
        help=f"comma-separated, of {', '.join(API_KEY_SCOPES)} "
        f"(default {','.join(DEFAULT_API_KEY_SCOPES)})",
    )
    akc.add_argument(
        "--scope",
        action="append",
        type=lambda text: _scopes(text)[0],
        help="one scope; repeat for more (--scope and --scopes add up)",
    )
    akc.add_argument("--expires", type=parse_duration, help="e.g. 90d (default: never)")
    akc.set_defaults(func=cmd_apikey_create)
    akl = apikey.add_parser("list", help="list API keys (never the keys themselves)")
    akl.set_defaults(func=cmd_apikey_list)
    akr = apikey.add_parser("revoke", help="revoke an API key: it stops working at once")
    akr.add_argument("id", type=int, help="the key's id (see apikey list)")
    akr.set_defaults(func=cmd_apikey_revoke)

    evidence = sub.add_parser("evidence", help="signed evidence bundles").add_subparsers(
        dest="evidence_cmd", required=True
    )
    evx = evidence.add_parser(
        "export", help="a call's (or with --case a case's) signed evidence bundle, as a ZIP"
    )
    subject = evx.add_mutually_exclusive_group(required=True)
    subject.add_argument("call_id", nargs="?", help="the call's id")
    subject.add_argument("--case", dest="case_id", metavar="ID", type=int, help="a case's id")
    evx.add_argument("--out", required=True, help="the ZIP file to write")
    evx.set_defaults(func=cmd_evidence_export)
    evv = evidence.add_parser(
        "verify", help="check a bundle's hashes and signature (exit 1 naming what is wrong)"
    )
    evv.add_argument("file")
    evv.add_argument("--public-key", metavar="PEM", help="default: this server's own key")
    evv.set_defaults(func=cmd_evidence_verify)

    for p in (add, lst, dis, rst, create, akc, akl, akr, evx):
        p.add_argument("--json", action="store_true", help="print the whole record as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``showdesk`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        overrides = {}
        if args.command == "serve" and "SHOWDESK_PUBLIC_URL" not in os.environ:
            scheme = "https" if args.tls_cert else "http"
            overrides["public_url"] = f"{scheme}://localhost:{args.port}"
        settings = load_settings(**overrides)
        owner_only_files()  # before anything is written: the data is the owner's only
        args.func(args, settings)
    except ConfigError as exc:
        print(f"showdesk: configuration error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"showdesk: {exc.message}", file=sys.stderr)
        return 1
    except ValueError as exc:  # pydantic validation of CLI input
        print(f"showdesk: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
