"""The ``hub`` command: serve the hub, manage users, import and export the knowledge base."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from hub.auth import check_new_user, hash_password
from hub.errors import Conflict, HubError, InvalidInput
from hub.ids import new_id
from hub.models import User, UserRole, utcnow
from hub.settings import Settings
from hub.startup import QuietStartupFailure, reason
from hub.store import open_store
from kb.articles import ArticleContent


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.app import create_app

    app = create_app(Settings.from_env())
    quiet = QuietStartupFailure(app, lambda: getattr(app.state, "startup_reported", False))
    # Chat frames are small: per-message compression costs more CPU than it saves bandwidth.
    uvicorn.run(quiet, host=args.host, port=args.port, ws="websockets-sansio", ws_max_size=64 * 1024,
                ws_per_message_deflate=False, log_level=args.log_level, lifespan="on")
    return 0


async def _add_user(args: argparse.Namespace) -> int:
    try:
        check_new_user(args.name, args.password)
    except InvalidInput as exc:
        print(f"hub: {exc.detail}", file=sys.stderr)
        return 2
    store = open_store(Settings.from_env())
    await store.open()
    try:
        user = User(id=new_id(), username=args.name, password_hash=hash_password(args.password),
                    role=UserRole(args.role), created_at=utcnow(), display_name=args.display_name,
                    capacity=args.capacity)
        await store.add_user(user)
    except Conflict as exc:
        print(f"hub: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(f"added {args.role} {args.name}")
    return 0


CLI_USER = User(id="cli", username="cli", password_hash="", role=UserRole.ADMIN, created_at=utcnow())


async def _kb(args: argparse.Namespace) -> int:
    from hub.library import Library

    store = open_store(Settings.from_env())
    await store.open()
    try:
        library = Library(store, None)
        if args.action == "import":
            contents = _read_articles(args.path)
            done = await library.import_contents(CLI_USER, contents, args.publish)
            print(f"imported {len(done)} article(s) as {'published' if args.publish else 'drafts'}")
        else:
            _write_articles(await library.export(), args.format, args.out)
            print(f"exported to {args.out}")
    except HubError as exc:
        print(f"hub: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    return 0


def _read_articles(path: Path) -> list[ArticleContent]:
    from kb import porting

    if path.is_dir():
        return porting.read_folder(path)
    data = path.read_bytes()
    return porting.read_csv(data) if path.suffix.lower() == ".csv" else porting.read_json(data)


def _write_articles(contents: list[ArticleContent], format: str, out: Path) -> None:
    from kb import porting

    if format == "md":
        out.mkdir(parents=True, exist_ok=True)
        for number, content in enumerate(contents, start=1):
            (out / f"{number:05d}.md").write_text(porting.write_markdown(content), encoding="utf-8")
    elif format == "csv":
        out.write_text(porting.write_csv(contents), encoding="utf-8")
    else:
        out.write_bytes(porting.write_json(contents))


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="Omnichannel contact-centre hub")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the hub (HTTP, websockets, routing)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_bounded(1, 65535), default=8000)
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    user = commands.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--password", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in UserRole])
    add.add_argument("--display-name")
    add.add_argument("--capacity", type=_bounded(0, 100), help="concurrent chats (default HUB_AGENT_CAPACITY)")
    kb = commands.add_parser("kb", help="knowledge base import and export").add_subparsers(dest="action",
                                                                                           required=True)
    load = kb.add_parser("import", help="import articles from a .json or .csv file, or a folder of .md files")
    load.add_argument("path", type=Path)
    load.add_argument("--publish", action="store_true", help="publish them at once (default: drafts)")
    dump = kb.add_parser("export", help="export every article that is not archived")
    dump.add_argument("--format", choices=["json", "csv", "md"], default="json")
    dump.add_argument("--out", type=Path, required=True, help="a file (json, csv) or a folder (md)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "kb":
            return asyncio.run(_kb(args))
        return asyncio.run(_add_user(args))
    except Exception as exc:  # a setting, a file, a server: one line to act on; anything else is a bug
        said = reason(exc)
        if said is None:
            raise
        print(f"hub: {said}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
