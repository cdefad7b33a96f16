"""The auditor's verifier: the log, its checkpoints and anchors, with the public key only.

``python -m mgz.audit.auditor --anchors FILE`` with ``MGZ_DATABASE_URL`` (a read-only
role will do) and ``MGZ_AUDIT_PUBLIC_KEY`` in the environment, or as options. Unlike
``mgz audit verify`` it builds no application, so it needs none of the application's
secrets: an external auditor can run it with what they are given and nothing else.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import click
from sqlalchemy.orm import Session

from mgz.audit import anchors, verification
from mgz.audit.cli import report
from mgz.core.config import parse_database_url
from mgz.core.db import make_engine


def _key(_context: click.Context, _param: click.Parameter, value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise click.BadParameter("Base64 von 32 Bytes erwartet.")
    return raw


@click.command()
@click.option(
    "--database-url",
    envvar="MGZ_DATABASE_URL",
    required=True,
    help="Datenbank (Umgebung: MGZ_DATABASE_URL).",
)
@click.option(
    "--public-key",
    envvar="MGZ_AUDIT_PUBLIC_KEY",
    required=True,
    callback=_key,
    help="Öffentlicher Schlüssel der Prüfpunkte (Umgebung: MGZ_AUDIT_PUBLIC_KEY).",
)
@click.option(
    "--anchors",
    "anchor_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ankerdatei(en) oder Syslog-Export.",
)
@click.option(
    "--audit-key",
    envvar="MGZ_AUDIT_KEY",
    default=None,
    callback=_key,
    help="Optional: HMAC-Schlüssel der Anwendung, prüft auch deren Anker.",
)
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True)
def main(
    database_url: str,
    public_key: bytes,
    anchor_files: tuple[Path, ...],
    audit_key: bytes | None,
    workers: int,
) -> None:
    """Prüft Kette, Prüfpunkte und Anker; Exit 1 nennt das erste fehlerhafte Ereignis."""
    try:
        url = parse_database_url(database_url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--database-url") from None
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            result = verification.verify(
                db,
                public_key,
                audit_key=audit_key,
                anchor_lines=anchors.read(anchor_files),
                workers=workers,
            )
    finally:
        engine.dispose()
    report(result)


if __name__ == "__main__":
    main()
