import signal

from django.core.management.base import BaseCommand, CommandParser

from mesoclinic.core.audit import audit_sealer_run


class Command(BaseCommand):
    help = ("Seal the audit events every second, in order, and write a signed checkpoint "
            "every few minutes: the one sealer served beside the web processes "
            "(scripts/serve.sh), so that no request waits for the chain.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=1.0, help="seconds between seals")
        parser.add_argument("--once", action="store_true", help="seal once, then stop")

    def handle(self, *args: object, **options: object) -> None:
        stop = {"asked": False}
        passes = {"left": 1 if options["once"] else -1}

        def running() -> bool:
            if stop["asked"] or passes["left"] == 0:
                return False
            passes["left"] -= 1
            return True

        def ask_to_stop(*_: object) -> None:
            stop["asked"] = True

        if not options["once"]:
            signal.signal(signal.SIGTERM, ask_to_stop)
            signal.signal(signal.SIGINT, ask_to_stop)
        sealed = audit_sealer_run(every=0.0 if options["once"] else float(options["every"]),
                                  running=running)
        self.stdout.write(f"{sealed} audit event(s) sealed.")
