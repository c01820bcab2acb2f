"""`manage.py jobs_housekeeping`: what Celery beat does every hour, for a server without beat (cron).

Fails the jobs a dead worker left running, and the queued ones no worker took in a day; deletes
job files past their keeping time (JOB_FILES_KEEP_DAYS) and the inputs of long-failed jobs.
"""

from django.core.management.base import BaseCommand

from core.jobs import jobs_housekeeping


class Command(BaseCommand):
    help = "中止无响应的后台任务，删除超过保存期限的任务文件。"

    def handle(self, *args, **options):
        counts = jobs_housekeeping()
        self.stdout.write(
            f"中止无响应任务 {counts['stale']} 个，中止排队过久任务 {counts['lost']} 个，"
            f"删除过期结果文件 {counts['expired_files']} 个，删除失败任务的输入文件 {counts['old_inputs']} 个，"
            f"重新排队未发出的邮件 {counts['mails']} 封。"
        )
