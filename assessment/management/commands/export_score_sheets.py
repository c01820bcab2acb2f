"""Write every station's PDF score sheet of a campaign into a directory, one file per station.

    python manage.py export_score_sheets --campaign heshan-2024 --out /srv/exports/heshan-2024

For campaigns too large to download from the admin, and for filing. Run on the server, it is not
scoped to a user: it writes every station of the campaign. Files are named <station code>.pdf;
an existing file of the same name is replaced. Each line says the file, its size, how long it
took and the fingerprint printed on its pages.
"""

import os
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessment.documents.score_sheet import score_sheet_documents, score_sheet_pdf
from assessment.management.campaign_option import campaign_from_option


class Command(BaseCommand):
    help = "Write the PDF score sheet of every station of a campaign into a directory (<station code>.pdf)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="campaign code, e.g. heshan-2024")
        parser.add_argument("--out", required=True, help="directory to write into (created if missing)")

    def handle(self, *args, campaign: str, out: str, **options):
        found = campaign_from_option(campaign)
        directory = Path(out)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"无法创建输出目录 {directory}：{exc.strerror or exc}") from exc

        mode = _file_mode()
        count, total_bytes, total_seconds = 0, 0, 0.0
        for document in score_sheet_documents(campaign=found, actor=None):
            started = time.perf_counter()
            pdf = score_sheet_pdf(document)
            elapsed = time.perf_counter() - started
            _write_atomically(directory / document.filename, pdf, mode=mode)
            count += 1
            total_bytes += len(pdf)
            total_seconds += elapsed
            self.stdout.write(
                f"{document.filename}\t{len(pdf) / 1024:.0f} KB\t{elapsed * 1000:.0f} ms\t"
                f"{document.fingerprint_short}"
            )
        if count == 0:
            self.stdout.write(self.style.WARNING(f"考核批次 {found.code} 没有评分表，未写入文件。"))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已写入 {count} 个 PDF 到 {directory}（共 {total_bytes / 1e6:.1f} MB，"
                f"平均每份 {total_seconds * 1000 / count:.0f} ms，合计 {total_seconds:.1f} s）。"
            )
        )


def _file_mode() -> int:
    """The mode a plain open() would give a new file under the current umask (mkstemp gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """A reader of the directory never sees half a PDF: write beside it, then rename over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
