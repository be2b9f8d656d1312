"""QR codes: the one rule for making them, and the inline SVG the check-in page shows.

Never a Micro QR code, which many phone cameras do not read; error correction level M, so a
smudged printout or a cracked screen still scans. The emails write the same symbol as a
PNG (mail/messages.py), as many email clients block SVG images."""

import segno


def qr_symbol(content: str) -> segno.QRCode:
    """The QR code for `content`, made by the one rule above."""
    return segno.make(content, error="m", micro=False)


def qr_svg(content: str) -> str:
    """The QR code as an SVG document, black on white (readable without colour), with the
    4-module quiet zone scanners need around it."""
    return qr_symbol(content).svg_inline(scale=4, border=4, omitsize=True)
