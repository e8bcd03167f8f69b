"""The minutes as a Word document (DOCX, python-docx), with the same content as the HTML:
the secretariat edits the layout to the municipality's template, never the facts."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Pt

from compliance.minutes import Item, Minutes, VoteRecord

BLANK = "……………………………………"


def render_docx(minutes: Minutes) -> bytes:
    """The minutes as the bytes of a .docx file."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11.5)
    doc.core_properties.title = f"Protokoll {minutes.committee} {minutes.date}"
    doc.core_properties.language = "sv-SE"

    _first_page(doc, minutes)
    _roll_call(doc, minutes)
    for item in minutes.items:
        _item(doc, item)
    if minutes.not_handled:
        doc.add_paragraph("Ärenden på föredragningslistan som inte behandlades: "
                          f"{', '.join(minutes.not_handled)}.")
    _suspensions(doc, minutes)
    _attendance(doc, minutes)
    if minutes.closed_time:
        doc.add_paragraph(f"Ordföranden förklarar sammanträdet avslutat kl. "
                          f"{minutes.closed_time}.")
    _evidence(doc, minutes)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _first_page(doc: DocxDocument, m: Minutes) -> None:
    title = doc.add_heading("SAMMANTRÄDESPROTOKOLL", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.LEFT
    doc.add_paragraph(f"{m.committee}\n{m.date_text}")
    if m.opened_time:
        when = f"{m.place}, {m.date_text} kl. {m.opened_time}–{m.closed_time or '…'}"
    else:
        when = (f"{m.place}, {m.date_text}, kallat till kl. {m.called_time} "
                "(sammanträdet öppnades inte)")
    breaks = [f"avbrott kl. {s.start_time}–{s.end_time or '…'}" for s in m.suspensions]
    breaks += [f"ajournering kl. {a.start_time}–{a.end_time or '…'}" for a in m.adjournments]
    rows = [
        ("Plats och tid", "\n".join([when, *breaks])),
        ("Beslutande", _lines(p.line for p in m.beslutande)),
        ("Ersättare", _lines(p.line for p in m.ersattare)),
        ("Övriga närvarande", _lines(p.line for p in m.ovriga)),
        ("Regelprofil", m.profile),
        ("Justerare", BLANK),
        ("Justeringens plats och tid", BLANK),
    ]
    _table(doc, None, rows, widths=(Cm(4.5), Cm(12.0)))
    doc.add_heading("Underskrifter", level=2)
    _table(doc, None, [
        ("Sekreterare", f"{BLANK}\n{m.secretary}"),
        ("", f"Paragrafer {m.paragraphs}"),
        ("Ordförande", f"{BLANK}\n{m.chair}"),
        ("Justerare", f"{BLANK}\n"),
    ], widths=(Cm(4.5), Cm(12.0)))


def _roll_call(doc: DocxDocument, m: Minutes) -> None:
    doc.add_heading("Upprop", level=1)
    if not m.opened_time:
        doc.add_paragraph("Sammanträdet har inte öppnats.")
        return
    doc.add_paragraph(f"Ordföranden öppnar sammanträdet kl. {m.opened_time} efter upprop. "
                      "Närvarande vid uppropet:")
    for line in m.roll_call:
        doc.add_paragraph(line, style="List Bullet")


def _item(doc: DocxDocument, item: Item) -> None:
    doc.add_heading(f"§ {item.number} {item.title}", level=2)
    doc.add_paragraph(f"Kl. {item.opened_time}–{item.closed_time or '…'}")
    for line in item.jav:
        doc.add_paragraph().add_run(line).italic = True
    if item.draft:
        _labelled(doc, "Förslag till beslut: ", item.draft)
    if item.speakers:
        _labelled(doc, "I överläggningen yttrar sig: ", ", ".join(item.speakers) + ".")
    if item.proposals:
        doc.add_paragraph().add_run("Yrkanden").bold = True
        for proposal in item.proposals:
            doc.add_paragraph(proposal.line, style="List Bullet")
    if item.proceedings:
        doc.add_paragraph().add_run("Propositionsordning och beslutsgång").bold = True
    for step in item.proceedings:
        if isinstance(step, VoteRecord):
            _vote(doc, step)
        else:
            doc.add_paragraph(step)
    if item.decision:
        _labelled(doc, "Beslut: ", item.decision)
    if item.tabled:
        _labelled(doc, "Beslut: ", item.tabled)
    if item.reservations:
        doc.add_paragraph().add_run("Reservation").bold = True
        for line in item.reservations:
            doc.add_paragraph(line)


def _vote(doc: DocxDocument, vote: VoteRecord) -> None:
    doc.add_paragraph(vote.question)
    tally = (f"Ja {vote.tally.get('ja', 0)}, Nej {vote.tally.get('nej', 0)}, "
             f"Avstår {vote.tally.get('avstår', 0)}") if vote.tally else ""
    if vote.ballots:
        rows = [(b.who, b.choice) for b in vote.ballots]
        _table(doc, ("Beslutande", "Röst"), [*rows, ("Summa", tally)] if tally else rows)
    elif tally:
        doc.add_paragraph(tally + ".")
    if vote.voided:
        doc.add_paragraph().add_run(vote.voided).bold = True
    if vote.result:
        doc.add_paragraph(vote.result)


def _labelled(doc: DocxDocument, label: str, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.add_run(label).bold = True
    paragraph.add_run(text)


def _suspensions(doc: DocxDocument, m: Minutes) -> None:
    if not m.suspensions and not m.adjournments:
        return
    doc.add_heading("Avbrott och ajourneringar", level=1)
    rows = [("Avbrott", s.start_time, s.end_time or "återupptogs inte", s.duration or "–",
             s.reason) for s in m.suspensions]
    rows += [("Ajournering", a.start_time, a.end_time or "återupptogs inte",
              a.duration or "–", a.reason) for a in m.adjournments]
    _table(doc, ("", "Från", "Till", "Längd", "Skäl"), rows)


def _attendance(doc: DocxDocument, m: Minutes) -> None:
    if not m.attendance:
        return
    doc.add_heading("Närvaroförändringar", level=1)
    _table(doc, ("Kl.", "Händelse"), [(c.time, c.text) for c in m.attendance])


def _evidence(doc: DocxDocument, m: Minutes) -> None:
    ev = m.evidence
    if ev is None:
        return
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("Bilaga: Bevis för besluten", level=1)
    doc.add_paragraph(
        "Protokollet är framställt ur sammanträdets händelselogg. Varje händelse i loggen bär "
        "en hash (SHA-256) av händelsen före, så att en ändring, borttagning eller inläggning "
        "i efterhand kan upptäckas.")
    doc.add_paragraph().add_run(ev.chain.message_sv).bold = True
    for d in m.evidence_lines:
        doc.add_heading(f"{d.paragraph}, beslut kl. {d.time}", level=2)
        broken = "" if d.verified else " (kedjan bruten före denna händelse)"
        remote = "\n".join(d.remote) or "Ingen beslutande deltog på distans."
        _table(doc, None, [
            ("Händelse i loggen", f"nr {d.seq}{broken}\n{d.hash}"),
            ("Beslutande och beslutförhet", d.deciding),
            ("Förbindelser, deltagare på distans", remote),
        ], widths=(Cm(4.5), Cm(12.0)))
    _table(doc, None, [
        ("Sammanträdets sista händelse", f"nr {ev.last_seq}\n{ev.last_hash}"),
        ("Kontroll", "python -m server.verify kvorum.sqlite3 --anchor följt av en hash ur "
                     "detta protokoll. Den visar att ingen händelse fram till den hashen har "
                     "ändrats sedan protokollet justerades."),
    ], widths=(Cm(4.5), Cm(12.0)))


def _lines(lines: Iterable[str]) -> str:
    return "\n".join(lines) or "–"


def _table(doc: DocxDocument, header: Sequence[str] | None, rows: Sequence[Sequence[str]],
           widths: Sequence[Cm] | None = None) -> None:
    columns = len(header) if header else len(rows[0])
    table = doc.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, header):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    if widths:
        for row_ in table.rows:
            for cell, width in zip(row_.cells, widths):
                cell.width = width
