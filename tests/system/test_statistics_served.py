"""Statistics over HTTP from a restarted `mgz serve` with two workers, on both databases.

The figures come from records an earlier server process wrote; every worker answers
the same, and the roles are enforced as served.
"""

from __future__ import annotations

from tests.system.records import write_file

API = "/api/v1/statistics/indicators"


def test_indicator_ten_and_its_chart_from_a_restarted_server(site):
    server = site.serve(workers=2)
    write_file(server, site.tokens)  # includes an SVB placement of a protection seeker on SGB II
    server.restart()
    statistician = site.tokens["statistician"]
    for _ in range(6):  # both fresh workers serve some
        reply = server.request("GET", f"{API}/10?year=2024", token=statistician)
        assert reply.status == 200, reply.body[:300]
        [year] = reply.json()["years"]
        assert (year["value"], year["breakdowns"]["employment"]) == (1.0, 1)
    chart = server.request("GET", f"{API}/10/chart.png?from=2017&to=2024", token=statistician)
    assert chart.status == 200 and chart.body[:8] == b"\x89PNG\r\n\x1a\n"
    assert server.request("GET", f"{API}/10?year=2024", token=site.tokens["auditor"]).status == 403
    assert server.request("GET", f"{API}/10?year=2024").status == 401
