"""What the supervising office reads: figures and their roll-up, the monthly report, the live
metrics read at scrape time, the tamper-evident audit chain.

May import: hub.polling and below.
"""
