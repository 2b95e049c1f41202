"""Remote inspections before shipping: checklist templates (``templates.py``, the shipped
``defaults.json``), the pure rules of an inspection's items and sign-off
(``checklist.py``), its storage (``store.py``) and its PDF report (``report_pdf.py``)."""
