"""Read back a QR code segno drew as inline SVG: rasterise its one path, decode with zxing-cpp.

segno draws the dark modules as horizontal strokes of one path (``M x y``, ``m dx dy``,
``h n``; one unit per module, the stroke centred half a module down). Drawing those strokes
into a bitmap and handing it to a maintained decoder checks what a phone's camera would read,
not what we meant to encode.
"""

from __future__ import annotations

import re

import numpy as np

from tests.conftest import skip_or_fail

PIXELS_PER_MODULE = 8
QUIET = 4  # modules of white margin a decoder wants around the code


def modules(svg: str) -> np.ndarray:
    """The dark modules of segno's path as a boolean matrix (row, column)."""
    path = re.search(r'<path[^>]*\sd="([^"]+)"', svg)
    assert path, "no QR path in the SVG"
    x = y = 0.0
    cells: list[tuple[int, int]] = []
    for op, args in re.findall(r"([MmHh])([-\d.\s]+)", path.group(1)):
        nums = [float(v) for v in args.split()]
        if op == "M":
            x, y = nums
        elif op == "m":
            x, y = x + nums[0], y + nums[1]
        else:  # h (relative) or H (absolute): a run of dark modules on row floor(y)
            end = x + nums[0] if op == "h" else nums[0]
            cells += [(int(y), col) for col in range(int(x), int(end))]
            x = end
    size = max(max(r for r, _ in cells), max(c for _, c in cells)) + 1
    grid = np.zeros((size, size), dtype=bool)
    for r, c in cells:
        grid[r, c] = True
    return grid


def decode_qr_svg(svg: str) -> str:
    """The text of the QR code in ``svg`` as zxing-cpp reads it from a bitmap."""
    try:
        import zxingcpp
    except ImportError:  # the dev extra's zxing-cpp; CI (MEIHAO_REQUIRE_ALL=1) fails instead
        skip_or_fail("zxing-cpp is not installed (pip install -e '.[dev]')")
    grid = np.pad(modules(svg), QUIET)
    image = np.where(grid, 0, 255).astype(np.uint8)
    image = np.kron(image, np.ones((PIXELS_PER_MODULE, PIXELS_PER_MODULE), dtype=np.uint8))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"{len(found)} codes found"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)
