"""Pages to one PDF per material, losslessly (img2pdf embeds JPEG as is, wraps PNG)."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from devices.errors import ScannerError


def to_pdf(pages: list[bytes]) -> bytes:
    """One PDF of `pages` (JPEG, PNG or TIFF bytes); a PDF page list is passed through."""
    if len(pages) == 1 and pages[0][:5] == b"%PDF-":
        return pages[0]
    import img2pdf  # with pikepdf: ~0.13 s, only when something is scanned

    try:
        return img2pdf.convert([_no_alpha(p) for p in pages])
    except (img2pdf.ImageOpenError, ValueError, OSError) as error:
        raise ScannerError(f"扫描图像无法转换为PDF：{error}") from None


def _no_alpha(page: bytes) -> bytes:
    """PDF/A forbids transparency; PNGs with alpha are flattened to RGB first."""
    with Image.open(io.BytesIO(page)) as image:
        if image.mode not in ("RGBA", "LA", "P"):
            return page
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG")
        return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
