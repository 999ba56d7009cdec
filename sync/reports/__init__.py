"""Reports from the stored records: pure computations (``nps``, ``sli``, ``loop``, ``sla``, ``kpi``)
over :class:`~sync.reports.history.RecordHistory` values, apart from their rendering (``render``,
``charts``, ``html``). The CLI and scheduled rules read the store and call these."""

from sync.reports.nps import NpsRow, category, format_report, nps_report, parse_day, period_of

__all__ = ["NpsRow", "category", "format_report", "nps_report", "parse_day", "period_of"]
