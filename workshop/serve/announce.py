"""What `workshop serve` prints once it listens: the record, the facilitator's address, the phones' QR code."""

import io
import os
import sys
from pathlib import Path

from ..config import Settings
from ..errors import CommandError


def announce(settings: Settings, record: str, key: str, port: int, public_url_given: bool = False,
             key_file: Path | None = None) -> None:
    """Print where the server runs; the facilitator's address goes to `key_file` instead, if given."""
    base = (settings.public_url or "").rstrip("/")
    print(f"variability-workshop is running. Record: {record}", flush=True)
    if key_file is None:
        print(f"Facilitator (keep this private): {base}/?key={key}", flush=True)
    else:
        write_key_file(key_file, f"{base}/?key={key}\n")
        print(f"Facilitator address (with its key) written to {key_file}, readable by its owner only", flush=True)
    print(f"Phones join at: {base}/join (or scan this QR code)", flush=True)
    print(join_qr(f"{base}/join", colour=sys.stdout.isatty() and os.name != "nt"), flush=True)
    # An address given with --public-url is the facilitator's choice (a tunnel, a proxy): no warning.
    if not public_url_given and ("://127." in base or "://localhost" in base):
        print("Phones cannot reach this address: pass --public-url http://YOUR-LAN-ADDRESS:PORT", flush=True)
    print(f"Listening on port {port}", flush=True)


def write_key_file(path: Path, text: str) -> None:
    """Write the facilitator's address to `path`, readable by its owner only."""
    # Created 0600; an existing file is narrowed to 0600 before the key goes in.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
    except OSError as error:
        raise CommandError(f"cannot write the key file {path}: {error.strerror or error}") from None


def join_qr(url: str, colour: bool = False) -> str:
    """A QR code for `url` as text, two modules per line (half blocks), with its quiet zone.

    The light modules are the printed blocks, so the code reads right on a dark terminal; with
    `colour` each line is drawn white on black, so it also scans on a light-themed terminal.
    """
    import segno

    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True)
    lines = buffer.getvalue().rstrip("\n").split("\n")
    if colour:
        lines = [f"\x1b[97;40m{line}\x1b[0m" for line in lines]
    return "\n".join(lines)
