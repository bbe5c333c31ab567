"""Membercare: a company read and PUT back whole is a valid CompanyPut.

CompanyPut binds only its own fields (systems.md 5.1); the read model's others
(``url``, ``addresses``, ``lastChange``...) are ignored, as ASP.NET does.
"""

from __future__ import annotations

from standins.membercare import membercare_sample


def test_a_company_read_and_put_back_with_one_change(mc, membercare):
    [company] = membercare.seed("Companies", membercare_sample()["Companies"][:1])
    dan = company["debtorAccountNumber"]
    read = mc.get(f"/companies/{dan}").json()
    changed = read | {"companyName": "Fjord Bygg Holding AS"}
    response = mc.put(f"/companies/{dan}", json=changed)
    assert response.status_code == 200, response.text
    saved = mc.get(f"/companies/{dan}").json()
    assert saved["companyName"] == saved["name"] == "Fjord Bygg Holding AS"
    assert saved["addresses"] == read["addresses"]
    assert saved["lastChange"] != read["lastChange"]
    assert membercare.write_count("Companies") == 1
