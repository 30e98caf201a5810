"""`workshop serve` in a terminal: the facilitator URL, and a QR code for the join page that a phone
can scan off the screen (checked module by module against the join address)."""

import re

import segno

from servers import KEY, Server

from .e2e_support import stop

# segno's compact terminal drawing: each character is two modules stacked, light modules drawn.
HALF_BLOCKS = {"█": (0, 0), "▀": (0, 1), "▄": (1, 0), " ": (1, 1)}  # (top, bottom), 1 = dark
QUIET_ZONE = 4


def modules(block: list[str]) -> list[list[int]]:
    rows: list[list[int]] = []
    for line in block:
        pairs = [HALF_BLOCKS[char] for char in line]
        rows.append([top for top, _ in pairs])
        rows.append([bottom for _, bottom in pairs])
    return rows


def expected_modules(url: str) -> list[list[int]]:
    matrix = [list(row) for row in segno.make(url, error="m").matrix]
    size = len(matrix) + 2 * QUIET_ZONE
    light = [[0] * size for _ in range(QUIET_ZONE)]
    return light + [[0] * QUIET_ZONE + row + [0] * QUIET_ZONE for row in matrix] + light


def test_serve_prints_the_facilitator_url_and_a_scannable_qr_code_for_the_join_page(tmp_path):
    server = Server(tmp_path)
    try:
        printed = "".join(server.output)
    finally:
        stop(server)
    assert f"Facilitator (keep this private): {server.base}/?key={KEY}" in printed
    join = re.search(r"Phones join at: (\S+/join)", printed).group(1)
    assert join == f"{server.base}/join"

    lines = printed.splitlines()
    block = [line for line in lines if line and set(line) <= set(HALF_BLOCKS)]
    assert len(block) >= 15, printed
    first = lines.index(block[0])
    assert lines[first:first + len(block)] == block, "the QR code is not one block of lines"
    assert lines.index(f"Phones join at: {join} (or scan this QR code)") == first - 1
    assert len({len(line) for line in block}) == 1, "ragged QR lines"

    drawn = modules(block)
    wanted = expected_modules(join)
    # An odd number of rows leaves a half line under the code, drawn dark: beyond the quiet zone.
    assert drawn[:len(wanted)] == wanted
    assert all(value == 1 for row in drawn[len(wanted):] for value in row)
