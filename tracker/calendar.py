"""The one calendar of the tracker: the first and last day it handles.

Reports are refused outside these days (a clear 400 and a database constraint), the engine's
calendar table holds exactly these days, and a rebuild covers them. Write them nowhere else.
"""

from datetime import date

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2099, 12, 31)
