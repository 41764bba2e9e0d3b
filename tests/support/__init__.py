"""What the tests share: real inputs written the way people and mail clients write them, and the ways to run a build.

- ``returns``: halls, filled returns (openpyxl) and registers; the test year.
- ``zip_parts``: a real return with one part of its zip rewritten.
- ``faults``: returns broken as a person in Excel, a mail gateway or an attacker breaks them.
- ``lists``: a 上报名单 answered by a province or the group.
- ``rows``: typed hall rows for the pages and exports.
- ``site``: archived years made the real way, for the site tests.
- ``builds``: a build through the library, the CLI in-process, or as its own process.
- ``readers``: our workbook readers held to openpyxl's on the same file.
- ``libreoffice``: workbooks saved again by a real, headless LibreOffice.

Fixtures stay in conftest.py; everything here is a plain function a test imports.
"""
