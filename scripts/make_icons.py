"""Draw the home-screen icons of the web app (dashboard/ui/webapp/icon-*.png) with Pillow.

Run once after changing the design (``python scripts/make_icons.py``); the PNGs are
committed, so serving the dashboard never draws anything.  The icon: a white diary
page with a tick on the dashboard's calm indigo, everything inside the central 80 %
so phones may crop it to a circle ("maskable").
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ACCENT = (0x4A, 0x5F, 0xA8)  # dashboard.ui.app.ACCENT
OUT = Path(__file__).resolve().parents[1] / "dashboard" / "ui" / "webapp"
SIZES = {"icon-192.png": 192, "icon-512.png": 512, "apple-touch-icon.png": 180,
         "favicon-32.png": 32}


def draw(size: int = 1024) -> Image.Image:
    """The icon at ``size`` px (drawn large, then scaled down smoothly)."""
    image = Image.new("RGB", (size, size), ACCENT)
    pen = ImageDraw.Draw(image)
    u = size / 100  # drawing units: the icon is 100 x 100
    pen.rounded_rectangle([30 * u, 22 * u, 70 * u, 78 * u], radius=5 * u, fill="white")
    for y in (34, 42, 50):  # lines of writing
        pen.line([37 * u, y * u, 63 * u, y * u], fill=(0xC9, 0xD0, 0xE8), width=round(2.2 * u))
    pen.line([38 * u, 62 * u, 46 * u, 69 * u, 62 * u, 55 * u], fill=ACCENT, width=round(5 * u),
             joint="curve")
    return image


def main() -> None:
    big = draw()
    for name, size in SIZES.items():
        big.resize((size, size), Image.LANCZOS).save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()
