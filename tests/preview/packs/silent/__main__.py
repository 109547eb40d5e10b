"""A pack that never prints its port."""

import time

time.sleep(3600)
