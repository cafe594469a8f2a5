"""Uploaded documents are checked beyond their first bytes: a PDF must parse and run nothing when it
is opened, an image must decode to its last pixel and stay under the pixel cap. Every file here is
built by the test (pypdf, fpdf2, Pillow, or by hand where a real tool would refuse to write it)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from clinic import documents
from clinic.errors import ClinicError


# --- files ---------------------------------------------------------------------------------------

def pypdf_file(build=None) -> bytes:
    """A one-page PDF written by pypdf; ``build(writer)`` may add to it first."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fpdf_file(text: str = "Referral to physiotherapy") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def image_file(fmt: str, size=(320, 200)) -> bytes:
    image = Image.new("RGB", size, (15, 118, 110))
    for x in range(0, size[0], 7):  # some detail, so the compressed data is not trivial
        for y in range(0, size[1], 5):
            image.putpixel((x, y), (x % 256, y % 256, (x * y) % 256))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_chunks(content: bytes) -> list[tuple[bytes, bytes]]:
    chunks, at = [], 8
    while at < len(content):
        (length,) = struct.unpack(">I", content[at:at + 4])
        chunks.append((content[at + 4:at + 8], content[at + 8:at + 8 + length]))
        at += 12 + length
    return chunks


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG header that declares ``width`` × ``height`` one-bit pixels: the
    shape of a decompression bomb (its few bytes would expand to width × height in memory)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + png_chunk(b"IEND", b""))


def refusal(content: bytes, name: str = "upload") -> ClinicError:
    with pytest.raises(ClinicError) as caught:
        documents.check_upload(name, content)
    assert caught.value.field == "file"
    return caught.value


# --- PDF -----------------------------------------------------------------------------------------

def test_real_pdfs_from_pypdf_and_fpdf2_are_filed():
    for content in (pypdf_file(), fpdf_file()):
        checked = documents.check_upload("Referral letter.PDF", content)
        assert checked.mime_type == "application/pdf" and checked.filename == "Referral letter.pdf"
        assert checked.size_bytes == len(content)


def test_a_pdf_that_runs_javascript_when_opened_is_refused():
    content = pypdf_file(lambda w: w.add_open_action(JavaScript("app.launchURL('http://example.invalid/');")))
    assert b"/OpenAction" in content or b"/JavaScript" in content
    error = refusal(content, "lab.pdf")
    assert "JavaScript" in str(error) and "Print it to a new PDF" in str(error)


def test_an_open_action_script_in_the_catalogue_is_refused():
    def open_action(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})

    content = pypdf_file(open_action)
    assert b"/OpenAction" in content
    assert "JavaScript" in str(refusal(content))


def test_javascript_behind_an_escaped_name_is_refused_too():
    content = pypdf_file(lambda w: w.add_open_action(JavaScript("app.alert(1)")))
    disguised = content.replace(b"/JS ", b"/J#53 ").replace(b"/JavaScript", b"/J#61vaScript")
    assert b"/JavaScript" not in disguised and b"/JS " not in disguised
    assert "JavaScript" in str(refusal(disguised))


def test_a_script_left_in_an_object_nothing_points_to_is_refused():
    def orphan(writer):
        writer._add_object(DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}))

    assert "JavaScript" in str(refusal(pypdf_file(orphan)))


def test_automatic_page_actions_and_program_launches_are_refused():
    def page_action(writer):
        launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("x")})
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): launch})

    assert "/AA" in str(refusal(pypdf_file(page_action)))

    def launch_on_open(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})

    assert "starts a program" in str(refusal(pypdf_file(launch_on_open)))


def test_an_open_action_that_only_shows_the_first_page_is_filed():
    def fit_first_page(writer):
        writer._root_object[NameObject("/OpenAction")] = ArrayObject(
            [writer.pages[0].indirect_reference, NameObject("/Fit")])

    content = pypdf_file(fit_first_page)
    assert b"/OpenAction" in content
    assert documents.check_upload("a.pdf", content).mime_type == "application/pdf"


@pytest.mark.parametrize("content", [
    b"%PDF-1.4 fake",
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    fpdf_file()[:700],  # an interrupted download
    fpdf_file()[:-40],  # cut just before its end
], ids=["garbage", "no-pages", "first-half", "tail-cut"])
def test_a_damaged_or_truncated_pdf_is_refused(content):
    assert content.startswith(b"%PDF-")
    error = refusal(content, "scan.pdf")
    assert "cannot be read" in str(error) or "no pages" in str(error)


def test_an_encrypted_pdf_is_refused_with_what_to_do_instead():
    for password in ("", "s3cret"):  # an empty user password only restricts printing or copying
        content = pypdf_file(lambda w, p=password: w.encrypt(p, "owner", algorithm="RC4-128"))
        error = refusal(content, "statement.pdf")
        assert "encrypted or password-protected" in str(error) and "unprotected PDF" in str(error)


# --- images --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, name, mime", [("PNG", "card.png", "image/png"), ("JPEG", "card.jpeg", "image/jpeg")])
def test_real_png_and_jpeg_images_are_filed(fmt, name, mime):
    checked = documents.check_upload(name, image_file(fmt))
    assert checked.mime_type == mime and checked.filename == "card" + documents.EXTENSIONS[mime]


def test_a_png_whose_checksum_fails_is_refused():
    content = bytearray(image_file("PNG"))
    at = content.index(b"IDAT") + 40
    content[at] ^= 0xFF
    assert "cannot be read" in str(refusal(bytes(content), "card.png"))


def test_a_png_whose_pixel_data_is_corrupt_is_refused_even_with_valid_checksums():
    chunks = png_chunks(image_file("PNG"))
    broken = b"".join(png_chunk(kind, data[: len(data) // 2] + b"\x00garbage" * 8 if kind == b"IDAT" else data)
                      for kind, data in chunks)
    assert "cannot be read" in str(refusal(b"\x89PNG\r\n\x1a\n" + broken, "card.png"))


def test_a_truncated_jpeg_is_refused():
    content = image_file("JPEG", size=(640, 480))
    assert "cannot be read" in str(refusal(content[: len(content) // 2], "photo.jpg"))


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    b"\xff\xd8\xff\xe0data",
], ids=["png-signature-only", "jpeg-signature-only"])
def test_bytes_that_only_start_like_an_image_are_refused(content):
    assert "cannot be read" in str(refusal(content))


def test_an_image_past_the_pixel_cap_is_refused_with_its_size():
    error = refusal(png_declaring(8_000, 8_000), "scan.png")  # 64 megapixels in a few bytes
    assert "8,000 × 8,000 pixels" in str(error) and "50 megapixels" in str(error)


def test_a_decompression_bomb_pillow_itself_would_refuse_is_refused_clearly():
    error = refusal(png_declaring(100_000, 100_000), "bomb.png")  # 10 gigapixels
    assert "too many pixels" in str(error) and "50 megapixels" in str(error)


def test_an_image_at_the_cap_is_filed():
    # 1 bit a pixel, all white: about 40 KB of PNG for 50 megapixels, decoded in full.
    image = Image.new("1", (10_000, 5_000), 1)
    out = io.BytesIO()
    image.save(out, "PNG")
    assert documents.check_upload("a.png", out.getvalue()).mime_type == "image/png"
