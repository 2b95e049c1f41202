"""Evidence of a call and its verdict, as the review API reads and changes them:

- ``photos.py``: photos (checked by content, stored, captioned).
- ``recordings.py``: a call's recordings and its playable review file.
- ``audit.py``: the audit of who viewed which recording or photo.
- ``verdicts.py``: the verdict and its history (set, confirm, override).
- ``review_list.py``: the review list's filters, counts and pages, and one call's detail.

They return the public shapes of ``server/models`` (``...Public``) where the API answers
with them, and raise ``server.errors`` errors, never HTTP ones.
"""
