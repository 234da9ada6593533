"""The 政治生日 greeting card, a one-page PDF (A5 landscape) per member.

Chinese text is set in reportlab's built-in CID font STSong-Light (Adobe-GB1): the PDF names the font and
the reader supplies it, so no font file is shipped or embedded.
"""

from __future__ import annotations

import datetime as dt
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Frame, Paragraph

from dangjian.members.selectors import Birthday

FONT = "STSong-Light"
PARTY_RED = colors.HexColor("#b3191f")
GOLD = colors.HexColor("#c9a227")


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def card_lines(b: Birthday) -> dict[str, str]:
    """The card's texts (also what the tests look for)."""
    name = b.member.name
    age = f"党龄 {b.party_age} 年" if b.party_age is not None else "预备党员"
    return {
        "heading": "政治生日贺卡",
        "salutation": f"{name}同志：",
        "facts": f"入党日期：{_date(b.member.joined_on)}　　{age}",
        "body": (
            f"{_date(b.date)}是您加入中国共产党{b.years}周年的政治生日。"
            f"{b.years}年来，您始终牢记入党誓词，在工作岗位上践行初心使命。"
            f"值此政治生日之际，{b.branch.name}全体党员向您致以诚挚的祝福！"
            "愿您不忘初心、牢记使命，继续发挥先锋模范作用。"
        ),
        "signature": b.branch.name,
        "date": _date(b.date),
    }


def birthday_card_pdf(b: Birthday) -> bytes:
    _register_font()
    lines = card_lines(b)
    buffer = io.BytesIO()
    width, height = landscape(A5)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(f"{lines['heading']}·{b.member.name}")
    pdf.setAuthor(b.branch.name)
    pdf.setSubject(lines["heading"])

    # border
    pdf.setStrokeColor(PARTY_RED)
    pdf.setLineWidth(3)
    pdf.rect(8 * mm, 8 * mm, width - 16 * mm, height - 16 * mm)
    pdf.setStrokeColor(GOLD)
    pdf.setLineWidth(1)
    pdf.rect(11 * mm, 11 * mm, width - 22 * mm, height - 22 * mm)

    pdf.setFillColor(PARTY_RED)
    pdf.setFont(FONT, 26)
    pdf.drawCentredString(width / 2, height - 32 * mm, lines["heading"])

    pdf.setFillColor(colors.black)
    pdf.setFont(FONT, 15)
    pdf.drawString(24 * mm, height - 48 * mm, lines["salutation"])
    pdf.setFont(FONT, 11)
    pdf.drawString(24 * mm, height - 57 * mm, lines["facts"])

    body = ParagraphStyle(
        "card", fontName=FONT, fontSize=12.5, leading=21, firstLineIndent=25, wordWrap="CJK"
    )
    frame = Frame(22 * mm, 34 * mm, width - 44 * mm, height - 97 * mm, showBoundary=0)
    frame.addFromList([Paragraph(lines["body"], body)], pdf)

    pdf.setFont(FONT, 12)
    pdf.drawRightString(width - 24 * mm, 28 * mm, lines["signature"])
    pdf.drawRightString(width - 24 * mm, 20 * mm, lines["date"])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
