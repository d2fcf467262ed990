"""The connector packages here are installed and tested by test_third_party_packages.py, each in
a pytest run of its own; the suite itself does not collect their tests."""

collect_ignore = ["ticketbox", "broken"]
