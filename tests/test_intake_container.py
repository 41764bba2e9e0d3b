"""Container checks: hostile and broken files are stopped before any XML parser or decompressor runs wild."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
from datetime import date

import openpyxl.xml
import pytest
from support import faults as ff
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.intake.run import check_file, run_intake
from generator.rules.container_check import check_container
from generator.xlsx.container import Limits

TODAY = date(YEAR, 12, 1)
MB = 1024 * 1024


@pytest.fixture(scope="module")
def good(tmp_path_factory, standard):
    folder = tmp_path_factory.mktemp("good")
    halls = make_halls({"甲": 2})
    return write_return(standard, halls[0], full_fill(standard), folder), halls


def checked(path, standard, halls, limits=None):
    """check_file under tracemalloc: the problems and the peak memory Python allocated."""
    tracemalloc.start()
    try:
        record, problems, _ = check_file(path, path.name, standard, {h.hall_id: h for h in halls}, YEAR, TODAY,
                                         limits or Limits())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return record, [p.code for p in problems], peak


def test_defusedxml_is_what_openpyxl_parses_with():
    assert openpyxl.xml.DEFUSEDXML


def test_zip_bomb_is_rejected_from_the_directory_alone(tmp_path, good, standard):
    path, halls = good
    sheet = ff.sheet_part(path, "检查表")
    bomb = ff.rezip(path, tmp_path / "bomb.xlsx", {sheet: b"<a>" + b" " * (60 * MB) + b"</a>"})
    assert bomb.stat().st_size < MB
    record, codes, peak = checked(bomb, standard, halls)
    assert record is None and codes == ["file-zip-limits"]
    assert peak < 5 * MB  # nothing was inflated


def test_zip_with_lying_sizes_is_read_no_further_than_it_declares(tmp_path, good, standard):
    """A part that claims 1 KB but inflates to 60 MB: reads stop at the claim and the CRC gives it away."""
    path, halls = good
    sheet = ff.sheet_part(path, "检查表")
    liar = ff.rezip(path, tmp_path / "liar.xlsx", {sheet: b"<a>" + b" " * (60 * MB) + b"</a>"})
    data = bytearray(liar.read_bytes())
    with zipfile.ZipFile(liar) as zf:
        info = zf.getinfo(sheet)
    name = sheet.encode()
    # The uncompressed size sits at offset 22 of the local header and 24 of the central one.
    struct.pack_into("<I", data, info.header_offset + 22, 1024)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46:central + 46 + len(name)] == name:
            struct.pack_into("<I", data, central + 24, 1024)
        central = data.find(b"PK\x01\x02", central + 4)
    liar.write_bytes(bytes(data))
    record, codes, peak = checked(liar, standard, halls)
    assert record is None and codes == ["file-damaged"]
    assert peak < 5 * MB


def test_billion_laughs_is_caught_by_the_container_scan(tmp_path, good, standard):
    path, halls = good
    bomb = ff.rezip(path, tmp_path / "laughs.xlsx", {"xl/sharedStrings.xml": ff.BILLION_LAUGHS})
    record, codes, peak = checked(bomb, standard, halls)
    assert record is None and codes == ["file-xml-entities"]
    assert peak < 5 * MB


@pytest.mark.parametrize("part_body", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'.encode("utf-16-le"),
    b"<x/>" + b" " * 70_000 + b"<!DOCTYPE across-a-chunk-boundary>",
])
def test_entity_declarations_anywhere_are_refused(tmp_path, good, standard, part_body):
    path, halls = good
    bad = ff.rezip(path, tmp_path / "xxe.xlsx", {"xl/workbook.xml": part_body})
    assert checked(bad, standard, halls)[1] == ["file-xml-entities"]


@pytest.mark.parametrize("limits, detail", [
    (Limits(max_entries=5), "个部件"),
    (Limits(max_total_bytes=5_000), "解压后共"),
    (Limits(max_ratio=2, ratio_floor=1000), "压缩比"),
])
def test_each_zip_limit(good, standard, limits, detail):
    path, halls = good
    record, problems, _ = check_file(path, path.name, standard, {h.hall_id: h for h in halls}, YEAR, TODAY, limits)
    assert record is None and [p.code for p in problems] == ["file-zip-limits"] and detail in problems[0].message


def test_size_limit(good, standard):
    path, halls = good
    problems = check_container(path, path.name, Limits(max_file_bytes=1000))
    assert [p.code for p in problems] == ["file-too-large"]


def test_encrypted_and_legacy_ole_files_are_told_apart(tmp_path, good, standard):
    _, halls = good
    assert checked(ff.ole_file(tmp_path / "a.xlsx", True), standard, halls)[1] == ["file-encrypted"]
    assert checked(ff.ole_file(tmp_path / "b.xlsx", False), standard, halls)[1] == ["file-legacy-xls"]


def test_xls_files_are_rejected_not_ignored(tmp_path, standard):
    ff.ole_file(tmp_path / "H010000_旧表.xls", False)
    report = run_intake([tmp_path], standard, make_halls({"甲": 1}), YEAR, today=TODAY)
    assert [(f.status, [p.code for p in f.problems]) for f in report.files] == [("rejected", ["file-legacy-xls"])]


def test_macros_warn_but_the_return_is_accepted(tmp_path, good, standard):
    path, halls = good
    macro = ff.rezip(path, tmp_path / "m.xlsm", {"xl/vbaProject.bin": b"\x00" * 64})
    record, codes, _ = checked(macro, standard, halls)
    assert record is not None and codes == ["file-macros"]


def test_container_check_hands_the_reader_what_it_unzipped(good):
    """One inflation per part: the entity scan keeps the XML it unzipped, and the reader's grids from those
    bytes are the ones it reads from the zip."""
    from generator.xlsx.reader import read_grids

    path, _halls = good
    parts: dict[str, bytes] = {}
    assert not [p for p in check_container(path, path.name, parts=parts) if p.severity == "error"]
    with zipfile.ZipFile(path) as zf:
        xml = {i.filename: zf.read(i) for i in zf.infolist() if i.filename.endswith((".xml", ".rels"))}
    assert parts == xml
    assert {n: g.rows for n, g in read_grids(path, parts=parts).items()} == \
        {n: g.rows for n, g in read_grids(path).items()}


def test_parts_shared_with_earlier_files_are_their_own_bytes(tmp_path, good, standard):
    """Small parts byte-identical (compressed) to a part of an earlier return are taken as inflated then; a part
    damaged in transfer, or named differently in its local header, is not such a part: the same errors as
    always. And the parts handed on are each file's own bytes."""
    from generator.xlsx import container
    from generator.xlsx.container import Parts

    path, halls = good
    other = write_return(standard, halls[1], full_fill(standard, inspector="李四"), tmp_path / "other")
    for source in (path, other, path):
        parts = Parts()
        assert not [p for p in check_container(source, source.name, parts=parts) if p.severity == "error"]
        with zipfile.ZipFile(source) as zf:
            assert dict(parts) == {i.filename: zf.read(i) for i in zf.infolist()
                                   if i.filename.endswith((".xml", ".rels"))}
        assert parts.sizes == {i.filename: i.file_size for i in zipfile.ZipFile(source).infolist()}
    assert any(key[3] == len(data) for key, data in container.INFLATED_PARTS.items())  # some were remembered
    # The stylesheet, the same in every return, damaged in one: its CRC gives it away as before.
    flipped = ff.flip_compressed_byte(path, tmp_path / "crc.xlsx", "xl/styles.xml")
    record, codes, _ = checked(flipped, standard, halls)
    assert record is None and codes == ["file-damaged"]
    # The same compressed bytes under a local header naming another part: zipfile's objection stands.
    renamed = tmp_path / "renamed.xlsx"
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/styles.xml")
    at = info.header_offset + 30
    assert data[at:at + len(b"xl/styles.xml")] == b"xl/styles.xml"
    data[at:at + len(b"xl/styles.xml")] = b"xl/styles.xmk"
    renamed.write_bytes(bytes(data))
    problems = check_container(renamed, renamed.name, parts=Parts())
    # zipfile's objection (BadZipFile) said in words for the user, without its English text.
    assert [p.code for p in problems] == ["file-damaged"] and "不是完整的 zip 文件" in problems[0].message
    assert "File name" not in problems[0].message and "BadZipFile" not in problems[0].message


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_parts_inflated_here_are_zipfiles_bytes(tmp_path, good, standard, method):
    """Stored, deflated or (left to zipfile) bzip2 parts: the parts handed to the reader are what zipfile
    reads, and the return is accepted the same way."""
    from generator.xlsx.container import Parts

    path, halls = good
    copy = ff.rezip(path, tmp_path / "copy.xlsx", method=method)
    parts = Parts()
    assert not [p for p in check_container(copy, copy.name, parts=parts) if p.severity == "error"]
    with zipfile.ZipFile(copy) as zf:
        assert dict(parts) == {i.filename: zf.read(i) for i in zf.infolist() if i.filename.endswith((".xml", ".rels"))}
    record, codes, _ = checked(copy, standard, halls)
    assert record is not None and codes == []
