"""SIP2 under siege: a working kiosk while thousands of idle connections and a few
connections spamming failed logins hit the server. The case lives with the other SIP2
cases in ``bench_sip2``; run: ``python -m bench sip2_siege``."""

from __future__ import annotations

import sys

from bench.bench_sip2 import siege_main as main

if __name__ == "__main__":
    main(sys.argv[1:])
