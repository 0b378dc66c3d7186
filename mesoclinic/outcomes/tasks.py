"""Background work of outcomes, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.outcomes.services import comparison_run


@task()
def analyse_comparison(comparison_id: int) -> str:
    return comparison_run(comparison_id=comparison_id)
