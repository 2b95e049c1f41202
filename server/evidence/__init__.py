"""Evidence of a call and its verdict: photos (``photos.py``), the verdict and its history
(``verdicts.py``), the review list's filters, counts and pages (``review_list.py``)."""
