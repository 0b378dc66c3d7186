from django.core.management.base import BaseCommand, CommandError

from mesoclinic.core.audit import audit_chain_problems


class Command(BaseCommand):
    help = "Check the audit trail's hash chains; fail if any event was edited or removed."

    def handle(self, *args: object, **options: object) -> None:
        problems = list(audit_chain_problems())
        for problem in problems:
            self.stderr.write(f"{problem.scope} #{problem.sequence}: {problem.problem}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the audit trail.")
        self.stdout.write(self.style.SUCCESS("Audit trail intact."))
